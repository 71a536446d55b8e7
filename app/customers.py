"""Customers taken at the till: created, edited and found, each change queued for the server.

An edit travels as ``customer.upsert`` with only the fields it changed and their values before
(``base``): the server settles concurrent edits per field, last writer wins, and can only tell
that someone else changed a field meanwhile if it knows what this till saw.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.domain.text import contains_pattern
from app.staff import active_staff
from db.base import new_id, utcnow
from db.models import Customer

FIELDS = ("name", "email", "phone", "address", "notes", "tax_number")
MAX_LENGTH = {"name": 200, "email": 254, "phone": 40, "address": 500, "notes": 2000,
              "tax_number": 64}
MAX_FIND_LIMIT = 200

# The server's own rule for an address (dot-atom local part, LDH domain labels): the same
# rule here means the till never queues an email the server would refuse hours later.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"(?=[^@]{{1,64}}@){_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+")
_PHONE_CHARS = set("0123456789+-() ./")


def _text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"must be text, not {type(value).__name__}", field=field)
    text = value.strip()
    if len(text) > MAX_LENGTH[field]:
        raise InvalidInput(f"is longer than {MAX_LENGTH[field]} characters", field=field)
    # Line breaks belong in an address or a note; other control characters are pasted junk.
    breaks = "\n\t" if field in ("address", "notes") else ""
    if any(not c.isprintable() and c not in breaks for c in text):
        raise InvalidInput("holds control characters", field=field)
    return text


def clean_field(field: str, value: object) -> str | None:
    """A field's value as stored, or ``InvalidInput`` naming the field."""
    if field not in MAX_LENGTH:
        raise InvalidInput(f"is not a customer field ({', '.join(FIELDS)})", field=field)
    if value is None and field in ("email", "phone"):
        return None
    text = _text(field, value)
    if field == "name" and not text:
        raise InvalidInput("is required", field="name")
    if field == "email":
        if not text:
            return None
        if not text.isascii() or not _EMAIL.fullmatch(text):
            raise InvalidInput(f"{text!r} is not an email address", field="email")
        return text.lower()
    if field == "phone":
        if not text:
            return None
        if not set(text) <= _PHONE_CHARS or sum(c.isdigit() for c in text) < 3:
            raise InvalidInput("takes digits, spaces and + - ( ) . / only, at least three digits",
                               field="phone")
    return text


def wire_value(field: str, value: str | None) -> str | None:
    """How a field travels: the server keeps "no phone" as an empty text, so ``None`` and ""
    must not look like two different values when it compares with ``base``."""
    if field == "phone":
        return value or ""
    if field == "email":
        return value or None
    return value if value is not None else ""


def _check_email_free(session: Session, email: str | None, customer_id: str | None) -> None:
    if email is None:
        return
    holder = session.scalar(select(Customer.id).where(
        Customer.email == email, Customer.erased.is_(False),
        Customer.id != (customer_id or "")).limit(1))
    if holder is not None:
        raise RuleViolation(f"another customer has the email {email}", field="email")


def _enqueue(session: Session, customer: Customer, fields: dict[str, Any],
             base: dict[str, Any] | None, staff_id: str) -> None:
    outbox.enqueue(session, kind=MutationKind.CUSTOMER_UPSERT.value, entity_id=customer.id,
                   payload={"id": customer.id,
                            "fields": {f: wire_value(f, v) for f, v in fields.items()},
                            "base": None if base is None else
                            {f: wire_value(f, v) for f, v in base.items()},
                            "staff_id": staff_id})


def create_customer(session: Session, *, staff_id: str, name: str, email: str | None = None,
                    phone: str | None = None, address: str = "", notes: str = "",
                    tax_number: str = "") -> Customer:
    """A new customer, queued for the server with every field and no ``base`` (a tax number
    only when there is one: a server from before tax numbers refuses the field, so a till
    upgraded first still gets its other new customers through)."""
    staff = active_staff(session, staff_id, Permission.CUSTOMERS_WRITE)
    values = {f: clean_field(f, v) for f, v in
              (("name", name), ("email", email), ("phone", phone), ("address", address),
               ("notes", notes), ("tax_number", tax_number))}
    _check_email_free(session, values["email"], None)
    now = utcnow()
    customer = Customer(id=new_id(), created_at=now, updated_at=now, **values)
    session.add(customer)
    sent = {f: v for f, v in values.items() if f != "tax_number" or v}
    _enqueue(session, customer, sent, None, staff.id)
    # The journal is append-only and kept for years: it names the fields, never their values,
    # so erasing a customer later leaves no personal data behind in it.
    audit.append(session, action="customer.created", entity="customer", entity_id=customer.id,
                 actor_id=staff.id, details={"fields": sorted(values)}, at=now)
    session.flush()
    return customer


def update_customer(session: Session, *, staff_id: str, customer_id: str,
                    changes: dict[str, Any]) -> Customer:
    """Change some fields; only those whose value really changes are queued, with their old
    values as ``base``. Nothing to change is not an error: the customer comes back as it was."""
    staff = active_staff(session, staff_id, Permission.CUSTOMERS_WRITE)
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("name at least one field to change", field="changes")
    unknown = sorted(set(changes) - set(FIELDS), key=str)
    if unknown:
        raise InvalidInput(f"{unknown[0]!r} is not a customer field ({', '.join(FIELDS)})",
                           field=str(unknown[0]))
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"no customer {customer_id}", field="customer")
    if customer.erased:
        raise RuleViolation("this customer was erased and cannot be edited", field="customer")
    cleaned = {f: clean_field(f, v) for f, v in changes.items()}
    changed = {f: v for f, v in cleaned.items()
               if wire_value(f, v) != wire_value(f, getattr(customer, f))}
    if not changed:
        return customer
    if "email" in changed:
        _check_email_free(session, changed["email"], customer.id)
    base = {f: getattr(customer, f) for f in changed}
    for field, value in changed.items():
        setattr(customer, field, value)
    customer.updated_at = utcnow()
    _enqueue(session, customer, changed, base, staff.id)
    audit.append(session, action="customer.updated", entity="customer", entity_id=customer.id,
                 actor_id=staff.id, details={"fields": sorted(changed)}, at=customer.updated_at)
    session.flush()
    return customer


def _digits_only(column):  # noqa: ANN001, ANN202 - a SQL expression in, one out
    for sign in (" ", "+", "-", "(", ")", ".", "/"):
        column = func.replace(column, sign, "")
    return column


def find_customers(session: Session, text: str, limit: int = 20) -> list[Customer]:
    """Customers whose name, email or phone contains ``text`` (case-insensitive; a phone
    matches on its digits, so "0470 12" finds "+32 470 12 34 56"), by name. Erased customers
    are never found."""
    if not isinstance(text, str):
        raise InvalidInput("must be text", field="text")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_FIND_LIMIT:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_FIND_LIMIT}", field="limit")
    clause = match_clause(text)
    if clause is None:
        return []
    return list(session.scalars(select(Customer).where(Customer.erased.is_(False), clause)
                                .order_by(Customer.name, Customer.id).limit(limit)).all())


def match_clause(text: str):  # noqa: ANN201 - a SQL condition, or None for "everyone"
    """Customers whose name or email contains ``text`` (case-insensitive), or whose phone's
    digits contain its digits; None for blank text. The till's search and the back office's
    list both find customers by this."""
    needle = text.strip()[:MAX_LENGTH["email"]]
    if not needle:
        return None
    pattern = contains_pattern(needle.lower())
    matches = [func.lower(Customer.name).like(pattern, escape="\\"),
               func.lower(Customer.email).like(pattern, escape="\\")]
    digits = "".join(c for c in needle if c.isdigit())
    if len(digits) >= 3 and set(needle) <= _PHONE_CHARS:
        # A national number typed with its leading 0 is stored after the country code.
        matches.append(_digits_only(Customer.phone).like(
            contains_pattern(digits.lstrip("0") or digits), escape="\\"))
    return or_(*matches)

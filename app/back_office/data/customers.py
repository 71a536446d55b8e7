"""Importing customers: a row with an ``id`` updates that customer; a row without one updates
the customer holding its email, or creates a new customer. Each field is checked by the same
rules as the customer screen (``app.customers.clean_field``) and queued as ``customer.upsert``
exactly as ``create_customer`` / ``update_customer`` queue it (changed fields with their values
before, so the server can settle concurrent edits per field). A column left out of the file
changes nothing; an erased customer is never written to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import canonical_json
from app.back_office.data.plan import (CREATE, REFUSED, UNCHANGED, UPDATE, Cancelled,
                                       ImportCancelled, Plan, Progress, bulk_insert, bulk_update,
                                       chunks, message)
from app.back_office.data.table import Table
from app.customers import FIELDS, clean_field, wire_value
from app.domain.errors import DomainError
from app.domain.sync_protocol import MutationKind
from app.exports import CUSTOMER_COLUMNS
from db.base import new_id, utcnow
from db.models import Customer, OutboxEntry

COLUMNS = tuple(CUSTOMER_COLUMNS)
REQUIRED = ("name",)
WRITE_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Upsert:
    row: int
    customer_id: str
    fields: dict[str, Any]  # what changes (every field for a new customer)
    base: dict[str, Any] | None  # the values before, None for a new customer


def _load(session: Session, column, values: list[str]) -> dict[str, Customer]:  # noqa: ANN001
    found: dict[str, Customer] = {}
    for part in chunks(values):
        for customer in session.scalars(select(Customer).where(column.in_(part))):
            found[getattr(customer, column.key)] = customer
    return found


def check(session: Session, table: Table) -> Plan:
    plan = Plan("customers", table.columns)
    plan.rows = len(table.rows)
    given = [f for f in FIELDS if f in table.columns]
    by_id = _load(session, Customer.id, sorted({c.get("id", "").strip()
                                                for _, c in table.rows} - {""}))
    emails = sorted({c.get("email", "").strip().lower() for _, c in table.rows} - {""})
    by_email = {e: c for e, c in _load(session, Customer.email, emails).items() if not c.erased}
    ids_seen: dict[str, int] = {}
    emails_seen: dict[str, int] = {}
    for number, cells in table.rows:
        errors_before = len(plan.errors)
        values: dict[str, Any] = {}
        for name in given:
            try:
                values[name] = clean_field(name, cells[name])
            except DomainError as exc:
                plan.error(number, name, message(exc))
        customer_id = cells.get("id", "").strip()
        customer = None
        if customer_id:
            customer = by_id.get(customer_id)
            if customer is None:
                plan.error(number, "id", f"{customer_id!r} is not a customer here: leave the id "
                                         "empty to create one")
            elif customer.erased:
                plan.error(number, "id", "this customer was erased and cannot be written to")
                customer = None
            elif customer_id in ids_seen:
                plan.error(number, "id", f"the same customer is on row {ids_seen[customer_id]}")
            ids_seen.setdefault(customer_id, number)
        email = values.get("email")
        if customer is None and not customer_id and email:
            customer = by_email.get(email)  # no id: the customer with this email, if any
        if email:
            holder = by_email.get(email)
            if email in emails_seen:
                plan.error(number, "email", f"{email} is on row {emails_seen[email]} too")
            elif holder is not None and (customer is None or holder.id != customer.id):
                plan.error(number, "email", f"another customer has the email {email}")
            emails_seen.setdefault(email, number)
        if len(plan.errors) > errors_before:
            plan.count(number, REFUSED, cells)
            continue
        if customer is None:
            values.setdefault("email", None)
            values.setdefault("phone", None)
            for name in ("address", "notes", "tax_number"):
                values.setdefault(name, "")
            plan.actions.append(Upsert(number, new_id(), values, None))
            plan.count(number, CREATE, cells)
            continue
        changed = {f: v for f, v in values.items()
                   if wire_value(f, v) != wire_value(f, getattr(customer, f))}
        if not changed:
            plan.count(number, UNCHANGED, cells)
            continue
        plan.actions.append(Upsert(number, customer.id, changed,
                                   {f: getattr(customer, f) for f in changed}))
        plan.count(number, UPDATE, cells)
    return plan


def _outbox_row(upsert: Upsert, staff_id: str, at) -> dict[str, Any]:  # noqa: ANN001
    # as create_customer sends a new customer: a tax number only when there is one
    sent = upsert.fields if upsert.base is not None else \
        {f: v for f, v in upsert.fields.items() if f != "tax_number" or v}
    payload = {"id": upsert.customer_id,
               "fields": {f: wire_value(f, v) for f, v in sent.items()},
               "base": None if upsert.base is None else
               {f: wire_value(f, v) for f, v in upsert.base.items()},
               "staff_id": staff_id}
    return {"mutation_id": new_id(), "kind": MutationKind.CUSTOMER_UPSERT.value,
            "entity_id": upsert.customer_id, "payload": canonical_json(payload),
            "created_at": at, "attempts": 0}


def apply(session: Session, plan: Plan, *, staff_id: str, progress: Progress | None = None,
          cancelled: Cancelled | None = None) -> int:
    total = len(plan.actions)
    done = 0
    for part in chunks(plan.actions, WRITE_CHUNK):
        if cancelled is not None and cancelled():
            raise ImportCancelled()
        at = utcnow()
        new = [{"id": u.customer_id, "created_at": at, "updated_at": at, "version": 1,
                "erased": False, **u.fields} for u in part if u.base is None]
        if new:
            bulk_insert(session, Customer.__table__, new)
        bulk_update(session, Customer.__table__, [{"id": u.customer_id, **u.fields,
                                                   "updated_at": at}
                                                  for u in part if u.base is not None])
        bulk_insert(session, OutboxEntry.__table__,
                    [_outbox_row(u, staff_id, at) for u in part])
        done += len(part)
        if progress is not None:
            progress(done, total)
    # a Cancel pressed during the last (or only) chunk: still inside the transaction, before
    # the audit entry and the commit, so nothing is written
    if cancelled is not None and cancelled():
        raise ImportCancelled()
    return done

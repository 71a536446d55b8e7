"""Parked carts: a cart put aside to serve someone else, resumable on any till of the store.

A parked cart is a local ``ParkedCart`` row *and* an outbox ``cart.parked`` entry, written in
one transaction: the server keeps it in the store's ``parked_carts`` and sends it down the
store feed, so the other tills of the store list it after their next sync round. Resuming
deletes the row here and queues ``cart.resumed``; the server then tells the other tills to
drop it. Two tills resuming the same cart while apart cannot both be stopped offline: the
server accepts the first and refuses the second with the register and time of the first,
which the second till shows as a sync issue (the cashier checks the other till).

While this till's ``cart.resumed`` is still in the outbox, a pull must not bring the cart
back (the server has not heard of the resume yet): ``resume_pending`` is what the pull asks.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.domain.quantity import check_quantity_milli
from app.domain.sync_protocol import MutationKind
from app.sales.cart import Cart
from app.sales.identity import this_register
from app.staff import active_staff
from db.base import new_id
from db.models import OutboxEntry, ParkedCart, Store

MAX_LABEL = 100
ENTITY = "parked_cart"


def park_cart(session: Session, *, cart: Cart, staff_id: str, label: str,
              now: datetime) -> ParkedCart:
    """Put ``cart`` aside for this store (any till may resume it); returns the stored row.
    An empty cart is refused (``field="lines"``); the label is cleaned, never refused."""
    if cart.is_empty:
        raise RuleViolation("the cart is empty: there is nothing to park", field="lines")
    store, register = this_register(session)
    staff = active_staff(session, staff_id, Permission.SELL)
    when = _aware(now)
    parked = ParkedCart(id=new_id(), store_id=store.id, register_id=register.id,
                        staff_id=staff.id, label=clean_label(label, store, when),
                        payload=cart.to_json(), created_at=when)
    session.add(parked)
    session.flush()
    outbox.enqueue(session, kind=MutationKind.CART_PARKED.value, entity_id=parked.id,
                   payload=parked_record(parked, register_code=register.code))
    audit.append(session, action="cart.parked", entity=ENTITY, entity_id=parked.id,
                 actor_id=staff.id, at=when,
                 details={"label": parked.label, "lines": len(cart.lines),
                          "register": register.code})
    return parked


def list_parked(session: Session) -> list[ParkedCart]:
    """This store's parked carts, from any till, oldest first."""
    store, _ = this_register(session)
    return list(session.scalars(select(ParkedCart).where(ParkedCart.store_id == store.id)
                                .order_by(ParkedCart.created_at, ParkedCart.id)))


def take_parked(session: Session, parked_id: str, *, staff_id: str, now: datetime) -> Cart:
    """Resume a parked cart: the row goes, ``cart.resumed`` is queued, the cart comes back.
    ``NotFound(field="parked")`` when it is no longer here (resumed on another till and
    synced since); a row whose cart cannot be read is refused and left as it is."""
    store, register = this_register(session)
    parked = session.get(ParkedCart, parked_id) if isinstance(parked_id, str) else None
    if parked is None or parked.store_id != store.id:
        raise NotFound("this parked cart is no longer here: it was resumed on another till",
                       field="parked")
    cart = read_cart(parked)
    staff = active_staff(session, staff_id, Permission.SELL)
    when = _aware(now)
    outbox.enqueue(session, kind=MutationKind.CART_RESUMED.value, entity_id=parked.id,
                   payload={"id": parked.id, "register_id": register.id, "staff_id": staff.id,
                            "label": parked.label, "at": when.isoformat()})
    audit.append(session, action="cart.resumed", entity=ENTITY, entity_id=parked.id,
                 actor_id=staff.id, at=when,
                 details={"label": parked.label, "lines": len(cart.lines),
                          "parked_on": parked.register_id, "register": register.code})
    session.delete(parked)
    session.flush()
    return cart


def read_cart(parked: ParkedCart) -> Cart:
    """The cart a parked row holds; ``RuleViolation(field="parked")`` naming the row when
    its payload is damaged (so a list of parked carts can show it without crashing)."""
    try:
        cart = Cart.from_json(parked.payload)
        for line in cart.lines:
            if not isinstance(line.variant_id, str) or not line.variant_id:
                raise ValueError("a line names no item")
            check_quantity_milli(line.quantity_milli)
    except (ValueError, KeyError, TypeError, AttributeError, InvalidInput) as exc:
        raise RuleViolation(f"the parked cart “{parked.label}” is damaged and cannot be "
                            f"resumed ({_why(exc)}); ask a manager to look at this till's "
                            "data", field="parked") from None
    return cart


def resume_pending(session: Session, parked_ids: list[str]) -> set[str]:
    """Which of ``parked_ids`` this till resumed and has not pushed yet."""
    if not parked_ids:
        return set()
    return set(session.scalars(select(OutboxEntry.entity_id).where(
        OutboxEntry.kind == MutationKind.CART_RESUMED.value,
        OutboxEntry.entity_id.in_(sorted(set(parked_ids))))))


def parked_record(parked: ParkedCart, *, register_code: str | None = None) -> dict:
    """The whole record as it travels (``cart.parked`` payload; the feed's view adds the
    register's code)."""
    record = {"id": parked.id, "store_id": parked.store_id, "register_id": parked.register_id,
              "staff_id": parked.staff_id, "label": parked.label,
              "cart": json.loads(parked.payload), "created_at": _aware(parked.created_at)
              .isoformat()}
    if register_code is not None:
        record["register_code"] = register_code
    return record


def clean_label(label: object, store: Store, now: datetime) -> str:
    """One line of printable text, at most MAX_LABEL characters (a longer one is cut with
    "…": a cashier's long name in "<name> — on hold" must not stop the till from parking);
    empty means "Parked HH:MM" in the store's time."""
    if label is not None and not isinstance(label, str):
        raise InvalidInput(f"must be text, not {type(label).__name__}", field="label")
    text = unicodedata.normalize("NFC", label or "")
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if not text:
        text = f"Parked {now.astimezone(_zone(store)).strftime('%H:%M')}"
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1].rstrip() + "…"


def _zone(store: Store) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(store.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInput("is not a date and time", field="now")
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing"
    return str(exc)[:120] or type(exc).__name__

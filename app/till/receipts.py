"""Emailed receipts: the till queues the request; the central server renders the receipt from
its own copy of the sale and sends it (a till has no mail server, and may be offline).

The request travels as ``receipt.email`` behind the sale's own ``order.created`` in the
outbox, so the server always has the sale when the request arrives. The address is checked
here with the customers' rule (the server's), so a typo is caught at the till, not refused
hours later. The journal does not record the address: it is hash-chained and can never be
erased, an email address must be.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import outbox
from app.customers import clean_field
from app.domain.errors import InvalidInput, NotFound
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.staff import active_staff
from db.models import Order


def email_receipt(session: Session, *, order_id: str, email: str, staff_id: str) -> str:
    """Queue the receipt of ``order_id`` for ``email``; returns what the cashier is told.
    Bad input raises with ``field`` ``email``, ``order`` or ``staff`` and queues nothing."""
    address = clean_field("email", email if email is not None else "")
    if address is None:
        raise InvalidInput("is required: the address to send the receipt to", field="email")
    order = session.get(Order, order_id) if isinstance(order_id, str) else None
    if order is None:
        raise NotFound(f"no sale {order_id} on this till", field="order")
    staff = active_staff(session, staff_id, Permission.SELL)
    outbox.enqueue(session, kind=MutationKind.RECEIPT_EMAIL.value, entity_id=order.id,
                   payload={"order_id": order.id, "number": order.number, "email": address,
                            "staff_id": staff.id})
    return f"Receipt queued for {address}"

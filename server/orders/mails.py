"""The texts of the order mails (confirmation, shipping), queued through the outbox with ids
derived from the order so a retried transaction queues each mail once."""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.money import format_amount
from app.domain.quantity import format_quantity
from server.mail.outbox import enqueue

Doc = dict[str, Any]


def _lines(order: Doc) -> str:
    cur = order["currency"]
    rows = [f"  {format_quantity(ln['quantity_milli'])} × {ln['name']}: "
            f"{format_amount(ln['total'], cur)} {cur}" for ln in order["lines"]]
    return "\n".join(rows)


def confirmation(db: Database, order: Doc, *, session: ClientSession) -> None:
    """"We have your order": lines, totals and what happens next."""
    if not order.get("email"):
        return
    cur = order["currency"]
    text = (f"Thank you for your order {order['number']}.\n\n{_lines(order)}\n\n"
            f"Discount: {format_amount(order['discount_total'], cur)} {cur}\n"
            f"Shipping: {format_amount(order['shipping_total'], cur)} {cur}\n"
            f"Total: {format_amount(order['total'], cur)} {cur} "
            f"(of which tax {format_amount(order['tax_total'], cur)} {cur})\n\n"
            "We will write again when it ships.\n")
    enqueue(db, to=order["email"], subject=f"Your order {order['number']}", text=text,
            kind="order_confirmation", session=session,
            mail_id=f"order-confirmation:{order['_id']}")


def shipped(db: Database, order: Doc, *, tracking_number: str | None,
            session: ClientSession) -> None:
    """"Your order is on its way", with the tracking number when there is one."""
    if not order.get("email"):
        return
    tracking = f"Tracking number: {tracking_number}\n" if tracking_number else ""
    text = (f"Your order {order['number']} has shipped.\n{tracking}\n{_lines(order)}\n")
    enqueue(db, to=order["email"], subject=f"Your order {order['number']} has shipped",
            text=text, kind="order_shipped", session=session,
            mail_id=f"order-shipped:{order['_id']}")

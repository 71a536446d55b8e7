"""Invoices from the Orders page: a sale rung up on this till gets its invoice from this
register's series (``app.invoices.issue_invoice``: once per sale, asking again gives the same
one, made out to the sale's customer); the page then prints it (the ``invoice`` document).

An online order gets no invoice from a till. The web shop took its payment and keeps its
lines, taxes and refunds, so its invoice belongs to the server's books; a till's series is
per register and issued offline, so two tills could each invoice the same online order, and
a refund made on the web shop would never get its credit note here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import NotFound, RuleViolation
from app.invoices import invoice_of_order, issue_invoice
from db.models import Order, RemoteOrder

WEB_INVOICE = ("an online order's invoice comes from the web shop, which took its payment "
               "and keeps its refunds: a till invoices only the sales it rang up")
OTHER_TILL_INVOICE = "this sale was rung up on another register: its invoice comes from there"


def invoice_refused(session: Session, order_id: str) -> str:
    """Why the order gets no invoice here ("" when it can)."""
    if session.get(Order, order_id) is not None:
        return ""
    remote = session.get(RemoteOrder, order_id)
    if remote is None:
        raise NotFound(f"no order {order_id}", field="order")
    return WEB_INVOICE if remote.channel == "online" else OTHER_TILL_INVOICE


def invoice_for(session: Session, *, order_id: str, staff_id: str) -> tuple[str, str]:
    """The (id, number) of the sale's invoice, issued now if it has none (``sale:sell``)."""
    refused = invoice_refused(session, order_id)
    if refused:
        raise RuleViolation(refused, field="order")
    invoice = issue_invoice(session, order_id, staff_id=staff_id)
    return invoice.id, invoice.number


def invoice_number(session: Session, order_id: str) -> str:
    found = invoice_of_order(session, order_id)
    return found.number if found is not None else ""

"""Refunds from the back office: lines and quantities of a sale rung up on this till, back to
its original tenders (``app.sales.refunds.refund``, which checks ``sale:refund`` in its
transaction), then the card shares sent to the card provider after the commit
(``app.payments.card_refunds``: network, so on the io worker) — money never leaves for a
refund the till did not record, and a share that fails stays pending, owed and retried.

Orders the server showed this till are not refunded here: an online order's money was taken
by the web shop (refund it there; the refund comes down with the order), another register's
sale by that register.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.back_office.orders.detail import ONLINE_REFUND, OTHER_TILL_REFUND
from app.domain.errors import DomainError, NotFound, RuleViolation
from app.payments import card_refunds
from app.sales.refunds import ReturnRequest, refund
from db.engine import LocalStore
from db.models import Order, RemoteOrder

PENDING = card_refunds.PENDING


@dataclass(frozen=True, slots=True)
class RefundDone:
    refund_id: str
    number: str
    amount: int
    cards_pending: bool  # card shares to send now (``send_card_refunds``)


def refund_order(session: Session, *, order_id: str, staff_id: str,
                 lines: dict[int, int] | None = None, reason: str = "") -> RefundDone:
    """Return ``lines`` ({line number: quantity in thousandths}; everything left when None)
    of this till's sale ``order_id`` and pay the money back to its tenders."""
    if session.get(Order, order_id) is None:
        remote = session.get(RemoteOrder, order_id)
        if remote is None:
            raise NotFound(f"no order {order_id}", field="order")
        raise RuleViolation(ONLINE_REFUND if remote.channel == "online" else OTHER_TILL_REFUND,
                            field="order")
    requests = None if lines is None else [ReturnRequest(n, q) for n, q in sorted(lines.items())
                                           if q]
    if requests == []:
        raise RuleViolation("choose what comes back: a quantity on at least one line",
                            field="lines")
    record = refund(session, order_ref=order_id, staff_id=staff_id, lines=requests,
                    reason=reason.strip()[:200])
    return RefundDone(record.id, record.number, record.amount,
                      any(p.status == PENDING for p in record.payments))


def send_card_refunds(store: LocalStore, settings, refund_id: str) -> list[str]:  # noqa: ANN001
    """Send the refund's pending card shares (io worker); the messages of those that failed
    (they stay pending: ``tillpoint refund --retry-cards`` sends them again)."""
    from app.payments.terminal import provider_for

    try:
        provider = provider_for(settings)
    except DomainError:
        provider = None
    outcomes = card_refunds.send(store, provider, refund_id, settings=settings)
    return [o.message for o in outcomes.values() if not o.succeeded]

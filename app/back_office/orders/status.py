"""Status changes from the back office, along the state machine only, for either kind of order.

This till's own sales move through ``app.orders.change_status`` (``order.status`` to the
server, audited). An order the server showed this till is the server's: its copy here moves
one step (``app.shipping.shipments.step_remote``, as a printed label moves it) and the
``order.status`` asks the server to do the same, based on the version the till saw — an order
changed online meanwhile (a customer who cancelled) comes back a conflict and the till takes
the server's view. The payload names the member of staff, so the server checks their
``orders:update`` again. ``refunded`` is never a move: only a refund, which pays the money
back, gets an order there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.errors import NotFound, RuleViolation
from app.domain.orders import OrderStatus, check_transition
from app.domain.permissions import Permission
from app.orders import change_status
from app.shipping.shipments import step_remote
from app.staff import active_staff
from db.base import utcnow
from db.models import Order, RemoteOrder

MAX_REASON = 200


def change_order_status(session: Session, *, order_id: str, target: str, staff_id: str,
                        reason: str = "", expected_version: int | None = None,
                        now: datetime | None = None) -> str:
    """Move the order ``order_id`` to ``target``; returns its new status. A move the state
    machine does not allow raises ``InvalidTransition`` naming the allowed ones; a stale
    ``expected_version`` (someone moved it since it was shown) is refused, field ``version``."""
    now = now or utcnow()
    reason = reason.strip()[:MAX_REASON]
    if session.get(Order, order_id) is not None:
        return change_status(session, order_ref=order_id, target=target, staff_id=staff_id,
                             reason=reason, expected_version=expected_version, now=now).status
    staff = active_staff(session, staff_id, Permission.ORDERS_UPDATE)
    remote = session.get(RemoteOrder, order_id)
    if remote is None:
        raise NotFound(f"no order {order_id}", field="order")
    if expected_version is not None and expected_version != remote.version:
        raise RuleViolation(f"order {remote.number} was changed meanwhile (version "
                            f"{remote.version}, not {expected_version}): reload it",
                            field="version")
    step = check_transition(remote.status, target)
    if step is OrderStatus.REFUNDED:
        raise RuleViolation("an order becomes refunded by refunding it, which pays the money back",
                            field="status")
    step_remote(session, remote, step, staff_id=staff.id, now=now,
                reason=reason or f"{step.value} in the back office",
                extra={"staff_id": staff.id})
    session.flush()
    return remote.status

"""Moving an order along the state machine, audited with who and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app import audit, outbox
from app.domain.permissions import Permission
from app.staff import active_staff
from app.domain.errors import RuleViolation
from app.domain.orders import OrderStatus, check_transition
from app.sales.refunds import find_order
from db.base import utcnow
from db.models import Order


def change_status(session: Session, *, order_ref: str, target: str, staff_id: str,
                  reason: str = "", expected_version: int | None = None,
                  now: datetime | None = None) -> Order:
    """Move an order to ``target`` if the state machine allows it (``InvalidTransition`` names
    the allowed moves otherwise). ``refunded`` is reached only through a refund, which returns
    the money; a stale ``expected_version`` is refused so two people cannot both move it."""
    now = now or utcnow()
    staff = active_staff(session, staff_id, Permission.ORDERS_UPDATE)
    order = find_order(session, order_ref)
    if expected_version is not None and expected_version != order.version:
        raise RuleViolation(f"order {order.number} was changed meanwhile (version {order.version}, "
                            f"not {expected_version}): reload it", field="version")
    new = check_transition(order.status, target)
    if new is OrderStatus.REFUNDED:
        raise RuleViolation("an order becomes refunded by refunding it, which pays the money back",
                            field="status")
    previous = order.status
    order.status = new.value
    order.version += 1
    order.updated_at = now
    outbox.enqueue(session, kind="order.status", entity_id=order.id,
                   payload={"order_id": order.id, "number": order.number, "from": previous,
                            "to": new.value, "version": order.version, "reason": reason[:200]})
    audit.append(session, action="order.status_changed", entity="order", entity_id=order.id,
                 actor_id=staff.id, details={"number": order.number, "from": previous,
                                             "to": new.value, "reason": reason[:200]}, at=now)
    return order

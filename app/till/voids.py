"""Voids: what was rung up and then taken off again, before the sale was paid.

A line removed from the cart (or the part of a line whose quantity was lowered) and a whole
cart abandoned are recorded with who did it and which manager approved it: a void is where
money goes missing at a till, so the Z-report counts them and the audit journal keeps them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app import audit
from app.domain.errors import InvalidInput
from db.models import VoidRecord

LINE, SALE = "line", "sale"
_ACTIONS = {LINE: "sale.line_voided", SALE: "sale.voided"}


def record_void(session: Session, *, scope: str, staff_id: str, approved_by: str | None,
                shift_id: str | None, register_id: str | None, amount: int,
                variant_id: str | None = None, quantity_milli: int = 0, reason: str = "",
                now: datetime) -> VoidRecord:
    """Write the void and its audit entry inside the caller's write transaction."""
    if scope not in _ACTIONS:
        raise InvalidInput(f"{scope!r} is not a void scope (line or sale)", field="scope")
    if amount < 0 or quantity_milli < 0:
        raise InvalidInput("a void cannot be negative", field="amount")
    record = VoidRecord(shift_id=shift_id, register_id=register_id, staff_id=staff_id,
                        approved_by=approved_by, scope=scope, variant_id=variant_id,
                        quantity_milli=quantity_milli, amount=amount, reason=reason[:200], at=now)
    session.add(record)
    session.flush()
    audit.append(session, action=_ACTIONS[scope], entity="void", entity_id=record.id,
                 actor_id=staff_id, approved_by=approved_by,
                 details={"shift": shift_id, "variant": variant_id,
                          "quantity_milli": quantity_milli, "amount": amount,
                          "reason": record.reason}, at=now)
    return record

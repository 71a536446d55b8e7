"""Stock: movements go into the ledger and the derived level moves with them, in one transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from db.base import new_id
from db.models import StockLevel, StockMovement

MOVEMENT_KINDS = ("sale", "return", "receipt", "adjustment", "count", "transfer")


def record_movement(session: Session, *, store_id: str, variant_id: str, quantity_milli: int,
                    kind: str, reason: str = "", order_id: str | None = None,
                    refund_id: str | None = None, staff_id: str | None = None) -> StockMovement:
    if kind not in MOVEMENT_KINDS:
        raise ValueError(f"unknown stock movement kind {kind!r}")
    movement = StockMovement(id=new_id(), store_id=store_id, variant_id=variant_id, quantity_milli=quantity_milli,
                             kind=kind, reason=reason, order_id=order_id, refund_id=refund_id,
                             staff_id=staff_id)
    session.add(movement)
    upsert = insert(StockLevel).values(store_id=store_id, variant_id=variant_id,
                                       quantity_milli=quantity_milli)
    session.execute(upsert.on_conflict_do_update(
        index_elements=[StockLevel.store_id, StockLevel.variant_id],
        set_={"quantity_milli": StockLevel.quantity_milli + quantity_milli}))
    return movement


def movement_payload(movement: StockMovement) -> dict:
    """How a movement travels inside an outbox payload: the server posts it under the same id."""
    return {"id": movement.id, "variant_id": movement.variant_id, "kind": movement.kind,
            "quantity_milli": movement.quantity_milli}


def level(session: Session, *, store_id: str, variant_id: str) -> int:
    value = session.scalar(select(StockLevel.quantity_milli).where(
        StockLevel.store_id == store_id, StockLevel.variant_id == variant_id))
    return value or 0

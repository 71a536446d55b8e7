"""Stock: movements go into the ledger and the derived level moves with them, in one transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from app import audit, outbox
from app.domain.errors import InvalidInput
from app.domain.permissions import Permission
from app.domain.quantity import MAX_QUANTITY_MILLI, MILLI
from app.domain.sync_protocol import MutationKind
from app.sales.identity import this_register
from app.staff import active_staff
from db.base import new_id
from db.models import StockLevel, StockMovement, Variant

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


#: What staff post by hand; sales and returns come only from checkout and refunds.
POSTED_KINDS = ("receipt", "adjustment", "count", "transfer")
MAX_REASON = 200


def _check_posted_quantity(kind: str, quantity_milli: object, *, by_weight: bool) -> int:
    if isinstance(quantity_milli, bool) or not isinstance(quantity_milli, int):
        raise InvalidInput(f"{quantity_milli!r} is not a whole number of milli-units",
                           field="quantity_milli")
    if abs(quantity_milli) > MAX_QUANTITY_MILLI:
        raise InvalidInput("is absurdly large", field="quantity_milli")
    if not by_weight and quantity_milli % MILLI:
        raise InvalidInput("must be whole units for items sold by the piece",
                           field="quantity_milli")
    if kind == "receipt" and quantity_milli <= 0:
        raise InvalidInput("a receipt brings stock in: more than zero", field="quantity_milli")
    if kind == "count" and quantity_milli < 0:
        raise InvalidInput("a count is what is on the shelf: zero or more",
                           field="quantity_milli")
    if kind in ("adjustment", "transfer") and quantity_milli == 0:
        raise InvalidInput(f"zero moves nothing: give the quantity the {kind} changes",
                           field="quantity_milli")
    return quantity_milli


def post_movement(session: Session, *, staff_id: str, variant_id: str, quantity_milli: int,
                  kind: str, reason: str = "") -> StockMovement:
    """A movement posted by staff: receipt (> 0), adjustment or transfer (signed: out is
    negative), or count (the quantity counted on the shelf; the ledger gets the difference from
    the level here, zero when the count agrees). Queued as ``stock.movement`` under the same id
    so the server posts it once, however often it is pushed."""
    staff = active_staff(session, staff_id, Permission.STOCK_WRITE)
    if kind not in POSTED_KINDS:
        raise InvalidInput(f"{kind!r} is not a kind staff post ({', '.join(POSTED_KINDS)})",
                           field="kind")
    variant = session.get(Variant, variant_id) if isinstance(variant_id, str) else None
    if variant is None:
        raise InvalidInput(f"no product variant {variant_id!r}", field="variant")
    quantity_milli = _check_posted_quantity(kind, quantity_milli,
                                            by_weight=variant.product.sold_by_weight)
    if not isinstance(reason, str) or len(reason.strip()) > MAX_REASON:
        raise InvalidInput(f"must be text of at most {MAX_REASON} characters", field="reason")
    store, _ = this_register(session)
    before = level(session, store_id=store.id, variant_id=variant.id)
    delta = quantity_milli - before if kind == "count" else quantity_milli
    movement = record_movement(session, store_id=store.id, variant_id=variant.id,
                               quantity_milli=delta, kind=kind, reason=reason.strip(),
                               staff_id=staff.id)
    session.flush()
    outbox.enqueue(session, kind=MutationKind.STOCK_MOVEMENT.value, entity_id=movement.id,
                   payload={"id": movement.id, "store_id": store.id, "variant_id": variant.id,
                            "kind": kind, "quantity_milli": delta, "reason": movement.reason,
                            "staff_id": staff.id, "at": movement.at.isoformat()})
    details = {"variant_id": variant.id, "sku": variant.sku, "kind": kind,
               "quantity_milli": delta, "level_before_milli": before, "reason": movement.reason}
    if kind == "count":
        details["counted_milli"] = quantity_milli
    audit.append(session, action="stock.movement_posted", entity="stock_movement",
                 entity_id=movement.id, actor_id=staff.id, details=details, at=movement.at)
    return movement

"""Adjustments with a reason: stock that was damaged, stolen or miscounted, put right by a
signed quantity (out is negative) through the ledger (``app.inventory.post_movement``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.back_office.stock.quantities import check_signed, parse_signed
from app.catalog import get_variant
from app.domain.errors import InvalidInput
from app.domain.permissions import Permission
from app.inventory import MAX_REASON, post_movement
from app.staff import active_staff
from db.models import StockMovement

REASONS = {"damage": "Damaged", "theft": "Stolen", "correction": "Correction",
           "other": "Other (say what)"}


def reason_text(reason: str, note: str = "") -> str:
    """The ledger's reason: ``damage``, ``theft: seen on camera``; "other" needs its note."""
    if reason not in REASONS:
        raise InvalidInput(f"{reason!r} is not a reason ({', '.join(REASONS)})", field="reason")
    note = (note or "").strip()
    if reason == "other" and not note:
        raise InvalidInput("say what happened when the reason is other", field="note")
    text = f"{reason}: {note}" if note else reason
    if len(text) > MAX_REASON:
        raise InvalidInput(f"at most {MAX_REASON - len(reason) - 2} characters", field="note")
    return text


def adjust(session: Session, *, staff_id: str, variant_id: str, quantity: object, reason: str,
           note: str = "") -> StockMovement:
    """Post one adjustment: ``quantity`` is signed text or milli-units ("-2", "+0.350" for a
    weighed item). Refused (nothing written) for a member of staff without ``stock:write``."""
    active_staff(session, staff_id, Permission.STOCK_WRITE)
    variant = get_variant(session, variant_id)
    if isinstance(quantity, int) and not isinstance(quantity, bool):
        milli = check_signed(quantity, by_weight=variant.product.sold_by_weight)
    else:
        milli = parse_signed(quantity, by_weight=variant.product.sold_by_weight)
    return post_movement(session, staff_id=staff_id, variant_id=variant.id, quantity_milli=milli,
                         kind="adjustment", reason=reason_text(reason, note))

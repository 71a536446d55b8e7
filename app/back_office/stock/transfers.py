"""Transfers out of this store into another store of the chain.

The goods leave here at once: one ``transfer`` movement per line (negative) in this store's
ledger, and ONE ``stock.transfer`` mutation for the whole transfer, carrying those movements
(so the push marks them synced as it does a sale's). The server books the same movements out
of this store and the matching ones into the other store (``server.sync.handlers.
stock_admin``); that store's tills see the goods arrive through their own store feed. The
stores to send to are the chain's stores this till knows (the local ``stores`` table)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.catalog import find_code, get_variant
from app.domain.decimals import scaled_int, to_decimal
from app.domain.errors import InvalidInput, NotFound
from app.domain.permissions import Permission
from app.domain.quantity import check_quantity_milli
from app.domain.sync_protocol import MutationKind
from app.inventory import movement_payload, record_movement
from app.sales.identity import this_register
from app.staff import active_staff
from db.base import new_id
from db.models import Store, Variant

MAX_LINES, MAX_NOTE = 1000, 150


def other_stores(session: Session) -> list[tuple[str, str]]:
    """(id, "S02 Harbour Street") of the chain's other stores, by code."""
    here, _ = this_register(session)
    return [(sid, f"{code} {name}") for sid, code, name in session.execute(
        select(Store.id, Store.code, Store.name).where(Store.id != here.id).order_by(Store.code))]


def _quantity(value: object, by_weight: bool, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        milli = value
    else:
        milli = scaled_int(to_decimal(value, field=field, what="a quantity"), 3, field=field,
                           too_precise=f"{str(value)[:40]!r} has more than three decimal places")
    return check_quantity_milli(milli, field=field, allow_fraction=by_weight)


def transfer(session: Session, *, staff_id: str, to_store_id: str,
             lines: list[tuple[str, object]], note: str = "") -> str:
    """Send goods to ``to_store_id``: ``lines`` are (variant id, barcode or SKU; quantity
    going out, positive). All or nothing; returns the transfer's id (the mutation's entity)."""
    staff = active_staff(session, staff_id, Permission.STOCK_WRITE)
    here, _ = this_register(session)
    target = session.get(Store, to_store_id) if isinstance(to_store_id, str) else None
    if target is None:
        raise NotFound(f"no store {to_store_id!r} in this chain", field="to_store")
    if target.id == here.id:
        raise InvalidInput("a transfer goes to another store, not this one", field="to_store")
    if not isinstance(note, str) or len(note.strip()) > MAX_NOTE:
        raise InvalidInput(f"at most {MAX_NOTE} characters", field="note")
    if not lines:
        raise InvalidInput("a transfer sends at least one item", field="lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} lines", field="lines")
    going: dict[str, int] = {}
    for n, (item, quantity) in enumerate(lines, start=1):
        field = f"lines[{n}]"
        variant = None
        if isinstance(item, str) and len(item) == 36:
            variant = session.get(Variant, item)
        if variant is None:
            variant = find_code(session, item, field=f"{field}.item").variant
        milli = _quantity(quantity, variant.product.sold_by_weight, f"{field}.quantity")
        going[variant.id] = going.get(variant.id, 0) + milli
    transfer_id = new_id()
    reason = f"transfer to {target.code} {target.name}"
    if note.strip():
        reason += f": {note.strip()}"
    reason = reason[:200]
    movements = [record_movement(session, store_id=here.id, variant_id=variant_id,
                                 quantity_milli=-milli, kind="transfer", reason=reason,
                                 staff_id=staff.id)
                 for variant_id, milli in going.items()]
    session.flush()
    outbox.enqueue(session, kind=MutationKind.STOCK_TRANSFER.value, entity_id=transfer_id,
                   payload={"id": transfer_id, "store_id": here.id, "to_store_id": target.id,
                            "staff_id": staff.id, "reason": reason,
                            "at": movements[0].at.isoformat(),
                            "stock_movements": [movement_payload(m) for m in movements]})
    audit.append(session, action="stock.transfer_sent", entity="stock_transfer",
                 entity_id=transfer_id, actor_id=staff.id,
                 details={"to_store_id": target.id, "reason": reason,
                          "lines": [{"variant_id": v, "quantity_milli": q,
                                     "sku": get_variant(session, v).sku}
                                    for v, q in going.items()]})
    return transfer_id

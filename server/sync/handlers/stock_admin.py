"""The back office's ``stock.transfer`` (see ``base`` for the rules every handler keeps):
goods sent from the device's store to another store of the chain.

The payload carries the movements the till booked out of its own ledger (``stock_movements``:
``kind: transfer``, negative). They are posted here as ``transfer_out`` under the till's ids,
and each gets its twin ``transfer_in`` at the receiving store under an id derived from the
out movement's (so a replay, or the same transfer sent twice, books nothing more). Both
stores' feeds carry the new levels. The member of staff must hold ``stock:write`` at the
sending store. Everything is checked before the first write.

``HANDLERS`` maps each kind to its handler; ``server.sync.handlers`` merges it into the table
the push applies."""

from __future__ import annotations

import uuid

from app.domain.errors import InvalidInput
from app.domain.permissions import Permission
from app.domain.quantity import check_quantity_milli
from app.domain.sync_protocol import MutationKind, Status
from server.catalog.lookup import sellable_variants
from server.inventory import service as inventory
from server.sync.handlers.base import Context, Outcome, Refused
from server.sync.handlers.common import MAX_ID, identifier, is_int, require_staff, same_store, text

MAX_LINES = 1000
#: namespace of a transfer's incoming movement ids (derived from the outgoing movement's id)
_INBOUND = uuid.UUID("5d0c7a4e-2f1b-4c8e-a6d3-9b7e0f4c2a11")


def inbound_id(out_movement_id: str) -> str:
    return str(uuid.uuid5(_INBOUND, out_movement_id))


def _lines(ctx: Context) -> list[tuple[str, str, int]]:
    """(movement id, variant id, quantity out: negative) of each carried movement."""
    raw = ctx.payload.get("stock_movements")
    if not isinstance(raw, list) or not raw:
        raise Refused("payload.stock_movements: a transfer carries at least one movement")
    if len(raw) > MAX_LINES:
        raise Refused(f"payload.stock_movements: at most {MAX_LINES}")
    found, seen = [], set()
    for n, item in enumerate(raw):
        where = f"payload.stock_movements[{n}]"
        if not isinstance(item, dict):
            raise Refused(f"{where}: must be an object")
        movement_id = identifier(item.get("id"), f"{where}.id")
        variant_id = identifier(item.get("variant_id"), f"{where}.variant_id")
        quantity = item.get("quantity_milli")
        if item.get("kind") != "transfer":
            raise Refused(f"{where}.kind: must be transfer")
        if not is_int(quantity) or quantity >= 0:
            raise Refused(f"{where}.quantity_milli: goods sent away leave the store: below zero")
        if movement_id in seen:
            raise Refused(f"{where}.id: {movement_id} is named twice")
        seen.add(movement_id)
        found.append((movement_id, variant_id, quantity))
    return found


def stock_transfer(ctx: Context) -> Outcome:
    payload = ctx.payload
    transfer_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    same_store(ctx, payload.get("store_id"))
    to_store = identifier(payload.get("to_store_id"), "payload.to_store_id")
    if to_store == ctx.store_id:
        raise Refused("payload.to_store_id: a transfer goes to another store")
    reason = text(payload.get("reason"), "payload.reason", max_length=200) or "transfer"
    lines = _lines(ctx)
    principal = require_staff(ctx, Permission.STOCK_WRITE)
    target = ctx.db.stores.find_one({"_id": to_store}, {"code": 1}, session=ctx.session)
    if target is None:
        raise Refused(f"payload.to_store_id: no store {to_store} in this chain")
    variants = sellable_variants(ctx.db, [v for _, v, _ in lines], currency=ctx.currency,
                                 session=ctx.session)
    for n, (_, variant_id, quantity) in enumerate(lines):
        variant = variants.get(variant_id)
        if variant is None:
            raise Refused(f"payload.stock_movements[{n}].variant_id: no product variant "
                          f"{variant_id} in the catalogue")
        try:
            check_quantity_milli(-quantity, field=f"payload.stock_movements[{n}].quantity_milli",
                                 allow_fraction=variant.sold_by_weight)
        except InvalidInput as exc:
            raise Refused(str(exc)) from None
    reference = {"type": "stock_transfer", "id": transfer_id[:MAX_ID]}
    actor = principal.actor
    sent = [inventory.MovementIn(movement_id, variants[variant_id].product_id, variant_id,
                                 "transfer_out", quantity, reason, reference, actor,
                                 {"to_store_id": to_store, "device_id": ctx.principal.id})
            for movement_id, variant_id, quantity in lines]
    arrived = [inventory.MovementIn(inbound_id(movement_id), variants[variant_id].product_id,
                                    variant_id, "transfer_in", -quantity, reason, reference,
                                    actor, {"from_store_id": ctx.store_id,
                                            "device_id": ctx.principal.id})
               for movement_id, variant_id, quantity in lines]
    inventory.record_movements(ctx.db, session=ctx.session, store_id=ctx.store_id, movements=sent)
    inventory.record_movements(ctx.db, session=ctx.session, store_id=to_store, movements=arrived)
    return Outcome(Status.APPLIED)


HANDLERS: dict = {MutationKind.STOCK_TRANSFER.value: stock_transfer}

"""``stock.movement``: a receipt, adjustment, count or transfer booked at a till. Posted to the
ledger under the till's id (so a replay moves nothing), by a staff member holding
``stock:write``. A count carries the difference the till computed from its own ledger, which
is what makes the server's level converge with every till's: the server never recomputes it
from its own level. A transfer's sign says its direction (out of this store or into it)."""

from __future__ import annotations

from app.domain.errors import InvalidInput
from app.domain.permissions import Permission
from app.domain.quantity import check_quantity_milli
from app.domain.sync_protocol import Status
from server.catalog.lookup import sellable_variants
from server.errors import ApiError
from server.inventory import service as inventory
from server.sync.handlers.base import Context, Outcome, Refused
from server.sync.handlers.common import identifier, is_int, require_staff, same_store, text

TILL_KINDS = ("receipt", "adjustment", "count", "transfer")


def stock_movement(ctx: Context) -> Outcome:
    payload = ctx.payload
    movement_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    same_store(ctx, payload.get("store_id"))
    kind, quantity = _kind(payload.get("kind"), payload.get("quantity_milli"))
    reason = text(payload.get("reason"), "payload.reason", max_length=200)
    variant_id = identifier(payload.get("variant_id"), "payload.variant_id")
    principal = require_staff(ctx, Permission.STOCK_WRITE)
    variant = sellable_variants(ctx.db, [variant_id], currency=ctx.currency,
                                session=ctx.session).get(variant_id)
    if variant is None:
        raise Refused(f"payload.variant_id: no product variant {variant_id} in the catalogue")
    try:
        check_quantity_milli(abs(quantity) or 1000, field="payload.quantity_milli",
                             allow_fraction=variant.sold_by_weight)
        inventory.check_movement(kind, quantity)
    except InvalidInput as exc:
        raise Refused(str(exc)) from None
    except ApiError as exc:
        raise Refused(f"payload.{exc.message}") from None
    inventory.record_movement(
        ctx.db, session=ctx.session, store_id=ctx.store_id, product_id=variant.product_id,
        variant_id=variant_id, kind=kind, quantity_milli=quantity,
        reason=reason or payload.get("kind"), actor=principal.actor, movement_id=movement_id,
        details={"device_id": ctx.principal.id, "till_kind": payload.get("kind"),
                 "till_at": payload.get("at") if isinstance(payload.get("at"), str) else None})
    return Outcome(Status.APPLIED)


def _kind(kind: object, quantity: object) -> tuple[str, int]:
    """The ledger's kind for the till's (a transfer becomes ``transfer_out`` or
    ``transfer_in`` by its sign) and the quantity."""
    if kind not in TILL_KINDS:
        raise Refused(f"payload.kind: {kind!r} is not a till movement kind "
                      f"({', '.join(TILL_KINDS)})")
    if not is_int(quantity):
        raise Refused("payload.quantity_milli: must be a whole number of milli-units")
    if kind == "transfer":
        if quantity == 0:
            raise Refused("payload.quantity_milli: a transfer moves something")
        return ("transfer_out" if quantity < 0 else "transfer_in"), quantity
    return str(kind), quantity

"""``order.created``: a completed, paid till sale. Never rejected for business reasons (the
sale happened, the money was taken): what does not add up becomes a flag on the order. The
till's stock movements are posted under the till's ids, so the same order arriving twice
(another mutation, another batch) moves stock once; selling more than the server knows of is
allowed (a shop cannot refuse a customer at the till) and flags the order with the SKU."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.domain.quantity import format_quantity
from app.domain.sync_protocol import Status
from server.catalog.lookup import SellableVariant, sellable_variants
from server.inventory import service as inventory
from server.orders import service as orders
from server.sync.handlers.base import Context, Doc, Outcome
from server.sync.handlers.common import (CarriedMovement, carried_movements, identifier,
                                         is_int, same_store)

_DISCOUNTS = ("line_discount", "order_discount", "coupon_discount")
_ORDER_DISCOUNTS = ("line_discount_total", "order_discount_total", "coupon_discount_total")


def order_created(ctx: Context) -> Outcome:
    payload = ctx.payload
    order_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    same_store(ctx, payload.get("store_id"))
    if ctx.db.orders.find_one({"_id": order_id}, {"_id": 1}, session=ctx.session) is not None:
        return Outcome(Status.APPLIED)  # recorded from an earlier mutation: nothing moves again
    flags: list[str] = []
    if order_id != ctx.mutation.entity_id:
        flags.append(f"entity_id {ctx.mutation.entity_id} differs from the order's id")
    movements = carried_movements(ctx, "sale", flags)
    raw_lines = payload.get("lines") if isinstance(payload.get("lines"), list) else []
    wanted = {str(raw.get("variant_id")) for raw in raw_lines
              if isinstance(raw, dict) and raw.get("variant_id")}
    known = sellable_variants(ctx.db, wanted | {m.variant_id for m in movements},
                              currency=ctx.currency, session=ctx.session)
    lines = [_line(n, raw, known, flags) for n, raw in enumerate(raw_lines)]
    movements = _postable(movements, known, flags)
    flags += _oversold(ctx, movements, known)
    orders.record_till_order(ctx.db, session=ctx.session,
                             order=_order(ctx, order_id, lines, flags))
    post_movements(ctx, movements, known, kind="sale", reason="sold at the till",
                   reference={"type": "order", "id": order_id},
                   actor=staff_actor(ctx, payload.get("staff_id")))
    orders.attach_till_refunds(ctx.db, session=ctx.session, order_id=order_id)
    return Outcome(Status.APPLIED)


def _sum(values: list[Any]) -> int | None:
    return sum(values) if all(is_int(v) for v in values) else None


def _line(n: int, raw: Any, known: dict[str, SellableVariant], flags: list[str]) -> Doc:
    """A till line in the shape ``record_till_order`` takes, with the catalogue's product,
    category and brand for its variant (an unknown variant is flagged, the line kept)."""
    raw = raw if isinstance(raw, dict) else {}
    variant = known.get(str(raw.get("variant_id")))
    if raw.get("variant_id") and variant is None:
        flags.append(f"lines[{n}]: unknown variant {raw.get('variant_id')} "
                     f"(SKU {raw.get('sku') or '?'})")
    discount = _sum([raw.get(name, 0) for name in _DISCOUNTS])
    return {"variant_id": raw.get("variant_id"), "sku": raw.get("sku"), "name": raw.get("name"),
            "product_id": variant.product_id if variant else None,
            "category_id": variant.category_id if variant else None,
            "brand": variant.brand if variant else "",
            "quantity_milli": raw.get("quantity_milli"), "unit_price": raw.get("unit_price"),
            "gross": raw.get("gross"), "discount": discount, "tax": raw.get("tax"),
            "total": raw.get("total"), "taxes": _taxes(raw.get("taxes"))}


def _taxes(raw: Any) -> list[Doc]:
    """The tax parts as the till computed them (only their known fields are stored)."""
    if not isinstance(raw, list):
        return []
    return [{"name": str(t.get("name") or "")[:100], "rate_ppm": t.get("rate_ppm"),
             "taxable": t.get("taxable"), "tax": t.get("tax")}
            for t in raw if isinstance(t, dict)]


def _order(ctx: Context, order_id: str, lines: list[Doc], flags: list[str]) -> Doc:
    payload = ctx.payload
    currency = payload.get("currency") or ctx.currency
    if currency != ctx.currency:
        flags.append(f"currency {currency} is not the store's ({ctx.currency})")
    payments = payload.get("payments") if isinstance(payload.get("payments"), list) else []
    return {"id": order_id, "number": payload.get("number"), "store_id": ctx.store_id,
            "register_id": payload.get("register_id") or ctx.principal.register_id,
            "cashier_id": payload.get("staff_id"), "customer_id": payload.get("customer_id"),
            "email": None, "coupon_code": payload.get("coupon_code"), "currency": currency,
            "prices_include_tax": payload.get("prices_include_tax", True),
            "created_at": payload.get("created_at"), "subtotal": payload.get("subtotal"),
            "discount_total": _sum([payload.get(name, 0) for name in _ORDER_DISCOUNTS]),
            "tax_total": payload.get("tax_total"), "total": payload.get("total"),
            "payments": [{"id": p.get("id"), "method": p.get("method"),
                          "amount": p.get("amount"), "status": "succeeded",
                          "provider_ref": p.get("reference")}
                         for p in payments if isinstance(p, dict)],
            "lines": lines, "flags": flags}


def _postable(movements: list[CarriedMovement], known: dict[str, SellableVariant],
              flags: list[str]) -> list[CarriedMovement]:
    kept = []
    for movement in movements:
        if movement.variant_id in known:
            kept.append(movement)
        else:
            flags.append(f"stock movement {movement.movement_id}: unknown variant "
                         f"{movement.variant_id}, not posted")
    return kept


def _oversold(ctx: Context, movements: list[CarriedMovement],
              known: dict[str, SellableVariant]) -> list[str]:
    """One flag per variant whose level this sale takes below zero."""
    moved: dict[str, int] = defaultdict(int)
    for movement in movements:
        moved[movement.variant_id] += movement.quantity_milli
    levels = inventory.levels_for(ctx.db, store_id=ctx.store_id, variant_ids=list(moved),
                                  session=ctx.session)
    flags = []
    for variant_id, quantity in moved.items():
        after = int((levels.get(variant_id) or {}).get("on_hand_milli", 0)) + quantity
        if after < 0:
            flags.append(f"oversold {known[variant_id].sku}: {format_quantity(-after)} more "
                         "sold than the store had")
    return flags


def staff_actor(ctx: Context, staff_id: Any) -> str:
    """Who a till's sale or refund is attributed to: its staff member, else the device."""
    return f"user:{staff_id}" if isinstance(staff_id, str) and staff_id else ctx.device_actor


def post_movements(ctx: Context, movements: list[CarriedMovement],
                   known: dict[str, SellableVariant], *, kind: str, reason: str,
                   reference: Doc, actor: str) -> None:
    for movement in movements:
        inventory.record_movement(
            ctx.db, session=ctx.session, store_id=ctx.store_id,
            product_id=known[movement.variant_id].product_id, variant_id=movement.variant_id,
            kind=kind, quantity_milli=movement.quantity_milli, reason=reason,
            reference=reference, actor=actor, movement_id=movement.movement_id,
            details={"device_id": ctx.principal.id})

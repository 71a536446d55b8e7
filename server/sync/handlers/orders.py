"""``order.created``: a completed, paid till sale. Never rejected for business reasons (the
sale happened, the money was taken): what does not add up becomes a flag on the order. The
till's stock movements are posted under the till's ids, so the same order arriving twice
(another mutation, another batch) moves stock once; selling more than the server knows of is
allowed (a shop cannot refuse a customer at the till) and flags the order with the SKU."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from app.domain.quantity import format_quantity
from app.domain.sync_protocol import Status
from server.catalog.lookup import SellableVariant, sellable_variants
from server.changes.log import Pending
from server.inventory import service as inventory
from server.orders import service as orders
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import (CarriedMovement, carried_movements, identifier,
                                         is_int, same_store)

_DISCOUNTS = ("line_discount", "order_discount", "coupon_discount")
_ORDER_DISCOUNTS = ("line_discount_total", "order_discount_total", "coupon_discount_total")


@dataclass
class _Sale:
    """One order.created of a run, as its checks left it."""

    ctx: Context
    order_id: str
    flags: list[str] = field(default_factory=list)
    movements: list[CarriedMovement] = field(default_factory=list)


def order_created(ctx: Context) -> Outcome:
    return orders_created([ctx])[0]


def orders_created(ctxs: list[Context]) -> list[Outcome]:
    """A run of consecutive ``order.created`` mutations of one batch, in a few round trips
    whatever their number: every sale is checked and mapped first (reads: the known orders,
    the catalogue, the levels), then all are written at once (orders, rollups, movements,
    levels, one feed update)."""
    first = ctxs[0]
    outcomes: list[Outcome] = [Outcome(Status.APPLIED) for _ in ctxs]
    sales: list[_Sale] = []
    for n, ctx in enumerate(ctxs):
        try:
            order_id = identifier(ctx.payload.get("id") or ctx.mutation.entity_id, "payload.id")
            same_store(ctx, ctx.payload.get("store_id"))
        except Refused as refused:
            outcomes[n] = Outcome(Status.REJECTED, reason=refused.reason)
            continue
        sales.append(_Sale(ctx, order_id))
    sales = _new(first, sales)  # an order recorded before moves nothing again
    for sale in sales:
        if sale.order_id != sale.ctx.mutation.entity_id:
            sale.flags.append(f"entity_id {sale.ctx.mutation.entity_id} differs from the "
                              "order's id")
        sale.movements = carried_movements(sale.ctx, "sale", sale.flags)
    wanted = {m.variant_id for sale in sales for m in sale.movements}
    for sale in sales:
        wanted |= {str(raw.get("variant_id")) for raw in _raw_lines(sale.ctx)
                   if isinstance(raw, dict) and raw.get("variant_id")}
    known = sellable_variants(first.db, wanted, currency=first.currency, session=first.session)
    docs = []
    for sale in sales:
        lines = [_line(n, raw, known, sale.flags) for n, raw in enumerate(_raw_lines(sale.ctx))]
        sale.movements = _postable(sale.movements, known, sale.flags)
        docs.append((sale, lines))
    levels = _flag_oversold(first, sales, known)
    if not sales:
        return outcomes
    pending = Pending()
    orders.record_till_orders(first.db, session=first.session, pending=pending, orders=[
        _order(sale.ctx, sale.order_id, lines, sale.flags) for sale, lines in docs])
    inventory.record_movements(first.db, session=first.session, store_id=first.store_id,
                               pending=pending, levels=levels, movements=[
        inventory.MovementIn(m.movement_id, known[m.variant_id].product_id, m.variant_id,
                             "sale", m.quantity_milli, reason="sold at the till",
                             reference={"type": "order", "id": sale.order_id},
                             actor=staff_actor(sale.ctx, sale.ctx.payload.get("staff_id")),
                             details={"device_id": sale.ctx.principal.id})
        for sale in sales for m in sale.movements])
    pending.flush(first.db, session=first.session)
    _attach_refunds(first, [sale.order_id for sale in sales])
    return outcomes


def _raw_lines(ctx: Context) -> list[Any]:
    lines = ctx.payload.get("lines")
    return lines if isinstance(lines, list) else []


def _new(first: Context, sales: list[_Sale]) -> list[_Sale]:
    """The sales the server does not have yet (one read), each once."""
    ids = sorted({sale.order_id for sale in sales})
    seen = {d["_id"] for d in first.db.orders.find({"_id": {"$in": ids}}, {"_id": 1},
                                                   session=first.session)} if ids else set()
    fresh = []
    for sale in sales:
        if sale.order_id not in seen:
            seen.add(sale.order_id)
            fresh.append(sale)
    return fresh


def _attach_refunds(first: Context, order_ids: list[str]) -> None:
    """Refunds given at another till that reached the server before these orders."""
    if not order_ids:
        return
    waiting = {r["order_id"] for r in first.db.refunds.find(
        {"order_id": {"$in": sorted(order_ids)}}, {"order_id": 1, "applied_to_order": 1},
        session=first.session) if r.get("applied_to_order") is False}
    for order_id in sorted(waiting):
        orders.attach_till_refunds(first.db, session=first.session, order_id=order_id)


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
                          "provider_ref": p.get("reference"), "tendered": p.get("tendered"),
                          "card_brand": p.get("card_brand"), "card_last4": p.get("card_last4")}
                         for p in payments if isinstance(p, dict)],
            "change_given": payload.get("change_given"),
            "fulfilment": payload.get("fulfilment"), "ship_to": payload.get("ship_to"),
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


def _flag_oversold(first: Context, sales: list[_Sale],
                   known: dict[str, SellableVariant]) -> dict[str, Doc]:
    """Flag each sale that takes a level below zero, naming the SKU; the sales of a run
    count in order, each after the ones before it. Returns the levels it read."""
    variant_ids = sorted({m.variant_id for sale in sales for m in sale.movements})
    levels = inventory.levels_for(first.db, store_id=first.store_id, variant_ids=variant_ids,
                                  session=first.session)
    on_hand = {v: int((levels.get(v) or {}).get("on_hand_milli", 0)) for v in variant_ids}
    for sale in sales:
        moved: dict[str, int] = defaultdict(int)
        for movement in sale.movements:
            moved[movement.variant_id] += movement.quantity_milli
        for variant_id, quantity in moved.items():
            on_hand[variant_id] += quantity
            if on_hand[variant_id] < 0:
                sale.flags.append(f"oversold {known[variant_id].sku}: "
                                  f"{format_quantity(-on_hand[variant_id])} more sold than the "
                                  "store had")
    return levels


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

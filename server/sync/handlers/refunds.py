"""``refund.created``: money a till gave back. Never rejected for business reasons: recorded
append-only, idempotent per refund id, its order's refunded figures moved; an order the server
does not have yet (sold at another till that has not synced) is flagged ``order_unknown`` and
caught up when it arrives. The returned goods' movements are posted under the till's ids."""

from __future__ import annotations

from typing import Any

from app.domain.sync_protocol import Status
from server.catalog.lookup import sellable_variants
from server.orders import service as orders
from server.sync.handlers.base import Context, Doc, Outcome
from server.sync.handlers.common import (carried_movements, identifier, is_int, parse_time,
                                         same_store, section)
from server.sync.handlers.orders import post_movements, staff_actor


def refund_created(ctx: Context) -> Outcome:
    refund = section(ctx.payload, "refund")
    order = ctx.payload.get("order") if isinstance(ctx.payload.get("order"), dict) else {}
    refund_id = identifier(refund.get("id") or ctx.mutation.entity_id, "payload.refund.id")
    order_id = identifier(refund.get("order_id") or order.get("id"), "payload.refund.order_id")
    same_store(ctx, order.get("store_id"), "payload.order.store_id")
    if ctx.db.refunds.find_one({"_id": refund_id}, {"_id": 1}, session=ctx.session):
        return Outcome(Status.APPLIED)  # recorded from an earlier mutation
    flags: list[str] = []
    movements = carried_movements(ctx, "return", flags)
    known = sellable_variants(ctx.db, {m.variant_id for m in movements}, currency=ctx.currency,
                              session=ctx.session)
    for movement in movements:
        if movement.variant_id not in known:
            flags.append(f"stock movement {movement.movement_id}: unknown variant "
                         f"{movement.variant_id}, not posted")
    movements = [m for m in movements if m.variant_id in known]
    actor = staff_actor(ctx, refund.get("staff_id"))
    orders.record_till_refund(ctx.db, session=ctx.session, refund=_refund(
        ctx, refund_id, order_id, refund, order, actor, flags))
    post_movements(ctx, movements, known, kind="return", reason="returned at the till",
                   reference={"type": "refund", "id": refund_id, "order_id": order_id},
                   actor=actor)
    return Outcome(Status.APPLIED)


def _whole(value: Any, field: str, flags: list[str]) -> int:
    if is_int(value):
        return value
    flags.append(f"{field}: missing or not a whole number, counted as 0")
    return 0


def _lines(refund: Doc, order: Doc, flags: list[str]) -> list[Doc]:
    """Refund lines naming the order line they return by its position (what the server's
    copy of a till order keeps) and its variant, both read from the till's order."""
    sold = order.get("lines") if isinstance(order.get("lines"), list) else []
    position = {line.get("id"): (n, line.get("variant_id"))
                for n, line in enumerate(sold) if isinstance(line, dict)}
    lines = []
    for n, raw in enumerate(refund.get("lines") or []):
        raw = raw if isinstance(raw, dict) else {}
        index, variant_id = position.get(raw.get("order_line_id"), (None, None))
        lines.append({"index": index, "order_line_id": raw.get("order_line_id"),
                      "variant_id": variant_id,
                      "quantity_milli": _whole(raw.get("quantity_milli"),
                                               f"lines[{n}].quantity_milli", flags),
                      "amount": _whole(raw.get("amount"), f"lines[{n}].amount", flags),
                      "tax": _whole(raw.get("tax"), f"lines[{n}].tax", flags)})
    return lines


def _refund(ctx: Context, refund_id: str, order_id: str, refund: Doc, order: Doc, actor: str,
            flags: list[str]) -> Doc:
    at = parse_time(refund.get("created_at"))
    if at is None:
        flags.append("created_at: missing or not a date, the time it arrived is used")
    tenders = [{"payment_id": p.get("payment_id"), "method": str(p.get("method") or "unknown"),
                "amount": _whole(p.get("amount"), f"payments[{n}].amount", flags)}
               for n, p in enumerate(refund.get("payments") or []) if isinstance(p, dict)]
    return {"id": refund_id, "order_id": order_id, "number": refund.get("number"),
            "store_id": ctx.store_id,
            "register_id": ctx.principal.register_id,  # the till that gave the money back
            "lines": _lines(refund, order, flags),
            "amount": _whole(refund.get("amount"), "amount", flags), "tenders": tenders,
            "reason": str(refund.get("reason") or "")[:200], "actor": actor,
            "at": at or ctx.now, "flags": flags}

"""``cart.parked`` and ``cart.resumed``: carts put aside at one till of a store and taken at
any (``server.carts.parked`` keeps them and feeds them to the store's tills).

Parking needs a staff member who may sell; the cart is checked line by line and kept in the
shape every till reads back (``app.sales.cart.Cart.from_json``). A resume is the fact that a
till took the cart, so it is never refused for who did it: only a cart another till took
first is refused, with that register and time, because the cashier holding the second copy
must check the other till (the same goods may have been sold there). Both are deterministic
on the documents they read, as a retried transaction requires."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.errors import InvalidInput
from app.domain.money import check_minor
from app.domain.permissions import Permission
from app.domain.pricing import DiscountKind
from app.domain.quantity import check_quantity_milli
from app.domain.rates import check_ppm
from app.domain.sync_protocol import Status
from server.carts import parked as parked_carts
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import (identifier, parse_time, require_staff, same_store,
                                         staff_id_of, text)

MAX_LINES = 500
MAX_LABEL = 100
PRICE_SOURCES = ("catalogue", "label", "override")


def cart_parked(ctx: Context) -> Outcome:
    payload = ctx.payload
    cart_id = _cart_id(ctx)
    same_store(ctx, payload.get("store_id"))
    _own_register(ctx, payload.get("register_id"))
    label = text(payload.get("label"), "payload.label", max_length=MAX_LABEL).strip()
    cart = _cart(payload.get("cart"))
    staff = require_staff(ctx, Permission.SELL)
    earlier = parked_carts.get(ctx.db, cart_id, ctx.session)
    if earlier is not None and earlier.get("store_id") != ctx.store_id:
        raise Refused(f"payload.id: parked cart {cart_id} belongs to another store")
    if earlier is not None and earlier.get("status") == parked_carts.RESUMED:
        raise Refused(f"payload.id: this cart was {_taken(ctx, earlier)}; it is not parked "
                      "again")
    parked_carts.store_parked(ctx.db, ctx.session, {
        "_id": cart_id, "store_id": ctx.store_id, "register_id": ctx.principal.register_id,
        "register_code": _register_code(ctx, ctx.principal.register_id),
        "staff_id": staff.id, "label": label, "cart": cart,
        "created_at": parse_time(payload.get("created_at")) or ctx.now}, now=ctx.now)
    return Outcome(Status.APPLIED)


def cart_resumed(ctx: Context) -> Outcome:
    payload = ctx.payload
    cart_id = _cart_id(ctx)
    _own_register(ctx, payload.get("register_id"))
    staff_id = staff_id_of(ctx)
    if staff_id is not None:
        identifier(staff_id, "payload.staff_id")
    earlier = parked_carts.get(ctx.db, cart_id, ctx.session)
    if earlier is not None and earlier.get("store_id") != ctx.store_id:
        raise Refused(f"payload.id: parked cart {cart_id} belongs to another store")
    if earlier is not None and earlier.get("status") == parked_carts.RESUMED:
        raise Refused(f"{_taken(ctx, earlier)}: the cart was taken there too; check the other "
                      "till before selling it here (the same goods may have been sold twice)")
    register_id = ctx.principal.register_id
    resumed = {"register_id": register_id, "register_code": _register_code(ctx, register_id),
               "staff_id": staff_id, "at": parse_time(payload.get("at")) or ctx.now,
               "mutation_id": ctx.mutation.id}
    parked_carts.mark_resumed(ctx.db, ctx.session, earlier, cart_id=cart_id,
                              store_id=ctx.store_id, resumed=resumed, now=ctx.now)
    return Outcome(Status.APPLIED)


def _cart_id(ctx: Context) -> str:
    given = ctx.payload.get("id")
    cart_id = identifier(given or ctx.mutation.entity_id, "payload.id")
    if given is not None and ctx.mutation.entity_id and given != ctx.mutation.entity_id:
        raise Refused(f"payload.id: {given} is not the mutation's entity {ctx.mutation.entity_id}")
    return cart_id


def _own_register(ctx: Context, register_id: Any) -> None:
    """A till parks and resumes at its own register only."""
    if register_id is not None and register_id != ctx.principal.register_id:
        raise Refused(f"payload.register_id: {register_id} is not this device's register "
                      f"({ctx.principal.register_id})")


def _register_code(ctx: Context, register_id: str | None) -> str | None:
    if not register_id:
        return None
    found = ctx.db.registers.find_one({"_id": register_id}, {"code": 1}, session=ctx.session)
    return (found or {}).get("code")


def _taken(ctx: Context, doc: Doc) -> str:
    """"already resumed on register R02 at 2024-05-01 14:05 CEST" (the store's time)."""
    resumed = doc.get("resumed") or {}
    where = resumed.get("register_code") or resumed.get("register_id") or "another register"
    at = resumed.get("at")
    when = f" at {_local(ctx, at)}" if isinstance(at, datetime) else ""
    return f"already resumed on register {where}{when}"


def _local(ctx: Context, at: datetime) -> str:
    try:
        zone = ZoneInfo(str(ctx.batch.store.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


# --- the cart itself --------------------------------------------------------------------------

def _cart(raw: Any) -> Doc:
    """The cart in exactly the shape ``Cart.from_json`` reads (every key present, the optional
    ``order_discount_by`` when set, nothing else kept), or ``Refused`` naming the first field at
    fault."""
    if not isinstance(raw, dict):
        raise Refused("payload.cart: must be an object")
    lines = raw.get("lines")
    if not isinstance(lines, list) or not lines:
        raise Refused("payload.cart.lines: must be a list of at least one line")
    if len(lines) > MAX_LINES:
        raise Refused(f"payload.cart.lines: more than {MAX_LINES} lines")
    coupon = raw.get("coupon_code")
    customer = raw.get("customer_id")
    cart = {"lines": [_line(n, line) for n, line in enumerate(lines)],
            "order_discount": _discount(raw.get("order_discount"), "payload.cart.order_discount"),
            "coupon_code": text(coupon, "payload.cart.coupon_code", max_length=32) or None,
            "customer_id": identifier(customer, "payload.cart.customer_id")
            if customer is not None else None}
    # the manager who approved the order discount travels with it (only when there is one,
    # as the till writes it), so the sale resumed on another till still names them
    if raw.get("order_discount_by") is not None:
        cart["order_discount_by"] = identifier(raw["order_discount_by"],
                                               "payload.cart.order_discount_by")
    return cart


def _line(n: int, raw: Any) -> Doc:
    where = f"payload.cart.lines[{n}]"
    if not isinstance(raw, dict):
        raise Refused(f"{where}: must be an object")
    source = raw.get("price_source", "catalogue")
    if source not in PRICE_SOURCES:
        raise Refused(f"{where}.price_source: {source!r} is not one of {', '.join(PRICE_SOURCES)}")
    unit_price = raw.get("unit_price")
    approved_by = raw.get("approved_by")
    try:
        quantity = check_quantity_milli(raw.get("quantity_milli"), field=f"{where}.quantity_milli")
        if unit_price is not None:
            check_minor(unit_price, field=f"{where}.unit_price")
    except InvalidInput as exc:
        raise Refused(str(exc)) from None
    return {"variant_id": identifier(raw.get("variant_id"), f"{where}.variant_id"),
            "quantity_milli": quantity, "discount": _discount(raw.get("discount"),
                                                              f"{where}.discount"),
            "unit_price": unit_price, "price_source": source,
            "approved_by": identifier(approved_by, f"{where}.approved_by")
            if approved_by is not None else None}


def _discount(raw: Any, where: str) -> Doc | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Refused(f"{where}: must be an object or null")
    kind = raw.get("kind")
    if kind not in {k.value for k in DiscountKind}:
        raise Refused(f"{where}.kind: {kind!r} is not percent or amount")
    try:
        value = check_ppm(raw.get("value"), field=f"{where}.value") if kind == "percent" \
            else check_minor(raw.get("value"), field=f"{where}.value")
    except InvalidInput as exc:
        raise Refused(str(exc)) from None
    return {"kind": kind, "value": value}

"""Cart rules: who may reach a cart, what may go in it, expiry, and writes that never lose a
concurrent change (each write is conditional on the version it was computed from, retried a
few times). Prices are never stored: every read prices the cart afresh (``server.carts.views``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Callable

from pymongo.database import Database

from app.domain.barcodes import check_barcode
from app.domain.coupons import normalise_code
from server.carts import repository as repo
from server.carts.schemas import MAX_LINES, MAX_MILLI, ItemAdd, ItemUpdate
from server.carts.views import coupon_terms
from server.catalog.lookup import SellableVariant, default_variant_id, sellable_variants, \
    variant_for_code
from server.common.versioning import now_ms
from server.config import ServerSettings
from server.errors import ApiError
from server.orders.store import online_store
from server.security.deps import Principal

Doc = dict[str, Any]
GUEST_DAYS, CUSTOMER_DAYS = 7, 30
WRITE_ATTEMPTS = 5
ACTIVE, MERGED, CONVERTED = "active", "merged", "converted"


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {message}", {"field": field})


def _no_cart(cart_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no cart {cart_id}", {"id": cart_id})


def owner_of(principal: Principal) -> str | None:
    """The user id a cart of this caller belongs to (signed-in people), or ``None`` (guests)."""
    return principal.id if principal.kind == "user" else None


def lifetime(cart: Doc) -> timedelta:
    return timedelta(days=CUSTOMER_DAYS if cart.get("user_id") else GUEST_DAYS)


def mail_due(cart: Doc, settings: ServerSettings, now: datetime) -> datetime | None:
    """When the abandoned-cart mail falls due: only for carts with items and a known address,
    and only once per cart."""
    known = cart.get("user_id") or cart.get("email")
    if not cart.get("lines") or not known or cart.get("abandoned_mail_at"):
        return None
    return now + timedelta(hours=settings.abandoned_cart_hours)


def new_cart(user_id: str | None) -> Doc:
    now = now_ms()
    cart = {"_id": secrets.token_urlsafe(24), "user_id": user_id, "status": ACTIVE,
            "lines": [], "coupon_code": None, "email": None, "order_id": None,
            "merged_into": None, "abandon_due_at": None, "abandoned_mail_at": None,
            "version": 1, "created_at": now, "updated_at": now}
    if user_id:
        cart["active_user"] = user_id
    cart["expires_at"] = now + lifetime(cart)
    return cart


def active_cart_of(db: Database, user_id: str) -> Doc:
    """The customer's one active cart, created if needed (two racing creates make one)."""
    for _ in range(WRITE_ATTEMPTS):
        found = repo.active_of(db, user_id)
        if found is not None:
            return found
        cart = new_cart(user_id)
        if repo.insert(db, cart):
            return cart
    raise ApiError(409, "busy", "the cart is being changed by another request: try again")


def create(db: Database, principal: Principal) -> Doc:
    """``POST /carts``: a new guest cart, or the signed-in customer's active one."""
    user_id = owner_of(principal)
    if user_id is None:
        cart = new_cart(None)
        repo.insert(db, cart)
        return cart
    return active_cart_of(db, user_id)


def reachable(db: Database, cart_id: str, principal: Principal) -> Doc:
    """The cart if this caller may see it: a guest cart (no owner) by its id; an owned cart
    only by its owner. Anyone else gets 404, so ids never leak through a 403."""
    cart = repo.get(db, cart_id)
    if cart is None:
        raise _no_cart(cart_id)
    owner = cart.get("user_id")
    if owner is not None and owner != owner_of(principal):
        raise _no_cart(cart_id)
    return cart


def write(db: Database, settings: ServerSettings, cart: Doc,
          change: Callable[[Doc], Doc]) -> Doc:
    """Apply ``change`` (cart → fields to set) conditionally on the cart's version; on a
    concurrent change re-read and recompute. Pushes expiry and the abandoned-mail time on."""
    for _ in range(WRITE_ATTEMPTS):
        if cart["status"] != ACTIVE:
            raise ApiError(409, "cart_closed", f"this cart is {cart['status']} and can no longer "
                           "change" + (f" (order {cart['order_id']})" if cart.get("order_id")
                                       else ""), {"status": cart["status"],
                                                  "order_id": cart.get("order_id")})
        fields = change(cart)
        now = now_ms()
        after = {**cart, **fields}
        fields.update(updated_at=now, expires_at=now + lifetime(after),
                      abandon_due_at=mail_due(after, settings, now))
        if repo.update_if_version(db, cart["_id"], cart["version"], fields):
            return {**cart, **fields, "version": cart["version"] + 1}
        cart = repo.get(db, cart["_id"]) or cart
    raise ApiError(409, "busy", "the cart is being changed by another request: try again")


def _resolve(db: Database, currency: str, body: ItemAdd) -> SellableVariant:
    if body.barcode is not None:
        code = check_barcode(body.barcode, field="barcode")
        variant = variant_for_code(db, code, currency=currency)
        if variant is None:
            raise ApiError(404, "not_found", f"barcode: no product has the code {code}",
                           {"field": "barcode"})
        return variant
    variant_id = body.variant_id or default_variant_id(db, body.product_id)
    if variant_id is None:
        raise ApiError(404, "not_found", f"product_id: no product {body.product_id} for sale",
                       {"field": "product_id"})
    variant = sellable_variants(db, [variant_id], currency=currency).get(variant_id)
    if variant is None or variant.product_id != body.product_id:
        field = "variant_id" if body.variant_id else "product_id"
        raise ApiError(404, "not_found", f"{field}: no such variant of product "
                       f"{body.product_id}", {"field": field})
    return variant


def _check_sellable(variant: SellableVariant, body_field: str, quantity_milli: int) -> None:
    if not variant.active:
        raise ApiError(409, "not_for_sale", f"{variant.name} is no longer sold",
                       {"field": body_field})
    if variant.unit_price is None:
        raise ApiError(409, "not_for_sale", f"{variant.name} has no price at the moment",
                       {"field": body_field})
    if not variant.sold_by_weight and quantity_milli % 1000:
        raise _invalid("quantity_milli", f"{variant.name} is sold by the piece: give quantity")


def add_item(db: Database, settings: ServerSettings, cart: Doc, body: ItemAdd) -> Doc:
    """Add a product (or a scanned code); the same variant again adds up on its line."""
    body.check_item()
    milli = body.milli()
    store = online_store(db, settings)
    variant = _resolve(db, store["currency"], body)
    _check_sellable(variant, "barcode" if body.barcode else "product_id", milli)

    def change(current: Doc) -> Doc:
        lines = [dict(ln) for ln in current["lines"]]
        for ln in lines:
            if ln["variant_id"] == variant.variant_id:
                if ln["quantity_milli"] + milli > MAX_MILLI:
                    raise _invalid("quantity", f"at most {MAX_MILLI // 1000} of one item")
                ln["quantity_milli"] += milli
                return {"lines": lines}
        if len(lines) >= MAX_LINES:
            raise _invalid("lines", f"a cart holds at most {MAX_LINES} different items")
        lines.append({"line": secrets.token_hex(6), "product_id": variant.product_id,
                      "variant_id": variant.variant_id, "quantity_milli": milli})
        return {"lines": lines}

    return write(db, settings, cart, change)


def _line_index(cart: Doc, line: str) -> int:
    for index, ln in enumerate(cart["lines"]):
        if ln["line"] == line:
            return index
    raise ApiError(404, "not_found", f"line: no line {line} in this cart", {"field": "line"})


def update_item(db: Database, settings: ServerSettings, cart: Doc, line: str,
                body: ItemUpdate) -> Doc:
    """Set a line's quantity."""
    milli = body.milli()
    _line_index(cart, line)
    if milli % 1000:
        found = sellable_variants(db, [cart["lines"][_line_index(cart, line)]["variant_id"]],
                                  currency=online_store(db, settings)["currency"])
        variant = next(iter(found.values()), None)
        if variant is None or not variant.sold_by_weight:
            raise _invalid("quantity_milli", "this item is sold by the piece: give quantity")

    def change(current: Doc) -> Doc:
        lines = [dict(ln) for ln in current["lines"]]
        lines[_line_index(current, line)]["quantity_milli"] = milli
        return {"lines": lines}

    return write(db, settings, cart, change)


def remove_item(db: Database, settings: ServerSettings, cart: Doc, line: str) -> Doc:
    _line_index(cart, line)

    def change(current: Doc) -> Doc:
        index = _line_index(current, line)
        return {"lines": current["lines"][:index] + current["lines"][index + 1:]}

    return write(db, settings, cart, change)


def set_coupon(db: Database, settings: ServerSettings, cart: Doc, code: str) -> Doc:
    """Put a coupon on the cart. A malformed code is a 422; whether a well-formed code may be
    used is shown with the cart (it can change until checkout), not refused here."""
    normalised = normalise_code(code, field="code")
    return write(db, settings, cart, lambda _: {"coupon_code": normalised})


def remove_coupon(db: Database, settings: ServerSettings, cart: Doc) -> Doc:
    return write(db, settings, cart, lambda _: {"coupon_code": None})


def remember_email(db: Database, settings: ServerSettings, cart: Doc, email: str) -> Doc:
    """A guest gave an address at checkout: kept for the abandoned-cart mail."""
    if cart.get("email") == email or cart["status"] != ACTIVE:
        return cart
    try:
        return write(db, settings, cart, lambda _: {"email": email})
    except ApiError as exc:
        if exc.code != "cart_closed":
            raise
        return repo.get(db, cart["_id"]) or cart  # checked out meanwhile: checkout answers it


def check_coupon(db: Database, settings: ServerSettings, cart: Doc, code: str) -> None:
    """422 naming ``code`` when the coupon cannot be used by this cart's owner now."""
    normalised = normalise_code(code, field="code")
    _, problem = coupon_terms(db, normalised, user_id=cart.get("user_id"),
                              currency=online_store(db, settings)["currency"])
    if problem is not None:
        raise _invalid("code", problem)

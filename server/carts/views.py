"""A cart as the shopper sees it, priced afresh on every read: current catalogue prices, the
coupon checked again (a problem is a message, not an error), lines that can no longer be sold
flagged and left out of the total, and shipping."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from app.domain.pricing import CouponTerms
from server.carts.schemas import MAX_LINES, MAX_PIECES
from server.config import ServerSettings
from server.coupons import service as coupons
from server.customers import service as customers
from server.errors import ApiError
from server.orders.pricing import Basket, price_basket
from server.orders.store import online_store

Doc = dict[str, Any]


def customer_id_of(db: Database, user_id: str | None) -> str | None:
    """The customer record behind a signed-in cart owner (created on first use)."""
    if not user_id:
        return None
    user = db.users.find_one({"_id": user_id})
    if user is None:
        return None
    return customers.customer_for_user(db, user)["_id"]


def coupon_terms(db: Database, code: str | None, *, user_id: str | None,
                 currency: str) -> tuple[CouponTerms | None, str | None]:
    """The coupon's terms, or why it cannot be used now (in words)."""
    if not code:
        return None, None
    try:
        _, terms = coupons.terms_for(db, code, customer_id=customer_id_of(db, user_id),
                                     currency=currency)
    except ApiError as exc:
        if exc.status != 422:
            raise
        return None, exc.message
    return terms, None


def price(db: Database, settings: ServerSettings, cart: Doc) -> tuple[Doc, Basket]:
    """The store and the priced basket of ``cart``."""
    store = online_store(db, settings)
    terms, problem = coupon_terms(db, cart.get("coupon_code"), user_id=cart.get("user_id"),
                                  currency=store["currency"])
    basket = price_basket(db, settings, store, cart["lines"], coupon=terms)
    if problem is None:
        problem = basket.coupon_problem
    basket.coupon_problem = problem
    return store, basket


def _line_view(b: Any) -> Doc:
    ln, v, p = b.line, b.variant, b.priced
    return {"line": ln["line"], "product_id": ln["product_id"], "variant_id": ln["variant_id"],
            "sku": v.sku if v else None, "name": v.name if v else None,
            "sold_by_weight": bool(v and v.sold_by_weight),
            "quantity_milli": ln["quantity_milli"],
            "quantity": ln["quantity_milli"] // 1000 if ln["quantity_milli"] % 1000 == 0 else None,
            "unit_price": v.unit_price if v else None,
            "gross": p.gross if p else 0, "discount": p.discount if p else 0,
            "tax": p.tax if p else 0, "total": p.total if p else 0,
            "available": b.problem is None, "problem": b.problem}


def cart_view(db: Database, settings: ServerSettings, cart: Doc) -> Doc:
    """What every cart route answers."""
    store, basket = price(db, settings, cart)
    priced = basket.priced
    code = cart.get("coupon_code")
    messages = list(basket.problems)
    if code and basket.coupon_problem:
        messages.append(f"coupon {code}: {basket.coupon_problem}")
    return {
        "id": cart["_id"], "status": cart["status"],
        "owner": "customer" if cart.get("user_id") else "guest",
        "store_code": store["code"], "currency": basket.currency,
        "prices_include_tax": basket.prices_include_tax,
        "lines": [_line_view(b) for b in basket.lines],
        "coupon": ({"code": code, "applied": basket.coupon is not None,
                    "discount": priced.coupon_discount_total, "problem": basket.coupon_problem}
                   if code else None),
        "subtotal": priced.subtotal, "discount_total": priced.discount_total,
        "tax_total": priced.tax_total, "shipping_total": basket.shipping,
        "total": basket.total, "messages": messages,
        "limits": {"lines": MAX_LINES, "quantity": MAX_PIECES},
        "order_id": cart.get("order_id"), "merged_into": cart.get("merged_into"),
        "email": cart.get("email"), "version": cart["version"],
        "created_at": cart["created_at"].isoformat(), "updated_at": cart["updated_at"].isoformat(),
        "expires_at": cart["expires_at"].isoformat(),
    }

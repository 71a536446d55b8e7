"""Online checkout: a cart becomes a ``pending`` order in one transaction — the cart is
claimed first (two racing checkouts conflict on it, and the loser, retried, finds the order),
then its items are re-validated and priced, the coupon counted, the stock reserved, the
store's next number taken, the order written with its rollups, co-purchases, change-log entry
and confirmation mail. Payment follows (``POST /orders/{id}/payments``)."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from app.domain.orders import OrderStatus
from server.carts import repository as carts_repo
from server.changes.log import Change, append, store_feed
from server.common.versioning import now_ms
from server.config import ServerSettings
from server.coupons import service as coupons
from server.customers import service as customers
from server.database import in_transaction
from server.errors import ApiError
from server.inventory import service as inventory
from server.inventory.service import StockLine
from server.orders import mails
from server.orders import repository as repo
from server.orders.pricing import Basket, price_basket
from server.orders.store import online_store
from server.orders.views import order_view
from server.recommendations import service as recommendations
from server.reports import rollups
from server.security.deps import Principal

Doc = dict[str, Any]
#: an order's id is derived from its cart's, so one cart can only ever make one order
ORDER_NS = uuid.UUID("6f1b5a0e-3c1d-4b7a-9a55-0c1e2d3f4a5b")


def order_id_for(cart_id: str) -> str:
    return str(uuid.uuid5(ORDER_NS, cart_id))


def _lines(basket: Basket) -> list[Doc]:
    lines = []
    for index, b in enumerate(b for b in basket.lines if b.priced is not None):
        v, p = b.variant, b.priced
        lines.append({"index": index, "product_id": v.product_id, "variant_id": v.variant_id,
                      "sku": v.sku, "name": v.name, "category_id": v.category_id,
                      "brand": v.brand, "sold_by_weight": v.sold_by_weight,
                      "quantity_milli": b.line["quantity_milli"],
                      "unit_price": v.unit_price, "cost": v.cost, "gross": p.gross,
                      "discount": p.discount, "tax": p.tax, "total": p.total,
                      "taxes": [{"name": t.name, "rate_ppm": t.rate_ppm, "taxable": t.taxable,
                                 "tax": t.tax} for t in p.taxes],
                      "refunded_quantity_milli": 0, "refunded_amount": 0, "refunded_tax": 0})
    return lines


def _check(basket: Basket, cart: Doc) -> None:
    if not cart["lines"]:
        raise ApiError(422, "empty_cart", "lines: the cart is empty", {"field": "lines"})
    for index, b in enumerate(basket.lines):
        if b.problem is not None:
            name = b.variant.name if b.variant else b.line["product_id"]
            raise ApiError(422, "not_for_sale", f"lines.{index}: {name}: {b.problem}; remove "
                           "it from the cart", {"field": f"lines.{index}", "line": b.line["line"]})
    if basket.coupon_problem:
        raise ApiError(422, "coupon_not_applicable", f"coupon: {basket.coupon_problem}",
                       {"field": "coupon"})


def build_order(*, order_id: str, number: str, store: Doc, basket: Basket, cart: Doc,
                customer_id: str | None, email: str | None, address: Doc | None,
                actor: str) -> Doc:
    now = now_ms()
    priced = basket.priced
    return {"_id": order_id, "number": number, "store_id": store["_id"], "channel": "online",
            "status": OrderStatus.PENDING.value, "customer_id": customer_id,
            "user_id": cart.get("user_id"), "cart_id": cart["_id"], "email": email,
            "currency": basket.currency, "prices_include_tax": basket.prices_include_tax,
            "lines": _lines(basket), "subtotal": priced.subtotal,
            "discount_total": priced.discount_total, "tax_total": priced.tax_total,
            "shipping_total": basket.shipping, "shipping_refunded": 0, "total": basket.total,
            "coupon_code": priced.coupon_code, "payments": [], "paid_total": 0,
            "refunded_total": 0, "shipping_address": address, "cashier_id": None,
            "register_id": None,
            "history": [{"at": now, "from": None, "to": OrderStatus.PENDING.value,
                         "actor": actor, "reason": "checkout"}],
            "flags": [], "version": 1, "created_at": now, "updated_at": now}


def _customer(db: Database, cart: Doc) -> tuple[str | None, str | None]:
    """The customer id and account address of a signed-in cart's owner."""
    if not cart.get("user_id"):
        return None, None
    user = db.users.find_one({"_id": cart["user_id"]})
    if user is None:
        raise ApiError(409, "cart_closed", "the account this cart belongs to no longer exists")
    return customers.customer_for_user(db, user)["_id"], user["email"]


def create_online_order(db: Database, *, settings: ServerSettings, cart: Doc,
                        principal: Principal, email: str | None,
                        shipping_address: Doc | None, request_id: str | None = None) -> Doc:
    """See ``server.orders.service.create_online_order``."""
    order_id = order_id_for(cart["_id"])
    existing = repo.get(db, order_id)
    if existing is not None:
        return order_view(existing)
    store = online_store(db, settings)
    customer_id, account_email = _customer(db, cart)
    email = email or account_email
    if email is None:
        raise ApiError(422, "validation_error", "email: an order needs an e-mail address",
                       {"field": "email"})

    def work(session: ClientSession) -> Doc:
        current = carts_repo.get(db, cart["_id"], session)
        if current is None:
            raise ApiError(404, "not_found", f"no cart {cart['_id']}", {"id": cart["_id"]})
        if current["status"] != "active":
            found = repo.get(db, order_id, session)
            if found is not None:
                return found
            raise ApiError(409, "cart_closed", f"this cart is {current['status']}",
                           {"status": current["status"]})
        claimed = db.carts.update_one(  # first: a racing checkout conflicts here
            {"_id": current["_id"], "version": current["version"], "status": "active"},
            {"$set": {"status": "converted", "order_id": order_id, "abandon_due_at": None,
                      "updated_at": now_ms()}, "$unset": {"active_user": ""},
             "$inc": {"version": 1}}, session=session)
        if claimed.modified_count != 1:
            raise ApiError(409, "busy", "the cart changed during checkout: try again")
        terms = None
        if current.get("coupon_code"):
            terms = coupons.redeem(db, session=session, code=current["coupon_code"],
                                   customer_id=customer_id, order_id=order_id,
                                   currency=store["currency"])
        basket = price_basket(db, settings, store, current["lines"], coupon=terms,
                              session=session)
        _check(basket, current)
        inventory.reserve(db, session=session, store_id=store["_id"], order_id=order_id,
                          lines=[StockLine(b.variant.product_id, b.variant.variant_id,
                                           b.line["quantity_milli"]) for b in basket.lines],
                          actor=principal.actor)
        seq = repo.next_number(db, store["_id"], "WEB", session)
        order = build_order(order_id=order_id, number=f"{store['code']}-WEB-{seq:06d}",
                            store=store, basket=basket, cart=current, customer_id=customer_id,
                            email=email, address=shipping_address, actor=principal.actor)
        repo.insert(db, order, session)
        rollups.apply_order(db, session=session, order=order)
        recommendations.record_order(db, session=session, order=order)
        append(db, store_feed(store["_id"]), Change("order", order_id, version=1,
                                                    data=order_view(order)), session=session)
        mails.confirmation(db, order, session=session)
        return order

    try:
        return order_view(in_transaction(db, work))
    except DuplicateKeyError:  # a concurrent checkout of this cart committed first
        found = repo.get(db, order_id)
        if found is None:
            raise
        return order_view(found)

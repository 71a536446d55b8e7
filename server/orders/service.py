"""Orders. CONTRACT used by carts (checkout) and, later, sync (till orders): the orders owner
implements it and may add more, but changes none of these signatures without updating every
caller.

Stored shape: ``orders``: ``{_id: str (uuid4), number: str ("S01-WEB-000123" online,
"S01-R02-000123" from a till), store_id, channel: "online" | "till", status (the
``app.domain.orders.OrderStatus`` values), customer_id | None, email | None, currency,
prices_include_tax: bool, lines: [{index, product_id, variant_id, sku, name, category_id,
brand, quantity_milli, unit_price, gross, discount, tax, total, taxes: [{name, rate_ppm,
taxable, tax}], refunded_quantity_milli, refunded_amount}], subtotal, discount_total,
tax_total, shipping_total, total, coupon_code | None, payments: [{id, method, amount, status,
provider_ref}], paid_total, refunded_total, shipping_address | None, cashier_id | None,
register_id | None, history: [{at, from, to, actor, reason}], flags: [str], version,
created_at, updated_at}``. Refunds: ``refunds`` ``{_id, order_id, lines: [{index,
quantity_milli, amount, tax}], amount, reason, actor, at}``.

Each order and refund updates the report rollups (``server.reports``) and the co-purchase
counts (``server.recommendations``) in the same transaction, and appends an ``order`` entry to
its store's feed.
"""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.pricing import PricedOrder
from server.config import ServerSettings
from server.security.deps import Principal


def create_online_order(db: Database, *, settings: ServerSettings, cart: dict[str, Any],
                        principal: Principal, email: str | None,
                        shipping_address: dict[str, Any] | None,
                        request_id: str | None = None) -> dict[str, Any]:
    """Turn an active cart into a ``pending`` order in one transaction: re-validate its items
    against the catalogue, price it (taxes, coupon, shipping), reserve the stock, redeem the
    coupon, take the store's next online order number, mark the cart ``converted``, update
    rollups and co-purchases, append to the change log and queue the confirmation mail.
    Idempotent per cart (a retried checkout returns the same order). Returns the order's API
    view. Raises ``ApiError`` 409 (out of stock, cart already checked out) or 422 (empty cart,
    no price, coupon no longer valid)."""
    raise NotImplementedError


def record_till_order(db: Database, *, session: ClientSession,
                      order: dict[str, Any]) -> str:
    """Store a completed, paid till sale that arrived by sync (append-only: never rejected;
    problems become ``flags``), with its rollups and co-purchases, in the caller's
    transaction. Idempotent per order id: returns ``"applied"`` or ``"duplicate"``."""
    raise NotImplementedError

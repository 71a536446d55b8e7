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

Additions of this implementation: orders also keep ``user_id`` and ``cart_id`` (online),
``shipping_refunded``, ``tracking_number``, ``received_at`` (till); lines ``sold_by_weight``,
``cost`` and ``refunded_tax``; payments ``refunded`` and ``at``; refunds ``shipping`` and
``tenders: [{payment_id, method, amount}]``.

Each order and refund updates the report rollups (``server.reports``) and the co-purchase
counts (``server.recommendations``) in the same transaction, and appends an ``order`` entry to
its store's feed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from server.changes.log import Pending
from server.common.paging import page_of, parse_sort
from server.config import ServerSettings
from server.errors import ApiError
from server.orders import checkout, till, till_batch, till_refunds
from server.orders import repository as repo
from server.orders.lifecycle import add_payment, change_status, load  # noqa: F401 - entry points
from server.orders.refunds import refund  # noqa: F401 - entry point
from server.orders.views import order_view, refund_view
from server.security.deps import Principal

SORTS = {"created_at": "created_at", "number": "number", "total": "total", "status": "status"}
FILTERS = ("status", "channel", "store_id", "customer_id", "from", "to", "sort", "page",
           "per_page")


def create_online_order(db: Database, *, settings: ServerSettings, cart: dict[str, Any],
                        principal: Principal, email: str | None,
                        shipping_address: dict[str, Any] | None,
                        request_id: str | None = None) -> dict[str, Any]:
    """Turn an active cart into a ``pending`` order in one transaction: re-validate its items
    against the catalogue (read just before the transaction: a snapshot read inside it would
    not conflict with a concurrent catalogue edit either), price it (taxes, coupon,
    shipping), reserve the stock, redeem the coupon, take the store's next online order
    number, mark the cart ``converted`` (a cart edited meanwhile is read again), update
    rollups and co-purchases, append to the change log and queue the confirmation mail.
    Idempotent per cart (a retried checkout returns the same order). Returns the order's API
    view. Raises ``ApiError`` 409 (out of stock, cart already checked out) or 422 (empty cart,
    no price, coupon no longer valid)."""
    return checkout.create_online_order(db, settings=settings, cart=cart, principal=principal,
                                        email=email, shipping_address=shipping_address,
                                        request_id=request_id)


def record_till_order(db: Database, *, session: ClientSession,
                      order: dict[str, Any]) -> str:
    """Store a completed, paid till sale that arrived by sync (append-only: never rejected;
    problems become ``flags``), with its rollups and co-purchases, in the caller's
    transaction. Idempotent per order id: returns ``"applied"`` or ``"duplicate"``."""
    return till.record_till_order(db, session=session, order=order)


def record_till_orders(db: Database, *, session: ClientSession,
                       orders: list[dict[str, Any]], pending: Pending) -> list[str]:
    """``record_till_order`` for many sales at once, in a few round trips whatever their
    number (a till's pushed batch): the same documents, rollups and co-purchases; their store
    feed entries go into ``pending``, which the caller flushes in the transaction. Returns
    ``"applied"`` or ``"duplicate"`` per order (an id named twice is a duplicate the
    second time)."""
    return till_batch.record_till_orders(db, session=session, orders=orders, pending=pending)


def record_till_refund(db: Database, *, session: ClientSession,
                       refund: dict[str, Any]) -> str:
    """Store a refund given at a till that arrived by sync (append-only: never refused;
    problems become ``flags``), in the caller's transaction: ``refund`` is ``{id, order_id,
    number, store_id, register_id, lines: [{index (the order line, None when unknown),
    order_line_id, variant_id, quantity_milli, amount, tax}], amount, tenders: [{payment_id,
    method, amount}], reason, actor, at, flags}``. Its order's refunded figures, payments and
    status move, with the rollups and the store feed's entry; an order the server does not
    have yet gets it later (``attach_till_refunds``). Idempotent per refund id: returns
    ``"applied"`` or ``"duplicate"``."""
    return till_refunds.record_till_refund(db, session=session, refund=refund)


def attach_till_refunds(db: Database, *, session: ClientSession, order_id: str) -> int:
    """Apply the till refunds that arrived before their order, in the transaction that
    records the order; returns how many."""
    return till_refunds.attach_waiting(db, session=session, order_id=order_id)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def list_orders(db: Database, *, filters: dict[str, Any], sort: str | None, page: int,
                per_page: int) -> dict[str, Any]:
    """Orders matching equality filters and a ``from``/``to`` day range (UTC, both days
    included), sorted by an allow-listed field, a page at a time."""
    query: dict[str, Any] = {k: filters[k] for k in ("status", "channel", "store_id",
                                                      "customer_id") if filters.get(k)}
    start, end = filters.get("from"), filters.get("to")
    if start and end and end < start:
        raise ApiError(422, "validation_error", "to: is before from", {"field": "to"})
    # a bounded range always: SecantusDB's planner serves only bounded ranges from an index
    low = _day_start(start) if start else datetime(1970, 1, 1, tzinfo=timezone.utc)
    high = _day_start(end + timedelta(days=1)) if end else datetime(9999, 1, 1,
                                                                    tzinfo=timezone.utc)
    query["created_at"] = {"$gte": low, "$lt": high}
    keys = parse_sort(sort, SORTS, "-created_at")
    if not any(k == "_id" for k, _ in keys):
        keys.append(("_id", 1))  # a total order, so pages never repeat or skip a row
    return page_of(repo.find(db, query, keys), page=page, per_page=per_page, view=order_view)


def get_order(db: Database, order_id: str) -> dict[str, Any]:
    """One order with its refunds."""
    view = order_view(load(db, order_id))
    view["refunds"] = [refund_view(r) for r in repo.refunds_of(db, order_id)]
    return view


def orders_of_customer(db: Database, customer_id: str, *, page: int,
                       per_page: int) -> dict[str, Any]:
    """A customer's own orders, newest first."""
    cursor = repo.find(db, {"customer_id": customer_id},
                       [("created_at", -1), ("_id", 1)])
    return page_of(cursor, page=page, per_page=per_page, view=order_view)

"""Products often bought together. CONTRACT used by orders: ``record_order`` is called in the
same transaction as each new order. The recommendations owner implements it; its signature
stays.

Stored shape: ``co_purchases``: ``{_id: "<product_a>|<product_b>", a, b, count}`` for each
ordered pair of distinct products bought in one order (both directions, capped per order).

Why a cap (``MAX_PRODUCTS`` distinct products, the first ones of the order): the pairs grow as
n × (n − 1), all written inside the checkout's transaction, so a 200-line wholesale order would
write 39,800 counters and hold the checkout for seconds; a basket that large says little about
what is bought *together*. At 20 products an order writes at most 380 counters in one
``bulk_write``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database

from server.catalog.views import product_view
from server.common.versioning import not_found

Doc = dict[str, Any]
MAX_PRODUCTS = 20
#: product summaries keep what a "bought together" strip shows, never cost
SUMMARY = ("id", "name", "brand", "category_id", "tags", "prices", "sold_by_weight", "images")


def products_of(order: Doc) -> list[str]:
    """The order's distinct products, in line order, capped at ``MAX_PRODUCTS``."""
    seen: dict[str, None] = {}
    for line in order.get("lines", []):
        product_id = line.get("product_id")
        if product_id and product_id not in seen:
            seen[product_id] = None
            if len(seen) == MAX_PRODUCTS:
                break
    return list(seen)


def record_order(db: Database, *, session: ClientSession, order: dict[str, Any]) -> None:
    """Count the product pairs of a new order (its stored document)."""
    products = products_of(order)
    ops = [UpdateOne({"_id": f"{a}|{b}"}, {"$inc": {"count": 1},
                                          "$setOnInsert": {"a": a, "b": b}}, upsert=True)
           for a in products for b in products if a != b]
    if ops:
        db.co_purchases.bulk_write(ops, ordered=False, session=session)


def record_orders(db: Database, *, session: ClientSession,
                  orders: list[dict[str, Any]]) -> None:
    """``record_order`` for many new orders at once (a till's pushed batch): the pairs'
    counts merged, one ``bulk_write`` in all. (Beyond the contract: for sync.)"""
    counts: Counter[tuple[str, str]] = Counter()
    for order in orders:
        products = products_of(order)
        counts.update((a, b) for a in products for b in products if a != b)
    ops = [UpdateOne({"_id": f"{a}|{b}"}, {"$inc": {"count": n},
                                          "$setOnInsert": {"a": a, "b": b}}, upsert=True)
           for (a, b), n in sorted(counts.items())]
    if ops:
        db.co_purchases.bulk_write(ops, ordered=False, session=session)


def summary(product: Doc) -> Doc:
    view = product_view(product, staff=False)
    return {name: view[name] for name in SUMMARY}


def recommendations(db: Database, *, product_id: str, limit: int) -> Doc:
    """The products most often bought with ``product_id`` that are still for sale, best
    first; 404 for a product that does not exist (or is archived: the public cannot see it)."""
    product = db.products.find_one({"_id": product_id}, {"archived": 1})
    if product is None or product.get("archived"):
        raise not_found("product", product_id)
    items: list[Doc] = []
    skip, batch = 0, limit * 2
    while len(items) < limit:
        # archived partners are skipped, so read in batches until enough are found
        pairs = list(db.co_purchases.find({"a": product_id}, {"b": 1, "count": 1})
                     .sort([("count", DESCENDING), ("b", ASCENDING)]).skip(skip).limit(batch))
        if not pairs:
            break
        found = {p["_id"]: p for p in db.products.find(
            {"_id": {"$in": [p["b"] for p in pairs]}, "archived": False})}
        for pair in pairs:
            partner = found.get(pair["b"])
            if partner is not None and len(items) < limit:
                items.append({"product": summary(partner), "count": int(pair["count"])})
        if len(pairs) < batch:
            break
        skip += batch
    return {"product_id": product_id, "items": items}

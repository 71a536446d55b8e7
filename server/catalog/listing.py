"""``GET /products``: filters and sorting by allow-list only (anything else is a 422 naming it),
turned into one plain-equality / ``$in`` / range query that the indexes serve."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from pymongo import ASCENDING
from pymongo.database import Database

from app.domain.errors import InvalidInput
from app.domain.money import check_currency
from server.catalog.categories import subtree_ids
from server.catalog.service import as_utc, invalid
from server.common.paging import page_of, parse_sort
from server.common.versioning import now_ms

FILTERS = ("category_id", "brand", "tag", "archived", "updated_since", "currency", "sort",
           "page", "per_page")
LEEWAY = timedelta(minutes=5)  # clocks of several workers differ a little
SORTS = {"name": "name", "updated_at": "updated_at", "created_at": "created_at"}


def sorts_for(currency: str) -> dict[str, str]:
    """The sort allow-list; ``price`` sorts by the price in ``currency``."""
    return {**SORTS, "price": f"prices.{currency}"}


def currency_param(value: str | None) -> str:
    try:
        return check_currency(value or "EUR", field="currency")
    except InvalidInput as exc:
        raise invalid("currency", exc.message) from None


def list_products(db: Database, *, category_id: str | None, brand: str | None, tag: str | None,
                  archived: bool, updated_since: datetime | None, currency: str,
                  sort: str | None, page: int, per_page: int,
                  view: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """One page of products, ``has_more`` instead of a count."""
    keys = parse_sort(sort, sorts_for(currency), "name") + [("_id", ASCENDING)]
    query: dict[str, Any] = {"archived": archived}
    if category_id is not None:
        query["category_id"] = {"$in": subtree_ids(db, category_id)}
    if brand is not None:
        query["brand"] = brand
    if tag is not None:
        query["tags"] = tag
    if updated_since is not None:
        # Bounded on both sides: SecantusDB serves a bounded range from the index and reads
        # only what it matches, where an open range (or no filter) reads every product.
        query["updated_at"] = {"$gt": as_utc(updated_since), "$lte": now_ms() + LEEWAY}
    return page_of(db.products.find(query).sort(keys), page=page, per_page=per_page, view=view)

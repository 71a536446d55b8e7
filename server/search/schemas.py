"""What the search routes accept: the query parameters, validated before anything is read."""

from __future__ import annotations

from fastapi import Query, Request

from server.common.paging import reject_unknown_filters
from server.errors import ApiError
from server.search.query import DEPTH, SearchQuery

MAX_MINOR = 10**12
MAX_Q = 1000  # longer is refused; up to this, text beyond text.MAX_QUERY_CHARS is ignored
SEARCH_PARAMS = ("q", "category", "brand", "min_price", "max_price", "in_stock", "page",
                 "per_page", "currency")


def search_params(request: Request,
                  q: str = Query("", max_length=MAX_Q, description="words; typos are corrected"),
                  category: str | None = Query(None, max_length=100,
                                               description="a category id (its descendants too)"),
                  brand: str | None = Query(None, max_length=200),
                  min_price: int | None = Query(None, ge=0, le=MAX_MINOR,
                                                description="minor units of `currency`"),
                  max_price: int | None = Query(None, ge=0, le=MAX_MINOR,
                                                description="minor units of `currency`"),
                  in_stock: bool | None = None,
                  page: int = Query(1, ge=1, le=1000),
                  per_page: int = Query(20, ge=1, le=100),
                  currency: str | None = Query(None, min_length=3, max_length=3,
                                               description="default: the first store's")
                  ) -> tuple[SearchQuery, str | None]:
    """The validated search, and the asked currency (``None``: the default one)."""
    reject_unknown_filters(request.query_params.keys(), SEARCH_PARAMS)
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ApiError(422, "validation_error", "min_price is above max_price",
                       {"field": "min_price"})
    if page * per_page > DEPTH:
        raise ApiError(422, "validation_error", f"page: a search lists its first {DEPTH} "
                       "results at most (narrow it down with words or filters)",
                       {"field": "page", "max_results": DEPTH})
    return SearchQuery(q=q, category=category or None, brand=brand or None, min_price=min_price,
                       max_price=max_price, in_stock=in_stock, page=page,
                       per_page=per_page), currency


def suggest_params(request: Request, q: str = Query("", max_length=MAX_Q)) -> str:
    reject_unknown_filters(request.query_params.keys(), ("q",))
    return q

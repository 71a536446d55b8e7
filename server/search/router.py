"""HTTP routes of product search (public: online shoppers search anonymously):
``GET /search/products`` and ``GET /search/suggest``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pymongo.database import Database

from server.search import readmodel, service
from server.search.query import SearchQuery
from server.search.schemas import search_params, suggest_params
from server.security.deps import Principal, get_db, public

router = APIRouter(prefix="/search", tags=["search"])
PUBLIC = public("online shoppers search the catalogue anonymously")


@router.get("/products")
def search_products(request: Request, _: Principal = Depends(PUBLIC),
                    params: tuple[SearchQuery, str | None] = Depends(search_params),
                    db: Database = Depends(get_db)) -> dict[str, Any]:
    """Ranked, typo-tolerant product search with filters and facets: ``{items, total, facets,
    facets_approximate, did_you_mean, page, per_page, currency, indexed_through, behind,
    stale}``. Prices are minor units of ``currency``; archived products never appear."""
    query, currency = params
    return service.search(db, readmodel.search_dir(request.app.state.settings), query, currency)


@router.get("/suggest")
def suggest(request: Request, _: Principal = Depends(PUBLIC),
            q: str = Depends(suggest_params), db: Database = Depends(get_db)) -> dict[str, Any]:
    """Autocomplete: ``{completions: [queries], products: [{id, name, brand, image}]}``."""
    return service.suggest(db, readmodel.search_dir(request.app.state.settings), q)

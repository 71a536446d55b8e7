"""``GET /products/{product_id}/recommendations``: products often bought together, public like
the catalogue and cached by ETag. Thin: the query is in ``server.recommendations.service``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pymongo.database import Database

from server.common.http_cache import cached_json
from server.recommendations import service
from server.security.deps import Principal, get_db, public

router = APIRouter(tags=["recommendations"])
PUBLIC = public("shoppers browse the shop without an account, as they browse the catalogue")
MAX_AGE = 300  # counts move slowly: a few minutes' old answer is as good as a fresh one


@router.get("/products/{product_id}/recommendations")
def recommendations(product_id: str, request: Request, limit: int = Query(8, ge=1, le=50),
                    db: Database = Depends(get_db),
                    _: Principal = Depends(PUBLIC)) -> Response:
    """The products most often bought together with this one (active ones only, no cost)."""
    payload = service.recommendations(db, product_id=product_id, limit=limit)
    return cached_json(request, payload, max_age=MAX_AGE)

"""HTTP routes of product images: ``POST /products/{id}/images`` (the raw image as the body),
``GET /products/{id}/images/{image_id}[?size=thumb]`` (public, cached for a year: ids are
content-addressed) and ``DELETE`` with the product's ``version``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pymongo.database import Database
from starlette.concurrency import run_in_threadpool

from app.domain.permissions import Permission
from server.catalog.views import product_view
from server.errors import ApiError
from server.media import images, service
from server.media.storage import image_store
from server.security.deps import Principal, get_db, public, request_context, require

router = APIRouter(prefix="/products", tags=["media"])
WRITE = require(Permission.CATALOG_WRITE)
MAX_VERSION = 2**31
FOREVER = "public, max-age=31536000, immutable"


@router.post("/{product_id}/images", status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {
                 t: {"schema": {"type": "string", "format": "binary"}}
                 for t in sorted(images.ACCEPTED_TYPES)}}})
async def upload_image(product_id: str, request: Request,
                       version: int | None = Query(None, ge=1, le=MAX_VERSION),
                       principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Add an image (JPEG, PNG or WebP, checked by its content; stored at most 1200 px on its
    longest side, with a 300 px thumbnail); answers the product."""
    limit = request.app.state.settings.max_image_bytes
    data = await request.body()
    if len(data) > limit:
        raise ApiError(413, "payload_too_large", f"the image is larger than {limit} bytes",
                       {"limit": limit})
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    db = request.app.state.mongo.db
    processed = await run_in_threadpool(images.process, data, declared)
    product = await run_in_threadpool(
        lambda: service.add_image(db, image_store(db), product_id=product_id, version=version,
                                  image=processed, **request_context(request, principal)))
    return product_view(product)


@router.get("/{product_id}/images/{image_id}")
def get_image(product_id: str, image_id: str, request: Request,
              size: str = Query("full", pattern="^(full|thumb)$"),
              db: Database = Depends(get_db),
              _: Principal = Depends(public("product images are part of the public catalogue"))
              ) -> Response:
    """The image (``size=thumb``: its thumbnail), cacheable for ever."""
    tag = f'"{image_id}-{size}"'
    if request.headers.get("if-none-match", "").strip() in (tag, f"W/{tag}", "*"):
        service.image_bytes(db, image_store(db), product_id=product_id, image_id=image_id,
                            size=size)  # still 404 for an image that is gone
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": FOREVER})
    data, content_type = service.image_bytes(db, image_store(db), product_id=product_id,
                                             image_id=image_id, size=size)
    return Response(data, media_type=content_type, headers={"ETag": tag,
                                                            "Cache-Control": FOREVER})


@router.delete("/{product_id}/images/{image_id}")
def delete_image(product_id: str, image_id: str, request: Request,
                 version: int | None = Query(None, ge=1, le=MAX_VERSION),
                 db: Database = Depends(get_db),
                 principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Remove an image, based on the product's ``version`` (409 if stale); answers the product."""
    return product_view(service.remove_image(db, image_store(db), product_id=product_id,
                                             image_id=image_id, version=version,
                                             **request_context(request, principal)))

"""Product images: upload (checked and resized by ``server.media.images``, blobs stored through
``server.media.storage``, then the product's ``images`` list changed by the catalogue's one
write path, so the new version reaches the feed), serve and delete."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from server.catalog.service import invalid, require_product, write_product
from server.common.versioning import not_found, now_ms, version_conflict
from server.media.images import ProcessedImage
from server.media.storage import BlobStore

Doc = dict[str, Any]
MAX_IMAGES = 20
SIZES = ("full", "thumb")


def blob_key(product_id: str, image_id: str, size: str) -> str:
    return f"{product_id}/{image_id}/{size}"


def _based_on(db: Database, product_id: str, version: int | None) -> Doc:
    current = require_product(db, product_id)
    if version is not None and int(current["version"]) != version:
        raise version_conflict("product", int(current["version"]))
    return current


def _with_images(current: Doc, images: list[Doc]) -> Doc:
    return {**current, "images": images, "version": int(current["version"]) + 1,
            "updated_at": now_ms()}


def add_image(db: Database, store: BlobStore, *, product_id: str, version: int | None,
              image: ProcessedImage, actor: str, ip: str | None = None,
              request_id: str | None = None) -> Doc:
    """Attach ``image`` to the product (the same bytes twice: nothing changes)."""
    current = _based_on(db, product_id, version)
    if any(i["id"] == image.image_id for i in current.get("images", [])):
        return current
    if len(current.get("images", [])) >= MAX_IMAGES:
        raise invalid("body", f"a product has at most {MAX_IMAGES} images")
    for size, rendition in (("full", image.full), ("thumb", image.thumb)):
        store.put(blob_key(product_id, image.image_id, size), rendition.data, image.content_type)
    entry = {"id": image.image_id, "content_type": image.content_type,
             "width": image.full.width, "height": image.full.height,
             "bytes": len(image.full.data),
             "thumb": {"width": image.thumb.width, "height": image.thumb.height}}
    after = _with_images(current, [*current.get("images", []), entry])
    return write_product(db, current, after, actor=actor, action="product.image_added", ip=ip,
                         request_id=request_id)


def remove_image(db: Database, store: BlobStore, *, product_id: str, image_id: str,
                 version: int | None, actor: str, ip: str | None = None,
                 request_id: str | None = None) -> Doc:
    """Detach the image (409 on a stale ``version``), then delete its blobs."""
    current = _based_on(db, product_id, version)
    kept = [i for i in current.get("images", []) if i["id"] != image_id]
    if len(kept) == len(current.get("images", [])):
        raise not_found("image", image_id)
    after = write_product(db, current, _with_images(current, kept), actor=actor,
                          action="product.image_removed", ip=ip, request_id=request_id)
    for size in SIZES:
        store.delete(blob_key(product_id, image_id, size))
    return after


def image_bytes(db: Database, store: BlobStore, *, product_id: str, image_id: str,
                size: str) -> tuple[bytes, str]:
    """The stored rendition and its content type; 404 unless the product shows the image."""
    product = db.products.find_one({"_id": product_id}, {"images": 1})
    entry = next((i for i in (product or {}).get("images", []) if i["id"] == image_id), None)
    data = store.get(blob_key(product_id, image_id, size)) if entry else None
    if entry is None or data is None:
        raise not_found("image", image_id)
    return data, entry["content_type"]

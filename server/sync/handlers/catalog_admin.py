"""The back office's ``product.create`` (see ``base`` for the rules every handler keeps): a
product made at a till, offline if need be, with the ids born there. The server creates it
through the catalogue's own write (codes reserved, brand counts, catalog feed, audit) after
the checks the catalogue's POST makes (the same pydantic body, references, codes taken), and
re-checks ``catalog:write`` for the member of staff who made it. A replay of the same product
(same id, same variants) answers ``applied`` with the product as stored; another product under
that id, or a SKU or barcode another product holds, is ``rejected`` with the reason.

``category.upsert``: a category created, renamed, moved or reordered at a till. A new one
(no ``base_version``) is created with the till's id; a change applies only to the version it
was based on (server wins: otherwise ``conflict`` with the server's category); a move under
itself or its own subtree, or deeper than the tree allows, is ``rejected``; moving rewrites
the subtree's paths, as the catalogue's own PATCH does, inside the push's transaction.

``product.image``: a picture added at a till (already downscaled there), checked again and
resized by the server's own image code, its blobs stored content-addressed (outside the
transaction: a blob left by a rolled-back push is the same bytes a retry stores), and the
product's image list grown by the catalogue's write (version bump, feed). The same picture
again answers ``applied`` and changes nothing."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pydantic import ValidationError

from app.domain.permissions import Permission
from app.domain.sync_protocol import Status
from server.catalog import categories
from server.catalog import repository as repo
from server.catalog import service as catalog
from server.catalog.schemas import ProductCreate
from server.catalog.views import category_change, category_view, product_view
from server.changes import log as change_log
from server.common.versioning import now_ms
from server.errors import ApiError
from server.media import images as media
from server.media.service import MAX_IMAGES, blob_key
from server.media.storage import image_store
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import identifier, is_int, require_staff, text

PRODUCT_FIELDS = ("name", "description", "brand", "category_id", "tax_class_id",
                  "sold_by_weight", "low_stock_threshold_milli")
VARIANT_FIELDS = ("id", "sku", "name", "attributes", "barcodes", "price", "cost")


def _body(payload: Doc, currency: str) -> ProductCreate:
    variants = payload.get("variants")
    if not isinstance(variants, list):
        raise Refused("payload.variants: must be a list")
    sent = []
    for n, variant in enumerate(variants):
        if not isinstance(variant, dict):
            raise Refused(f"payload.variants[{n}]: must be an object")
        unknown = sorted(set(variant) - set(VARIANT_FIELDS))
        if unknown:
            raise Refused(f"payload.variants[{n}].{unknown[0]}: not a variant field")
        sent.append({"sku": variant.get("sku"), "name": variant.get("name", ""),
                     "attributes": variant.get("attributes") or {},
                     "barcodes": variant.get("barcodes") or [],
                     "prices": {currency: variant.get("price")},
                     "cost": {currency: variant.get("cost", 0)}})
    try:
        return ProductCreate(**{k: payload.get(k) for k in PRODUCT_FIELDS
                                if payload.get(k) is not None}, variants=sent)
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error.get("loc", ()))
            raise Refused(f"payload.{where}: {error.get('msg', 'is not valid')}") from None
        raise Refused(f"payload: {exc}") from None


def _variant_ids(payload: Doc) -> list[str]:
    ids = [identifier(v.get("id"), f"payload.variants[{n}].id")
           for n, v in enumerate(payload["variants"])]
    if len(set(ids)) != len(ids):
        raise Refused("payload.variants: names a variant id twice")
    return ids


def product_create(ctx: Context) -> Outcome:
    payload = ctx.payload
    product_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    currency = payload.get("currency") or ctx.currency
    if currency != ctx.currency:
        raise Refused(f"payload.currency: prices are in {currency}, this store sells in "
                      f"{ctx.currency}")
    body = _body(payload, ctx.currency)
    variant_ids = _variant_ids(payload)
    principal = require_staff(ctx, Permission.CATALOG_WRITE)
    existing = ctx.db.products.find_one({"_id": product_id}, session=ctx.session)
    if existing is not None:
        if [v["id"] for v in existing.get("variants", [])][:len(variant_ids)] == variant_ids:
            return Outcome(Status.APPLIED, current=product_view(existing))  # a replay
        raise Refused(f"payload.id: another product already has the id {product_id}")
    fields = catalog._fields(body)
    try:
        catalog._check_references(ctx.db, fields)
        variants = catalog._variants(body.variants, [])
    except ApiError as exc:
        raise Refused(exc.message) from None
    for variant, variant_id in zip(variants, variant_ids):
        variant["id"] = variant_id
    now = now_ms()
    product = {"_id": product_id, **fields, "variants": variants, "images": [],
               "archived": False, "version": 1, "created_at": now, "updated_at": now}
    problem = catalog._taken(ctx.db, product_id, catalog.repo.codes_of(product))
    if problem is not None:
        raise Refused(problem.message)
    catalog.store_product_in(ctx.db, ctx.session, None, product, actor=principal.actor,
                             action="product.created", ip=None, request_id=ctx.request_id,
                             audit_id=ctx.derived_id("audit"))
    return Outcome(Status.APPLIED, current=product_view(product))


def _parent_path(ctx: Context, parent_id: str | None, moving: str | None) -> list[str]:
    try:
        return categories._parent_path(ctx.db, parent_id, moving, ctx.session)
    except ApiError as exc:
        raise Refused(exc.message) from None


def category_upsert(ctx: Context) -> Outcome:
    payload = ctx.payload
    category_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    name = text(payload.get("name"), "payload.name", max_length=200, required=True).strip()
    parent_id = payload.get("parent_id")
    if parent_id is not None:
        parent_id = identifier(parent_id, "payload.parent_id")
    position = payload.get("position", 0)
    if not is_int(position) or abs(position) > 1_000_000:
        raise Refused("payload.position: must be a whole number")
    base_version = payload.get("base_version")
    if base_version is not None and (not is_int(base_version) or base_version < 1):
        raise Refused("payload.base_version: must be the version the change was based on, "
                      "or null for a new category")
    principal = require_staff(ctx, Permission.CATALOG_WRITE)
    current = ctx.db.categories.find_one({"_id": category_id}, session=ctx.session)
    if current is None and base_version is not None:
        raise Refused(f"payload.id: no category {category_id} on the server")
    if current is not None and base_version is None:
        if (current["name"], current.get("parent_id")) == (name, parent_id):
            return Outcome(Status.APPLIED, current=category_view(current))  # a replay
        raise Refused(f"payload.id: another category already has the id {category_id}")
    if current is not None and int(current["version"]) != base_version:
        return Outcome(Status.CONFLICT, reason=(
            f"the category was changed on the server meanwhile (version {current['version']}; "
            f"this change was based on version {base_version})"),
            current=category_view(current))
    moving = current is None or parent_id != current.get("parent_id")
    path = _parent_path(ctx, parent_id, category_id if current is not None else None) \
        if moving else current.get("path", [])
    now = now_ms()
    below = repo.descendants(ctx.db, category_id, ctx.session) if current and moving else []
    if any(len(path) + 1 + len(c["path"]) - c["path"].index(category_id) - 1
           > categories.MAX_DEPTH for c in below):
        raise Refused(f"payload.parent_id: the subtree would be deeper than "
                      f"{categories.MAX_DEPTH} levels")
    # every check is done: the writes follow
    if current is None:
        after = {"_id": category_id, "name": name, "slug": categories.slugify(name),
                 "parent_id": parent_id, "path": path, "sort": position, "archived": False,
                 "version": 1, "created_at": now, "updated_at": now}
        ctx.db.categories.insert_one(after, session=ctx.session)
    else:
        after = {**current, "name": name, "parent_id": parent_id, "path": path,
                 "sort": position, "version": int(current["version"]) + 1, "updated_at": now}
        repo.replace_if_version(ctx.db, "categories", after, int(current["version"]),
                                ctx.session)
    if moving and parent_id is not None:  # a concurrent move of the parent conflicts
        ctx.db.categories.update_one({"_id": parent_id}, {"$inc": {"children_rev": 1}},
                                     session=ctx.session)
    categories._record(ctx.db, ctx.session, after, actor=principal.actor,
                       action="category.created" if current is None else "category.updated",
                       audit_id=ctx.derived_id("audit"), ip=None, request_id=ctx.request_id)
    for child in below:
        rest = child["path"][child["path"].index(category_id):]
        moved = {**child, "path": path + rest, "version": int(child["version"]) + 1,
                 "updated_at": now}
        repo.replace_if_version(ctx.db, "categories", moved, int(child["version"]), ctx.session)
        change_log.append(ctx.db, change_log.CATALOG_FEED, category_change(moved),
                          session=ctx.session)
    return Outcome(Status.APPLIED, current=category_view(after))


def product_image(ctx: Context) -> Outcome:
    payload = ctx.payload
    product_id = identifier(payload.get("product_id") or ctx.mutation.entity_id,
                            "payload.product_id")
    content_type = text(payload.get("content_type"), "payload.content_type", max_length=40,
                        required=True)
    raw = payload.get("data")
    if not isinstance(raw, str) or not raw:
        raise Refused("payload.data: must be the image, base64-encoded")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("payload.data: is not base64") from None
    principal = require_staff(ctx, Permission.CATALOG_WRITE)
    current = ctx.db.products.find_one({"_id": product_id}, session=ctx.session)
    if current is None:
        raise Refused(f"payload.product_id: no product {product_id} in the catalogue")
    try:
        image = media.process(data, content_type)
    except ApiError as exc:
        raise Refused(f"payload.data: {exc.message.removeprefix('body: ')}") from None
    images = list(current.get("images", []))
    if any(i["id"] == image.image_id for i in images):
        return Outcome(Status.APPLIED, current=product_view(current))  # the same picture
    if len(images) >= MAX_IMAGES:
        raise Refused(f"payload.data: a product has at most {MAX_IMAGES} images")
    store = image_store(ctx.db)
    for size, rendition in (("full", image.full), ("thumb", image.thumb)):
        store.put(blob_key(product_id, image.image_id, size), rendition.data,
                  image.content_type)
    images.append({"id": image.image_id, "content_type": image.content_type,
                   "width": image.full.width, "height": image.full.height,
                   "bytes": len(image.full.data),
                   "thumb": {"width": image.thumb.width, "height": image.thumb.height}})
    after = {**current, "images": images, "version": int(current["version"]) + 1,
             "updated_at": now_ms()}
    catalog.store_product_in(ctx.db, ctx.session, current, after, actor=principal.actor,
                             action="product.image_added", ip=None, request_id=ctx.request_id,
                             audit_id=ctx.derived_id("audit"))
    return Outcome(Status.APPLIED, current=product_view(after))


HANDLERS: dict[str, Any] = {"product.create": product_create,
                            "category.upsert": category_upsert,
                            "product.image": product_image}

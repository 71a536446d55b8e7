"""The back office's ``product.create`` (see ``base`` for the rules every handler keeps): a
product made at a till, offline if need be, with the ids born there. The server creates it
through the catalogue's own write (codes reserved, brand counts, catalog feed, audit) after
the checks the catalogue's POST makes (the same pydantic body, references, codes taken), and
re-checks ``catalog:write`` for the member of staff who made it. A replay of the same product
(same id, same variants) answers ``applied`` with the product as stored; another product under
that id, or a SKU or barcode another product holds, is ``rejected`` with the reason.

``category.upsert`` and ``product.image`` are not handled yet (the back office does not send
them)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.domain.permissions import Permission
from app.domain.sync_protocol import Status
from server.catalog import service as catalog
from server.catalog.schemas import ProductCreate
from server.catalog.views import product_view
from server.common.versioning import now_ms
from server.errors import ApiError
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import identifier, require_staff

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


HANDLERS: dict[str, Any] = {"product.create": product_create}

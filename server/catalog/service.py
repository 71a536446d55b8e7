"""Products: create, replace, patch, archive, read and list. Every write stores the product,
its reserved codes, the brand counts, its ``catalog`` feed entry and its audit entry in one
transaction, so a write that fails leaves none of them behind."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from server import audit
from server.catalog import repository as repo
from server.catalog.schemas import ProductCreate, ProductPatch, ProductReplace, VariantIn
from server.catalog.views import product_change
from server.changes import log as change_log
from server.common.versioning import not_found, now_ms, version_conflict
from server.database import in_transaction
from server.errors import ApiError

Doc = dict[str, Any]
# Fields a PATCH may clear by sending null; for the others null means "leave as it is".
NULLABLE = {"category_id", "tax_class_id", "low_stock_threshold_milli"}


def invalid(field: str, message: str, **details: Any) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {message}", {"field": field, **details})


def require_product(db: Database, product_id: str, session: ClientSession | None = None) -> Doc:
    product = repo.get(db, "products", product_id, session)
    if product is None:
        raise not_found("product", product_id)
    return product


def _check_references(db: Database, fields: Doc) -> None:
    category_id = fields.get("category_id")
    if category_id is not None:
        category = repo.get(db, "categories", category_id)
        if category is None or category.get("archived"):
            raise invalid("category_id", f"no category {category_id}")
    tax_class_id = fields.get("tax_class_id")
    if tax_class_id is not None and repo.get(db, "tax_classes", tax_class_id) is None:
        raise invalid("tax_class_id", f"no tax class {tax_class_id}")


def _variant_doc(body: VariantIn, variant_id: str) -> Doc:
    return {"id": variant_id, "sku": body.sku, "name": body.name,
            "attributes": dict(body.attributes), "barcodes": list(body.barcodes),
            "prices": dict(body.prices) if body.prices is not None else None,
            "cost": dict(body.cost) if body.cost is not None else None,
            "archived": body.archived}


def _variants(bodies: list[VariantIn], existing: list[Doc]) -> list[Doc]:
    """The new variant list: sent ones (keeping named ids), then the existing ones left out,
    archived. Codes must be unique within the product too."""
    known = {v["id"]: v for v in existing}
    seen_ids: set[str] = set()
    codes: dict[str, str] = {}
    result = []
    for n, body in enumerate(bodies):
        if body.id is not None and (body.id not in known or body.id in seen_ids):
            raise invalid(f"variants.{n}.id", f"no variant {body.id} in this product"
                          if body.id not in known else "names a variant twice")
        variant_id = body.id or str(uuid.uuid4())
        seen_ids.add(variant_id)
        for field, code in [("sku", body.sku)] + [("barcodes", b) for b in body.barcodes]:
            if code in codes:
                raise invalid(f"variants.{n}.{field}", f"{code} is used twice in this product")
            codes[code] = field
        result.append(_variant_doc(body, variant_id))
    for variant in existing:
        if variant["id"] not in seen_ids:
            kept = {**variant, "archived": True}
            for code in repo.codes_of({"variants": [kept]}):
                if code in codes:
                    raise invalid("variants", f"{code} still belongs to an archived variant of "
                                  "this product", variant_id=variant["id"])
            result.append(kept)
    return result


def _taken(db: Database, product_id: str, wanted: dict[str, repo.CodeEntry]) -> ApiError | None:
    """409 ``code_taken`` naming the field and the product holding a code, if any is taken."""
    for code, entry in repo.holders(db, wanted).items():
        if entry["product_id"] != product_id:
            field = "sku" if wanted[code][0] == "sku" else "barcodes"
            return ApiError(409, "code_taken", f"{field}: {code} already belongs to product "
                            f"{entry['product_id']}", {"field": field, "code": code,
                                                       "product_id": entry["product_id"],
                                                       "variant_id": entry["variant_id"]})
    return None


def write_product(db: Database, before: Doc | None, after: Doc, *, actor: str, action: str,
           ip: str | None, request_id: str | None) -> Doc:
    """Store ``after`` (replacing ``before`` at its version) with its codes, brand counts,
    feed entry and audit entry, in one transaction."""
    old_codes, new_codes = repo.codes_of(before), repo.codes_of(after)
    added = {c: e for c, e in new_codes.items() if c not in old_codes}
    problem = _taken(db, after["_id"], added)  # the friendly answer; the index is the guard
    if problem:
        raise problem
    audit_id = str(uuid.uuid4())

    def work(s: ClientSession) -> None:
        store_product_in(db, s, before, after, actor=actor, action=action, ip=ip,
                         request_id=request_id, audit_id=audit_id)

    try:
        in_transaction(db, work)
    except DuplicateKeyError:
        # A concurrent writer took one of the codes between the check and the commit.
        raise _taken(db, after["_id"], added) or ApiError(
            409, "code_taken", "a barcode or SKU was taken meanwhile", {"field": "variants"}) from None
    return after


def store_product_in(db: Database, session: ClientSession, before: Doc | None, after: Doc, *,
                     actor: str, action: str, ip: str | None, request_id: str | None,
                     audit_id: str) -> None:
    """``write_product``'s writes inside the caller's transaction (sync applies a back
    office's edit together with the rest of its batch): the product at its version, its
    codes (``DuplicateKeyError`` when another product holds one), brand counts, feed entry
    and audit entry. A stale ``before`` raises the 409 (or 404) ``write_product`` raises."""
    if before is None:
        db.products.insert_one(after, session=session)
    elif not repo.replace_if_version(db, "products", after, before["version"], session):
        raise _stale_or_missing(db, after["_id"])
    repo.move_codes(db, after["_id"], repo.codes_of(before), repo.codes_of(after), session)
    repo.count_brand(db, before, after, session)
    change_log.append(db, change_log.CATALOG_FEED, product_change(after), session=session)
    audit.record(db, actor=actor, action=action, target=after["_id"], ip=ip,
                 request_id=request_id, details={"version": after["version"]},
                 session=session, audit_id=audit_id)


def _stale_or_missing(db: Database, product_id: str) -> ApiError:
    current = repo.get(db, "products", product_id)
    return not_found("product", product_id) if current is None \
        else version_conflict("product", int(current["version"]))


def _fields(body: ProductCreate) -> Doc:
    return {"name": body.name, "description": body.description, "brand": body.brand,
            "category_id": body.category_id, "tags": list(body.tags),
            "tax_class_id": body.tax_class_id, "prices": dict(body.prices),
            "cost": dict(body.cost), "sold_by_weight": body.sold_by_weight,
            "low_stock_threshold_milli": body.low_stock_threshold_milli}


def create_product(db: Database, *, body: ProductCreate, actor: str, ip: str | None = None,
                   request_id: str | None = None) -> Doc:
    """A new product at version 1."""
    fields = _fields(body)
    _check_references(db, fields)
    now = now_ms()
    product = {"_id": str(uuid.uuid4()), **fields, "variants": _variants(body.variants, []),
               "images": [], "archived": False, "version": 1, "created_at": now,
               "updated_at": now}
    return write_product(db, None, product, actor=actor, action="product.created", ip=ip,
                  request_id=request_id)


def _based_on(db: Database, product_id: str, version: int) -> Doc:
    current = require_product(db, product_id)
    if int(current["version"]) != version:
        raise version_conflict("product", int(current["version"]))
    return current


def _next(current: Doc, changes: Doc) -> Doc:
    return {**current, **changes, "version": int(current["version"]) + 1, "updated_at": now_ms()}


def replace_product(db: Database, *, product_id: str, body: ProductReplace, actor: str,
                    ip: str | None = None, request_id: str | None = None) -> Doc:
    """PUT: everything as sent (images and the archived flag stay), if ``version`` is current."""
    current = _based_on(db, product_id, body.version)
    fields = _fields(body)
    _check_references(db, fields)
    after = _next(current, {**fields, "variants": _variants(body.variants, current["variants"])})
    return write_product(db, current, after, actor=actor, action="product.updated", ip=ip,
                  request_id=request_id)


def patch_product(db: Database, *, product_id: str, body: ProductPatch, actor: str,
                  ip: str | None = None, request_id: str | None = None) -> Doc:
    """PATCH: the fields sent, if ``version`` is current; ``archived: false`` unarchives."""
    current = _based_on(db, product_id, body.version)
    changes: Doc = {}
    for name in body.model_fields_set - {"version"}:
        value = getattr(body, name)
        if value is None and name not in NULLABLE:
            continue
        changes[name] = value
    if "variants" in changes:
        changes["variants"] = _variants(body.variants or [], current["variants"])
    for name in ("prices", "cost"):
        if name in changes:
            changes[name] = dict(changes[name])
    if not changes:
        raise invalid("body", "nothing to change")
    _check_references(db, {k: changes[k] for k in ("category_id", "tax_class_id") if k in changes})
    after = _next(current, changes)
    action = "product.unarchived" if current.get("archived") and changes.get("archived") is False \
        else "product.archived" if changes.get("archived") else "product.updated"
    return write_product(db, current, after, actor=actor, action=action, ip=ip, request_id=request_id)


def archive_product(db: Database, *, product_id: str, version: int | None, actor: str,
                    ip: str | None = None, request_id: str | None = None) -> Doc:
    """DELETE: archive (idempotent); its codes stay reserved. With ``version``, only if current."""
    current = require_product(db, product_id) if version is None else \
        _based_on(db, product_id, version)
    if current.get("archived"):
        return current
    return write_product(db, current, _next(current, {"archived": True}), actor=actor,
                  action="product.archived", ip=ip, request_id=request_id)


def product_by_code(db: Database, code: str) -> tuple[Doc, str]:
    """The product holding barcode or SKU ``code`` (exactly, after trimming) and the variant."""
    entry = repo.get(db, "codes", code.strip()) if code.strip() else None
    product = repo.get(db, "products", entry["product_id"]) if entry else None
    if entry is None or product is None:
        raise ApiError(404, "not_found", f"no product with barcode or SKU {code[:64]}",
                       {"code": code[:64]})
    return product, entry["variant_id"]


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)

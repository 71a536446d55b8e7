"""``product.update``: a back office's edit of a product, made offline. Server wins: the edit
applies only to the version it was based on; otherwise it answers ``conflict`` with the
product as the server has it (``current``), for the back office to show. An edit that applies
goes through the catalogue's own write (version bump, codes, brand counts, catalog feed,
audit). Variant ``price`` and ``cost`` are in the store's currency: the other currencies'
prices stay as they are."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.domain.money import MAX_MINOR
from app.domain.permissions import Permission
from app.domain.sync_protocol import Status
from server.catalog import service as catalog
from server.catalog.schemas import ProductPatch
from server.catalog.views import product_view
from server.common.versioning import now_ms
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import identifier, is_int, require_staff

FIELDS = ("name", "description", "brand", "tags", "archived", "low_stock_threshold_milli")
VARIANT_FIELDS = ("id", "price", "cost", "archived")


def product_update(ctx: Context) -> Outcome:
    payload = ctx.payload
    product_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    base_version = payload.get("base_version")
    if not is_int(base_version) or base_version < 1:
        raise Refused("payload.base_version: must be the version the edit was based on (1 or more)")
    fields = _fields(payload.get("fields") or {}, base_version)
    variants = payload.get("variants") or []
    principal = require_staff(ctx, Permission.CATALOG_WRITE)
    current = ctx.db.products.find_one({"_id": product_id}, session=ctx.session)
    if current is None:
        raise Refused(f"payload.id: no product {product_id} in the catalogue")
    if int(current["version"]) != base_version:
        return Outcome(Status.CONFLICT, reason=(
            f"the product was changed on the server meanwhile (version {current['version']}; "
            f"this edit was based on version {base_version})"), current=product_view(current))
    changes = dict(fields)
    edited = _variants(current, variants, ctx.currency)
    if edited != current.get("variants", []):
        changes["variants"] = edited
    changes = {k: v for k, v in changes.items() if current.get(k) != v}
    if not changes:  # the product as it stands, so the till's version is right either way
        return Outcome(Status.APPLIED, current=product_view(current))
    after = {**current, **changes, "version": int(current["version"]) + 1,
             "updated_at": now_ms()}
    action = "product.archived" if changes.get("archived") else \
        "product.unarchived" if changes.get("archived") is False else "product.updated"
    catalog.store_product_in(ctx.db, ctx.session, current, after, actor=principal.actor,
                             action=action, ip=None, request_id=ctx.request_id,
                             audit_id=ctx.derived_id("audit"))
    # the till takes the server's version from here, not by guessing "its base plus one"
    return Outcome(Status.APPLIED, current=product_view(after))


def _fields(raw: Any, version: int) -> Doc:
    """The product fields sent, checked by the catalogue's own PATCH rules."""
    if not isinstance(raw, dict):
        raise Refused("payload.fields: must be an object")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise Refused(f"payload.fields.{unknown[0]}: not a field a back office edits offline "
                      f"({', '.join(FIELDS)})")
    try:
        patch = ProductPatch(version=version, **raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error.get("loc", ()))
        raise Refused(f"payload.fields.{where}: {error.get('msg', 'is not valid')}") from None
    found = {}
    for name in raw:
        value = getattr(patch, name)
        if value is None and name != "low_stock_threshold_milli":
            continue  # null leaves a field as it is, as in a PATCH
        found[name] = list(value) if name == "tags" else value
    return found


def _money(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if not is_int(value) or not 0 <= value <= MAX_MINOR:
        raise Refused(f"{field}: must be a whole number of minor units, 0 to {MAX_MINOR}")
    return value


def _variants(product: Doc, edits: Any, currency: str) -> list[Doc]:
    """The product's variants with the edits applied (every edit checked first)."""
    if not isinstance(edits, list):
        raise Refused("payload.variants: must be a list")
    variants = [dict(v) for v in product.get("variants", [])]
    by_id = {v["id"]: v for v in variants}
    seen: set[str] = set()
    for n, edit in enumerate(edits):
        where = f"payload.variants[{n}]"
        if not isinstance(edit, dict):
            raise Refused(f"{where}: must be an object")
        unknown = sorted(set(edit) - set(VARIANT_FIELDS))
        if unknown:
            raise Refused(f"{where}.{unknown[0]}: not a variant field "
                          f"({', '.join(VARIANT_FIELDS)})")
        variant = by_id.get(edit.get("id"))
        if variant is None or edit["id"] in seen:
            raise Refused(f"{where}.id: " + ("names the variant twice" if variant is not None
                                             else f"no variant {edit.get('id')} in this product"))
        seen.add(edit["id"])
        for key, name in (("price", "prices"), ("cost", "cost")):
            amount = _money(edit.get(key), f"{where}.{key}")
            if amount is not None and _effective(product, variant, name, currency) != amount:
                table = variant.get(name)
                variant[name] = {**(table if table is not None else product.get(name) or {}),
                                 currency: amount}
        if "archived" in edit:
            if not isinstance(edit["archived"], bool):
                raise Refused(f"{where}.archived: must be true or false")
            variant["archived"] = edit["archived"]
    return variants


def _effective(product: Doc, variant: Doc, name: str, currency: str) -> int | None:
    """The variant's own price (or cost) in ``currency``, else the product's."""
    table = variant.get(name)
    table = table if table is not None else product.get(name) or {}
    return table.get(currency)

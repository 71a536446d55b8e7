"""Importing the catalogue: a row whose SKU is in the catalogue updates that variant and its
product; a row with a new SKU creates a product (one variant) through the products service.

What an update may change is what a ``product.update`` carries to the server: the product's
name, brand and archived flag, and the variant's price, cost and archived flag. Category, tax
class, barcodes, variant name, attributes and "sold by weight" are compared and, when they
differ, refused with the reason (they are edited on the product's page), so a file exported,
edited and imported back never changes something silently or not at all. A column left out
of the file changes nothing. Rows of one product must agree on its name and brand.

Updates are queued per product exactly as ``app.catalog_edit.update_product`` queues them
(the version the edit is based on counts this till's unacknowledged edits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.audit import canonical_json
from app.back_office.data.plan import (CREATE, REFUSED, UNCHANGED, UPDATE, Cancelled,
                                       ImportCancelled, Plan, Progress, bulk_insert, bulk_update,
                                       chunks, message, parse_flag, parse_money)
from app.back_office.data.table import Table
from app.catalog_edit import MAX_TEXT, VERSIONED_KINDS
from app.domain.barcodes import check_barcode
from app.domain.errors import DomainError, RuleViolation
from app.domain.sync_protocol import MutationKind
from app.exports import PRODUCT_COLUMNS
from db.base import new_id, utcnow
from db.models import Barcode, Category, OutboxEntry, Product, TaxClass, Variant

COLUMNS = tuple(PRODUCT_COLUMNS)
REQUIRED = ("sku",)
NEW_PRODUCT_COLUMNS = ("name", "tax_class", "price")
#: compared, never changed by an import (edited on the product's page)
FIXED = ("barcodes", "variant", "attributes", "category", "tax_class", "sold_by_weight")
WRITE_CHUNK = 2000
MAX_SKU = 64


@dataclass
class ProductUpdate:
    product_id: str
    base_version: int
    fields: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> price, cost, archived


@dataclass(frozen=True, slots=True)
class NewProduct:
    row: int
    sku: str
    name: str
    brand: str
    tax_class_id: str
    category_id: str | None
    price: int
    cost: int
    sold_by_weight: bool
    variant_name: str
    attributes: tuple[tuple[str, str], ...]
    barcodes: tuple[str, ...]


@dataclass(slots=True)
class _Current:
    variant_id: str
    product_id: str
    version: int
    name: str
    brand: str
    price: int
    cost: int
    product_archived: bool
    variant_archived: bool
    variant: str
    attributes: str
    category: str
    tax_class: str
    sold_by_weight: bool
    barcodes: str = ""


def _category_paths(session: Session) -> dict[str, str | None]:
    """Category as the export writes it ("Parent > Child") → id; None when two share it."""
    parent = aliased(Category)
    paths: dict[str, str | None] = {}
    for category_id, name, parent_name in session.execute(
            select(Category.id, Category.name, parent.name)
            .outerjoin(parent, Category.parent_id == parent.id)):
        path = f"{parent_name} > {name}" if parent_name else name
        paths[path] = None if path in paths else category_id
    return paths


def _current(session: Session, skus: list[str]) -> dict[str, _Current]:
    parent = aliased(Category)
    found: dict[str, _Current] = {}
    for part in chunks(skus):
        rows = session.execute(
            select(Variant.sku, Variant.id, Product.id, Product.version, Product.name,
                   Product.brand, Variant.price, Variant.cost, Product.archived,
                   Variant.archived, Variant.name, Variant.attributes, Category.name,
                   parent.name, TaxClass.name, Product.sold_by_weight)
            .join(Product, Variant.product_id == Product.id)
            .join(TaxClass, Product.tax_class_id == TaxClass.id)
            .outerjoin(Category, Product.category_id == Category.id)
            .outerjoin(parent, Category.parent_id == parent.id)
            .where(Variant.sku.in_(part)))
        by_id: dict[str, _Current] = {}
        for (sku, vid, pid, version, name, brand, price, cost, p_arch, v_arch, v_name, attrs,
             category, parent_name, tax_class, by_weight) in rows:
            path = f"{parent_name} > {category}" if parent_name else (category or "")
            found[sku] = by_id[vid] = _Current(vid, pid, version, name, brand, price, cost,
                                               p_arch, v_arch, v_name, attrs, path, tax_class,
                                               by_weight)
        codes: dict[str, list[str]] = {}
        for variant_id, code in session.execute(  # this chunk's variants' barcodes
                select(Barcode.variant_id, Barcode.code)
                .where(Barcode.variant_id.in_(list(by_id))).order_by(Barcode.code)):
            codes.setdefault(variant_id, []).append(code)
        for variant_id, listed in codes.items():
            by_id[variant_id].barcodes = ";".join(listed)
    return found


def _pending(session: Session, product_ids: list[str]) -> dict[str, int]:
    """Per product, what ``catalog_edit.pending_updates`` counts (its kinds: an image queued
    is a new version on the server too), in bulk."""
    pending: dict[str, int] = {}
    for part in chunks(product_ids):
        pending.update(session.execute(
            select(OutboxEntry.entity_id, func.count())
            .where(OutboxEntry.kind.in_(VERSIONED_KINDS), OutboxEntry.entity_id.in_(part))
            .group_by(OutboxEntry.entity_id)).all())
    return pending


def _text(plan: Plan, number: int, cells: dict[str, str], column: str) -> str | None:
    if column not in cells:
        return None
    value = cells[column].strip()
    limit = MAX_TEXT.get(column, 300)
    if len(value) > limit:
        plan.error(number, column, f"is longer than {limit} characters")
    elif not value.isprintable():
        plan.error(number, column, "holds control characters")
    elif column == "name" and not value:
        plan.error(number, column, "is required")
    return value


def _money(plan: Plan, number: int, cells: dict[str, str], column: str,
           currency: str) -> int | None:
    if column not in cells:
        return None
    try:
        return parse_money(cells[column], currency, field=column)
    except DomainError as exc:
        plan.error(number, column, message(exc))
        return None


def _flag(plan: Plan, number: int, cells: dict[str, str], column: str) -> bool | None:
    if column not in cells:
        return None
    try:
        return parse_flag(cells[column])
    except ValueError as exc:
        plan.error(number, column, str(exc))
        return None


def _attributes(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in (p for p in text.split(";") if p.strip()):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{part[:40]!r} is not name=value (e.g. size=M;colour=Blue)")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def check(session: Session, table: Table, *, currency: str) -> Plan:
    plan = Plan("products", table.columns)
    plan.rows = len(table.rows)
    skus = sorted({c.get("sku", "").strip() for _, c in table.rows} - {""})
    current = _current(session, skus)
    pending = _pending(session, sorted({c.product_id for c in current.values()}))
    categories = _category_paths(session)
    tax_classes = dict(session.execute(select(TaxClass.name, TaxClass.id)).all())
    updates: dict[str, ProductUpdate] = {}
    product_rows: dict[str, tuple[int, str | None, str | None]] = {}  # first row, name, brand
    skus_seen: dict[str, int] = {}
    barcodes_seen: dict[str, int] = {}
    for number, cells in table.rows:
        errors_before = len(plan.errors)
        sku = cells.get("sku", "").strip()
        if not sku:
            plan.error(number, "sku", "is empty")
        elif len(sku) > MAX_SKU or not sku.isprintable():
            plan.error(number, "sku", f"is not a SKU (1–{MAX_SKU} printable characters)")
        elif sku in skus_seen:
            plan.error(number, "sku", f"{sku} is on row {skus_seen[sku]} too")
        skus_seen.setdefault(sku, number)
        name = _text(plan, number, cells, "name")
        brand = _text(plan, number, cells, "brand")
        price = _money(plan, number, cells, "price", currency)
        cost = _money(plan, number, cells, "cost", currency)
        archived = _flag(plan, number, cells, "archived")
        by_weight = _flag(plan, number, cells, "sold_by_weight")
        existing = current.get(sku)
        if existing is not None:
            _check_fixed(plan, number, cells, existing, by_weight)
            first = product_rows.setdefault(existing.product_id, (number, name, brand))
            for column, value, seen in (("name", name, first[1]), ("brand", brand, first[2])):
                if first[0] != number and value is not None and seen is not None and value != seen:
                    plan.error(number, column, f"differs from row {first[0]}, a variant of the "
                                               "same product")
        elif _creator() is None:
            plan.error(number, "sku", f"{sku} is not in the catalogue, and this version "
                                      "creates products on the Products page only")
        else:
            new = _new_product(plan, number, cells, sku, name, brand, price, cost, by_weight,
                               categories, tax_classes, barcodes_seen, session)
            if archived:
                plan.error(number, "archived", "a new product is created on sale: archive it "
                                               "once it is there")
        if len(plan.errors) > errors_before:
            plan.count(number, REFUSED, cells)
            continue
        if existing is None:
            plan.actions.append(new)
            plan.count(number, CREATE, cells)
            continue
        changed = _changes(existing, name, brand, price, cost, archived)
        if not changed:
            plan.count(number, UNCHANGED, cells)
            continue
        entry = updates.get(existing.product_id)
        if entry is None:
            entry = updates[existing.product_id] = ProductUpdate(
                existing.product_id, existing.version + pending.get(existing.product_id, 0))
            plan.actions.append(entry)
        entry.fields.update(changed["product"])
        if changed["variant"]:
            entry.variants[existing.variant_id] = {
                "price": existing.price, "cost": existing.cost,
                "archived": existing.variant_archived, **changed["variant"]}
        plan.count(number, UPDATE, cells)
    return plan


def _check_fixed(plan: Plan, number: int, cells: dict[str, str], existing: _Current,
                 by_weight: bool | None) -> None:
    now = {"barcodes": existing.barcodes, "variant": existing.variant,
           "attributes": existing.attributes, "category": existing.category,
           "tax_class": existing.tax_class}
    for column, value in now.items():
        if column not in cells:
            continue
        given = cells[column].strip()
        if given == value:
            continue
        if column == "barcodes":  # the same codes in another order are the same
            given = ";".join(sorted(c.strip() for c in given.split(";") if c.strip()))
            value = ";".join(sorted(value.split(";"))) if value else ""
        if given != value:
            plan.error(number, column, f"is {value!r} for {existing.variant or 'this SKU'} and an "
                                       "import does not change it: edit the product instead")
    if by_weight is not None and by_weight != existing.sold_by_weight:
        plan.error(number, "sold_by_weight", "an import does not change it: edit the product "
                                             "instead")


def _changes(existing: _Current, name: str | None, brand: str | None, price: int | None,
             cost: int | None, archived: bool | None) -> dict[str, dict[str, Any]]:
    product: dict[str, Any] = {}
    variant: dict[str, Any] = {}
    if name is not None and name != existing.name:
        product["name"] = name
    if brand is not None and brand != existing.brand:
        product["brand"] = brand
    if price is not None and price != existing.price:
        variant["price"] = price
    if cost is not None and cost != existing.cost:
        variant["cost"] = cost
    shown_archived = existing.product_archived or existing.variant_archived
    if archived is not None and archived != shown_archived:
        # The export writes "archived" when the product or the variant is: "no" brings both
        # back, "yes" archives the variant (its product's other variants stay on sale).
        if archived:
            variant["archived"] = True
        else:
            if existing.variant_archived:
                variant["archived"] = False
            if existing.product_archived:
                product["archived"] = False
    if not product and not variant:
        return {}
    return {"product": product, "variant": variant}


def _new_product(plan: Plan, number: int, cells: dict[str, str], sku: str, name: str | None,
                 brand: str | None, price: int | None, cost: int | None,
                 by_weight: bool | None, categories: dict[str, str | None],
                 tax_classes: dict[str, str], barcodes_seen: dict[str, int],
                 session: Session) -> NewProduct | None:
    for column in NEW_PRODUCT_COLUMNS:
        if not cells.get(column, "").strip() and column != "name":  # name: _text said so
            plan.error(number, column, f"is required for a new product ({sku or 'no SKU'} is "
                                       "not in the catalogue)")
    if "name" not in cells:
        plan.error(number, "name", f"is required for a new product ({sku} is not in the "
                                   "catalogue)")
    tax_name = cells.get("tax_class", "").strip()
    tax_class_id = tax_classes.get(tax_name)
    if tax_name and tax_class_id is None:
        plan.error(number, "tax_class", f"{tax_name!r} is not a tax class "
                                        f"({', '.join(sorted(tax_classes))})")
    path = cells.get("category", "").strip()
    category_id = None
    if path:
        if path not in categories:
            plan.error(number, "category", f"{path!r} is not a category (write it as the export "
                                           "does: 'Parent > Child')")
        elif categories[path] is None:
            plan.error(number, "category", f"{path!r} names two categories: rename one first")
        else:
            category_id = categories[path]
    codes: list[str] = []
    for raw in (c for c in cells.get("barcodes", "").split(";") if c.strip()):
        try:
            code = check_barcode(raw, field="barcodes")
        except DomainError as exc:
            plan.error(number, "barcodes", message(exc))
            continue
        if code in barcodes_seen:
            plan.error(number, "barcodes", f"{code} is on row {barcodes_seen[code]} too")
        elif session.get(Barcode, code) is not None:
            plan.error(number, "barcodes", f"{code} is already another product's barcode")
        barcodes_seen.setdefault(code, number)
        codes.append(code)
    variant_name = _text(plan, number, cells, "variant") or ""
    try:
        attributes = _attributes(cells.get("attributes", ""))
    except ValueError as exc:
        plan.error(number, "attributes", str(exc))
        attributes = ()
    if price is None or tax_class_id is None or not name:
        return None
    return NewProduct(number, sku, name, brand or "", tax_class_id, category_id, price,
                      cost or 0, bool(by_weight), variant_name, attributes, tuple(codes))


def apply(session: Session, plan: Plan, *, staff_id: str, progress: Progress | None = None,
          cancelled: Cancelled | None = None) -> int:
    total = len(plan.actions)
    done = 0
    for part in chunks(plan.actions, WRITE_CHUNK):
        if cancelled is not None and cancelled():
            raise ImportCancelled()
        _apply_updates(session, [a for a in part if isinstance(a, ProductUpdate)], staff_id)
        for new in (a for a in part if isinstance(a, NewProduct)):
            _create(session, new, staff_id)
        done += len(part)
        if progress is not None:
            progress(done, total)
    # a Cancel pressed during the last (or only) chunk: still inside the transaction, before
    # the audit entry and the commit, so nothing is written
    if cancelled is not None and cancelled():
        raise ImportCancelled()
    return done


def _apply_updates(session: Session, updates: list[ProductUpdate], staff_id: str) -> None:
    if not updates:
        return
    at = utcnow()
    bulk_update(session, Product.__table__,
                [{"id": u.product_id, **u.fields, "updated_at": at} for u in updates])
    bulk_update(session, Variant.__table__,
                [{"id": vid, **v, "updated_at": at}
                 for u in updates for vid, v in u.variants.items()])
    bulk_insert(session, OutboxEntry.__table__, [
        {"mutation_id": new_id(), "kind": MutationKind.PRODUCT_UPDATE.value,
         "entity_id": u.product_id, "created_at": at, "attempts": 0,
         "payload": canonical_json({"id": u.product_id, "base_version": u.base_version,
                                    "fields": u.fields, "staff_id": staff_id,
                                    "variants": [{"id": vid, **v}
                                                 for vid, v in u.variants.items()]})}
        for u in updates])


def _creator():  # noqa: ANN202 - (create_product, NewVariant) or None
    try:
        from app.back_office.products.service import NewVariant, create_product
    except ImportError:  # the products service is not in this build
        return None
    return create_product, NewVariant


def _create(session: Session, new: NewProduct, staff_id: str) -> None:
    create_product, NewVariant = _creator()
    try:
        create_product(session, staff_id=staff_id, name=new.name, tax_class_id=new.tax_class_id,
                       category_id=new.category_id, brand=new.brand,
                       sold_by_weight=new.sold_by_weight,
                       variants=[NewVariant(sku=new.sku, price=new.price, cost=new.cost,
                                            name=new.variant_name, attributes=new.attributes,
                                            barcodes=new.barcodes)])
    except DomainError as exc:  # a rule the check above does not know: still the row's fault
        raise RuleViolation(f"row {new.row}: {exc}", field="file") from None

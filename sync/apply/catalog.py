"""The shared catalogue from the server's views (``server.catalog.views``): tax classes with
their rates, categories, products with their variants and barcodes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.domain.sync_protocol import DELETE
from db.models import Barcode, Category, Product, TaxClass, TaxRate, Variant
from sync.apply.entries import (BadEntry, Context, Data, Entry, Outcome, flag, is_int,
                                read_upserts, text, whole)
from sync.apply.rows import (Row, delete_where_in, existing, fast_upsert, free_unique, pairs,
                             set_where_in)

_IDS = uuid.UUID("0b6f3c1e-5a7d-4e2b-9c81-2f4d6a8e1b37")
#: The server allows a product without a tax class (no tax); the local schema needs one.
NO_TAX_CLASS_ID = str(uuid.uuid5(_IDS, "no-tax-class"))
NO_TAX_CLASS_NAME = "(no tax class)"

tax_classes = TaxClass.__table__
tax_rates = TaxRate.__table__
categories = Category.__table__
products = Product.__table__
variants = Variant.__table__
barcodes = Barcode.__table__


# --- tax classes ---------------------------------------------------------------------------

def _tax_class(entry: Entry, ctx: Context) -> tuple[Row, list[Row]]:
    data = entry.data
    rates = data.get("rates")
    if not isinstance(rates, list):
        raise BadEntry("rates", "is not a list")
    rate_rows = []
    for position, rate in enumerate(rates):
        if not isinstance(rate, dict):
            raise BadEntry(f"rates[{position}]", "is not an object")
        ppm = whole(rate, "rate_ppm", minimum=0)
        if ppm > 1_000_000:
            raise BadEntry(f"rates[{position}].rate_ppm", "is above 100 %")
        # Ids derived from the class and position: the same entry twice writes the same rows.
        rate_rows.append({"id": str(uuid.uuid5(_IDS, f"{entry.entity_id}:{position}")),
                          "tax_class_id": entry.entity_id, "position": position,
                          "name": text(rate, "name", max_len=100), "rate_ppm": ppm})
    row = {"id": entry.entity_id, "name": text(data, "name", max_len=100),
           "version": whole(data, "version", default=1), "updated_at": ctx.stamp}
    return row, rate_rows


def write_tax_classes(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    outcome = Outcome()
    # A tax class is never removed here: products and past sales name it.
    outcome.applied += [e for e in entries if e.op == DELETE]
    read = read_upserts(entries, lambda e: _tax_class(e, ctx), outcome)
    if not read:
        return outcome
    rows = [row for _, (row, _) in read]
    free_unique(session, tax_classes, "name", rows, max_len=100)
    fast_upsert(session, tax_classes, rows, keys=["id"])
    ids = [row["id"] for row in rows]
    session.execute(delete(tax_rates).where(tax_rates.c.tax_class_id.in_(ids)))
    fast_upsert(session, tax_rates, [r for _, (_, rates) in read for r in rates], keys=["id"])
    outcome.applied += [entry for entry, _ in read]
    return outcome


def ensure_no_tax_class(session: Session, ctx: Context) -> None:
    fast_upsert(session, tax_classes, [{"id": NO_TAX_CLASS_ID, "name": NO_TAX_CLASS_NAME,
                                        "version": 1, "updated_at": ctx.stamp}], keys=["id"])


# --- categories ----------------------------------------------------------------------------

def _category(entry: Entry, ctx: Context) -> Row:
    data = entry.data
    parent = text(data, "parent_id", optional=True, max_len=36)
    if parent == entry.entity_id:
        raise BadEntry("parent_id", "is the category itself")
    return {"id": entry.entity_id, "parent_id": parent, "name": text(data, "name", max_len=200),
            "position": whole(data, "sort", default=0), "version": whole(data, "version", default=1),
            "updated_at": ctx.stamp}


def write_categories(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    outcome = Outcome()
    outcome.applied += [e for e in entries if e.op == DELETE]  # kept: products point at it
    read = read_upserts(entries, lambda e: _category(e, ctx), outcome)
    known = existing(session, categories.c.id, (row["parent_id"] for _, row in read))
    placed: list[tuple[Entry, Row]] = []
    waiting = read
    # Parents first: each row's foreign key is checked as it is written.
    while waiting:
        ready = [(e, r) for e, r in waiting if r["parent_id"] is None or r["parent_id"] in known]
        if not ready:
            break
        placed += ready
        known.update(r["id"] for _, r in ready)
        waiting = [(e, r) for e, r in waiting if r["id"] not in known]
    fast_upsert(session, categories, [row for _, row in placed], keys=["id"])
    outcome.applied += [entry for entry, _ in placed]
    outcome.deferred += [entry for entry, _ in waiting]
    return outcome


# --- products ------------------------------------------------------------------------------

def _prices(data: Data, name: str, *, optional: bool, where: str = "") -> dict[str, int] | None:
    label = f"{where}.{name}" if where else name
    table = data.get(name)
    if table is None:
        return None if optional else {}
    if not isinstance(table, dict):
        raise BadEntry(label, "is not a table of currency to minor units")
    for currency, amount in table.items():
        if not isinstance(currency, str) or len(currency) != 3:
            raise BadEntry(label, f"has {currency!r}, not a currency code")
        if not is_int(amount) or amount < 0:  # money is never negative, in any currency
            raise BadEntry(f"{label}.{currency}", "is not a whole number of minor units >= 0")
    return table


def _attributes(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadEntry(f"{where}.attributes", "is not a table of text")
    return ";".join(f"{k}={v}" for k, v in value.items())


def _codes(variant: Data, n: int) -> list[str]:
    codes = variant.get("barcodes") or []
    if not isinstance(codes, list):
        raise BadEntry(f"variants[{n}].barcodes", "is not a list")
    for code in codes:
        if not isinstance(code, str) or not 0 < len(code) <= 48:
            raise BadEntry(f"variants[{n}].barcodes", f"has {code!r}, not a code of 1 to 48 "
                           "characters")
    return codes


def _variant(variant: Any, n: int, ctx: Context, base: Row, prices: dict[str, int],
             cost: dict[str, int]) -> Row:
    if not isinstance(variant, dict):
        raise BadEntry(f"variants[{n}]", "is not an object")
    where = f"variants[{n}]"
    sku = text(variant, "sku", max_len=64)
    if not sku:
        raise BadEntry(f"{where}.sku", "is empty")
    # As the server prices a sale (server.catalog.lookup): the variant's own table when it has
    # one, else the product's.
    own_prices = _prices(variant, "prices", optional=True, where=where)
    own_cost = _prices(variant, "cost", optional=True, where=where)
    price = (prices if own_prices is None else own_prices).get(ctx.currency)
    unit_cost = (cost if own_cost is None else own_cost).get(ctx.currency)
    return {"id": text(variant, "id", max_len=36), "product_id": base["id"], "sku": sku,
            "name": text(variant, "name", default="", max_len=300),
            "attributes": _attributes(variant.get("attributes"), where),
            "price": price if price is not None else 0,
            "cost": unit_cost if unit_cost is not None else 0,
            # No price in this shop's currency: it cannot be sold here.
            "archived": flag(variant, "archived") or price is None,
            "version": base["version"], "updated_at": ctx.stamp}


def _product(entry: Entry, ctx: Context) -> tuple[Row, list[Row], list[Row]]:
    data = entry.data
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadEntry("tags", "is not a list of text")
    row = {"id": entry.entity_id, "name": text(data, "name", max_len=300),
           "description": text(data, "description", default="", max_len=5000),
           "brand": text(data, "brand", default="", max_len=200),
           "tags": ",".join(tags)[:1000],
           "category_id": text(data, "category_id", optional=True, max_len=36),
           "tax_class_id": text(data, "tax_class_id", optional=True, max_len=36)
           or NO_TAX_CLASS_ID,
           "sold_by_weight": flag(data, "sold_by_weight"),
           "low_stock_threshold": whole(data, "low_stock_threshold_milli", optional=True,
                                        minimum=0),
           "archived": flag(data, "archived"), "version": whole(data, "version", default=1),
           "updated_at": ctx.stamp}
    listed = data.get("variants")
    if not isinstance(listed, list) or not listed:
        raise BadEntry("variants", "a product has at least one variant")
    prices = _prices(data, "prices", optional=False)
    cost = _prices(data, "cost", optional=False)
    variant_rows, code_rows = [], []
    for n, variant in enumerate(listed):
        variant_row = _variant(variant, n, ctx, row, prices, cost)
        variant_rows.append(variant_row)
        variant_id = variant_row["id"]
        code_rows += [{"code": code, "variant_id": variant_id} for code in _codes(variant, n)]
    if len({v["id"] for v in variant_rows}) != len(variant_rows):
        raise BadEntry("variants", "name one variant id twice")
    return row, variant_rows, code_rows


def _archive_products(session: Session, ctx: Context, ids: list[str]) -> None:
    # Archived, never deleted: past sales refer to the product and its variants.
    set_where_in(session, products, "id", ids, {"archived": True, "updated_at": ctx.now})
    set_where_in(session, variants, "product_id", ids, {"archived": True, "updated_at": ctx.now})


def write_products(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    outcome = Outcome()
    deletes = [e for e in entries if e.op == DELETE]
    _archive_products(session, ctx, [e.entity_id for e in deletes])
    outcome.applied += deletes
    read = read_upserts(entries, lambda e: _product(e, ctx), outcome)
    if not read:
        return outcome
    if any(row["tax_class_id"] == NO_TAX_CLASS_ID for _, (row, _, _) in read):
        ensure_no_tax_class(session, ctx)
    known_categories = existing(session, categories.c.id,
                                (row["category_id"] for _, (row, _, _) in read))
    known_taxes = existing(session, tax_classes.c.id,
                           (row["tax_class_id"] for _, (row, _, _) in read))
    ready = []
    for entry, parts in read:
        row = parts[0]
        if (row["category_id"] is None or row["category_id"] in known_categories) \
                and row["tax_class_id"] in known_taxes:
            ready.append((entry, parts))
        else:
            outcome.deferred.append(entry)
    _write_ready(session, ctx, [parts for _, parts in ready])
    outcome.applied += [entry for entry, _ in ready]
    return outcome


def _write_ready(session: Session, ctx: Context, parts: list[tuple[Row, list[Row], list[Row]]]
                 ) -> None:
    if not parts:
        return
    product_rows = [p for p, _, _ in parts]
    variant_rows = [v for _, vs, _ in parts for v in vs]
    code_rows = [c for _, _, cs in parts for c in cs]
    fast_upsert(session, products, product_rows, keys=["id"])
    free_unique(session, variants, "sku", variant_rows, max_len=64)
    fast_upsert(session, variants, variant_rows, keys=["id"])
    listed = {v["id"] for v in variant_rows}
    # A variant the server no longer lists is archived (the server itself never drops one).
    dropped = [vid for vid in _variants_of(session, [p["id"] for p in product_rows])
               if vid not in listed]
    set_where_in(session, variants, "id", dropped, {"archived": True, "updated_at": ctx.now})
    # Replaced: the page's variants lose their old codes, then take theirs; a code that moved
    # from another variant moves with the upsert instead of breaking the primary key.
    delete_where_in(session, barcodes, "variant_id", listed)
    fast_upsert(session, barcodes, code_rows, keys=["code"])


def _variants_of(session: Session, product_ids: list[str]) -> list[str]:
    return [variant_id for _, variant_id in pairs(session, variants.c.product_id, variants.c.id,
                                                  product_ids)]

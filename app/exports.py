"""CSV exports of the catalogue, stock levels and customers, streamed (a million products fit in memory
only as a file) and written atomically: a failed export leaves no half file behind."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.domain.errors import InvalidInput
from app.domain.money import format_amount
from app.domain.quantity import format_quantity
from app.sales.identity import this_register
from db.models import Barcode, Category, Customer, Product, StockLevel, Store, TaxClass, Variant

PRODUCT_COLUMNS = ["sku", "barcodes", "name", "variant", "attributes", "category", "brand",
                   "tax_class", "price", "cost", "sold_by_weight", "archived"]
STOCK_COLUMNS = ["store", "sku", "name", "variant", "quantity"]
#: the import matches a row by ``id`` (or by email when the id is left empty)
CUSTOMER_COLUMNS = ["id", "name", "email", "phone", "address", "notes", "tax_number"]


#: a cell starting with one of these is a formula to a spreadsheet (CSV injection): it is
#: written after a ``'``, which the import (``app.back_office.data.table``) takes off again
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guarded(cell: str) -> str:
    """``cell`` as a spreadsheet shows it, never runs it: ``'=1+1`` for ``=1+1``."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def unguarded(cell: str) -> str:
    """The cell :func:`guarded` wrote (a round trip gives back what was exported)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def _write_atomically(target: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for row in rows:
                writer.writerow([guarded(str(cell)) for cell in row])
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _product_rows(session: Session, currency: str) -> Iterator[list[str]]:
    parent = aliased(Category)
    query = (select(Variant.id, Variant.sku, Product.name, Variant.name, Variant.attributes,
                    Category.name, parent.name, Product.brand, TaxClass.name, Variant.price,
                    Variant.cost, Product.sold_by_weight, Product.archived, Variant.archived)
             .join(Product, Variant.product_id == Product.id)
             .join(TaxClass, Product.tax_class_id == TaxClass.id)
             .outerjoin(Category, Product.category_id == Category.id)
             .outerjoin(parent, Category.parent_id == parent.id)
             .order_by(Variant.sku)
             .execution_options(yield_per=2000))
    for page in session.execute(query).partitions():
        # Barcodes are fetched per page of rows: a handful of queries per 2,000 variants
        # rather than one per variant.
        codes: dict[str, list[str]] = {}
        for variant_id, code in session.execute(
                select(Barcode.variant_id, Barcode.code)
                .where(Barcode.variant_id.in_([row[0] for row in page])).order_by(Barcode.code)):
            codes.setdefault(variant_id, []).append(code)
        for (variant_id, sku, name, variant_name, attributes, category, parent_name, brand,
             tax_class, price, cost, by_weight, archived, variant_archived) in page:
            path = f"{parent_name} > {category}" if parent_name else (category or "")
            yield [sku, ";".join(codes.get(variant_id, [])), name, variant_name, attributes, path,
                   brand, tax_class, format_amount(price, currency), format_amount(cost, currency),
                   "yes" if by_weight else "no", "yes" if (archived or variant_archived) else "no"]


def export_products(session: Session, target: Path, *, currency: str) -> int:
    """Write every variant as a CSV row; returns the number of rows."""
    return _write_atomically(target, PRODUCT_COLUMNS, _product_rows(session, currency))


def _stock_rows(session: Session) -> Iterator[list[str]]:
    query = (select(Store.code, Variant.sku, Product.name, Variant.name, StockLevel.quantity_milli)
             .join(Store, StockLevel.store_id == Store.id)
             .join(Variant, StockLevel.variant_id == Variant.id)
             .join(Product, Variant.product_id == Product.id)
             .order_by(Store.code, Variant.sku)
             .execution_options(yield_per=5000))
    for store_code, sku, name, variant_name, qty in session.execute(query):
        yield [store_code, sku, name, variant_name, format_quantity(qty)]


def export_stock(session: Session, target: Path) -> int:
    """Write the stock level of every variant in every store as CSV; returns the row count."""
    return _write_atomically(target, STOCK_COLUMNS, _stock_rows(session))



def _customer_rows(session: Session) -> Iterator[list[str]]:
    # Erased customers are left out: nothing personal is left of them to export.
    query = (select(Customer.id, Customer.name, Customer.email, Customer.phone, Customer.address,
                    Customer.notes, Customer.tax_number)
             .where(Customer.erased.is_(False)).order_by(Customer.name, Customer.id)
             .execution_options(yield_per=5000))
    for row in session.execute(query):
        yield ["" if value is None else value for value in row]


def export_customers(session: Session, target: Path) -> int:
    """Write every customer (not the erased) as CSV; returns the row count."""
    return _write_atomically(target, CUSTOMER_COLUMNS, _customer_rows(session))


EXPORTS = ("products", "stock", "customers")


def export(store, what: str, target: Path) -> int:  # noqa: ANN001 - db.engine.LocalStore
    """``what`` (products, stock or customers) written to ``target`` from a read transaction
    of ``store``; returns the row count."""
    if what not in EXPORTS:
        raise InvalidInput(f"{what!r} is not something to export ({', '.join(EXPORTS)})",
                           field="what")
    with store.read() as session:
        if what == "products":
            shop, _ = this_register(session)
            return export_products(session, target, currency=shop.currency)
        if what == "stock":
            return export_stock(session, target)
        return export_customers(session, target)

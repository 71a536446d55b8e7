"""Benchmark (not a timed test): the back office's product list at a million products — what
the Products page asks for as it opens, scrolls, sorts and filters — beside a baseline measured
in the same run: the naive list that reads every product with its variants and stock and sorts
in Python (what "load it all into the widget" costs).

    python -m tests.perf.bench_back_office_products [--products N] [--repeat R] [--smoke]

Builds a migrated local store of N products (default 1,000,000; one variant each, one barcode,
a stock level, a threshold of 20 on 2 %, 10 % archived, 40 categories) in a temporary directory with
bulk SQL (recursive CTEs inside SQLite), then indexes them for the till's search set-wise and
fills the list's summaries and tally once (the migration's own statements), as a pull of many
pages ends up doing. Then each query of the
list (``ProductListSource``) is timed R times (median and worst, ms): count, first, middle and
last page by name, first and middle page by SKU and by price, a category (with the categories
below it), low stock, a word search and a SKU prefix. Each row's figure is a count plus one page
of 200 rows, i.e. what the view needs to show something.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from app.back_office.products.listing import ProductListSource
from app.back_office.paging import PAGE_SIZE
from db import search_index
from db.engine import LocalStore

DEFAULT_PRODUCTS = 1_000_000
SMOKE_PRODUCTS = 3_000
DEFAULT_REPEAT = 5
WORDS = ("alpine", "green", "tea", "linen", "shirt", "crème", "soap", "coffee", "brown",
         "socks", "river", "smoky", "bun", "oat", "milk", "honey", "lamp", "desk", "wool",
         "cap", "red", "blue", "sport", "fresh", "hoodie", "olive", "oil", "bread", "jam",
         "apple", "pear", "plum", "salt", "pepper", "rice", "bean", "nut", "cocoa", "mint",
         "lemon")
STAMP = "2026-12-01 00:00:00.000000"


def build(path: Path, products: int) -> dict[str, float]:
    """A store of ``products`` products; returns the seconds each step took."""
    store = LocalStore.open(path)
    with store.write() as session:
        from app.setup import initialise
        initialise(session, store_name="Bench Shop", currency="EUR")
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    search_index.register_functions(db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    times: dict[str, float] = {}
    started = time.perf_counter()
    store_id = db.execute("SELECT value FROM local_settings WHERE key = 'store_id'").fetchone()[0]
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                          "(name LIKE 'product_summary_%' OR name LIKE 'products_tally_%')"
                          ).fetchall()
    db.execute("BEGIN")
    for name, _ in triggers:  # filled set-wise below, as fast as the migration's backfill
        db.execute(f"DROP TRIGGER {name}")
    db.execute("INSERT INTO tax_classes (id, name, version, updated_at) VALUES "
               "('vat', 'VAT', 1, ?)", (STAMP,))
    db.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 39) "
               "INSERT INTO categories (id, parent_id, name, position, version, updated_at) "
               "SELECT printf('c%02d', i), CASE WHEN i >= 8 THEN printf('c%02d', i % 8) END, "
               "printf('Category %d', i), i, 1, ? FROM n", (STAMP,))
    words = "[" + ",".join(f'"{w}"' for w in WORDS) + "]"
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "
        "INSERT INTO products (id, name, description, brand, tags, category_id, tax_class_id, "
        "sold_by_weight, low_stock_threshold, archived, version, updated_at) "
        "SELECT printf('p%08d', i), json_extract(:w, printf('$[%d]', (i * 7) % 40)) || ' ' || "
        "json_extract(:w, printf('$[%d]', (i * 13 + 5) % 40)) || ' ' || "
        "json_extract(:w, printf('$[%d]', (i / 40) % 40)) || ' ' || i, '', "
        "printf('Brand %d', i % 300), '', printf('c%02d', i % 40), 'vat', 0, "
        "CASE WHEN i % 50 = 7 THEN 20000 END, i % 10 = 0, 1, :t FROM n",
        {"n": products, "w": words, "t": STAMP})
    db.execute(
        "INSERT INTO variants (id, product_id, sku, name, attributes, price, cost, archived, "
        "version, updated_at) SELECT printf('v%08d', rowid), id, printf('SKU%08d', "
        "(rowid * 7919) % 100000000), '', '', 100 + (rowid * 37) % 9900, 50, 0, 1, ? "
        "FROM products", (STAMP,))
    db.execute("INSERT INTO barcodes (code, variant_id) SELECT printf('2%011d', rowid) || "
               "'0', id FROM variants")
    db.execute("INSERT INTO stock_levels (store_id, variant_id, quantity_milli) "
               "SELECT ?, id, ((rowid * 31) % 40) * 1000 FROM variants", (store_id,))
    times["rows_s"] = time.perf_counter() - started
    started = time.perf_counter()
    migration = _migration()
    db.execute(migration.FILL_SUMMARIES)
    db.execute(migration.FILL_TALLY)
    for _, sql in triggers:
        db.execute(sql)
    times["summaries_s"] = time.perf_counter() - started
    started = time.perf_counter()
    search_index.refresh(db)  # the triggers queued every variant
    db.execute("COMMIT")
    times["search_index_s"] = time.perf_counter() - started
    db.execute("ANALYZE")
    db.close()
    return times


def _migration() -> Any:
    """Migration 0009, whose statements fill the summaries and the tally set-wise."""
    import importlib.util
    path = Path(__file__).resolve().parents[2] / "db/migrations/versions/0009_product_back_office.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def naive_page(session: Any, offset: int) -> int:
    """The baseline: every product with its variants and stock read, sorted in Python."""
    from sqlalchemy import text
    rows = session.execute(text(
        "SELECT p.id, p.name, v.sku, v.price, l.quantity_milli FROM products AS p "
        "JOIN variants AS v ON v.product_id = p.id LEFT JOIN stock_levels AS l "
        "ON l.variant_id = v.id WHERE p.archived = 0")).all()
    rows.sort(key=lambda r: (r[1], r[0]))
    return len(rows[offset:offset + PAGE_SIZE])


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(samples), "worst_ms": max(samples)}


def cases(products: int) -> list[tuple[str, ProductListSource, str]]:
    """(label, source, where): ``where`` is first, middle or last page."""
    base = ProductListSource()
    return [("count only", base, "count"),
            ("by name, first page", base, "first"),
            ("by name, middle page", base, "middle"),
            ("by name, last page", base, "last"),
            ("by SKU, middle page", base.with_order("sku", False), "middle"),
            ("by price desc, middle page", base.with_order("price", True), "middle"),
            ("category + below, middle", base.with_filters(category_id="c03"), "middle"),
            ("low stock", base.with_filters(low_stock=True), "first"),
            ("archived, by name", base.with_filters(status="archived"), "middle"),
            ("search 'green tea'", base.with_filters(text="green tea"), "first"),
            ("search SKU prefix", base.with_filters(text="SKU0001"), "first"),
            ("by stock, first page", base.with_order("stock", False), "first")]


def run(products: int = DEFAULT_PRODUCTS, *, repeat: int = DEFAULT_REPEAT,
        workdir: Path | None = None, out=sys.stdout) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        path = Path(folder) / "tillpoint.sqlite3"
        figures: dict[str, Any] = {"products": products, **build(path, products)}
        store = LocalStore.open(path)
        try:
            rows: list[tuple[str, int, dict[str, float]]] = []
            with store.read() as session:
                for label, source, where in cases(products):
                    count = source.count(session)
                    offset = {"count": 0, "first": 0, "middle": max(0, count // 2),
                              "last": max(0, count - PAGE_SIZE)}[where]

                    def one(source=source, where=where, offset=offset) -> None:
                        source.count(session)
                        if where != "count":
                            source.rows(session, offset, PAGE_SIZE)

                    rows.append((label, count, timed(one, repeat)))
                baseline = timed(lambda: naive_page(session, products // 2),
                                 1 if products > 100_000 else repeat)
        finally:
            store.close()
    figures["rows"] = rows
    figures["baseline"] = baseline
    _print(figures, out)
    return figures


def _print(f: dict[str, Any], out) -> None:
    print(f"Back office product list, {f['products']:,} products "
          f"(built: rows {f['rows_s']:.1f} s, summaries {f['summaries_s']:.1f} s, "
          f"till search index {f['search_index_s']:.1f} s)", file=out)
    print(f"{'query (count + a page of 200)':34} {'rows':>10} {'median ms':>10} "
          f"{'worst ms':>9}", file=out)
    for label, count, t in f["rows"]:
        print(f"{label:34} {count:>10,} {t['median_ms']:>10.1f} {t['worst_ms']:>9.1f}",
              file=out)
    b = f["baseline"]
    print(f"{'baseline: read all, sort in Python':34} {f['products']:>10,} "
          f"{b['median_ms']:>10.1f} {b['worst_ms']:>9.1f}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_back_office_products",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=None,
                        help=f"default {DEFAULT_PRODUCTS:,}")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_PRODUCTS:,} products")
    args = parser.parse_args(argv)
    products = args.products or (SMOKE_PRODUCTS if args.smoke else DEFAULT_PRODUCTS)
    run(products, repeat=args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark (not a timed test): the back office's stock lists and a full stock count at a
million products, beside a baseline measured in the same run: reading every level with its
product and sorting in Python (what "load it all into the widget" costs).

    python -m tests.perf.bench_back_office_stock [--products N] [--repeat R] [--smoke]

The store is the product list benchmark's (``bench_back_office_products.build``: N products,
one variant and level each, thresholds on 2 %, 10 % archived, 40 categories), plus 50
movements of one variant and 1 % of the products at a low level. Each list query (``app.back_office.stock.levels``) is a count plus
one page of 200 rows, timed R times (median and worst, ms). Then a full count is started once
(``counts.start_count``: every variant's expected level frozen by one INSERT … SELECT), and
its variance report and first page of lines are read.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.back_office.paging import PAGE_SIZE
from app.back_office.stock import counts
from app.back_office.stock.levels import LevelsSource, MovementsSource, low_stock
from db.engine import LocalStore
from tests.perf.bench_back_office_products import build, naive_page, timed

DEFAULT_PRODUCTS = 1_000_000
SMOKE_PRODUCTS = 3_000
DEFAULT_REPEAT = 5
VARIANT = "v00000007"


def _movements(path: Path) -> str:
    """50 movements of one variant, a stock clerk, some low levels; returns the clerk's id."""
    db = sqlite3.connect(path, isolation_level=None)
    store_id = db.execute("SELECT value FROM local_settings WHERE key = 'store_id'").fetchone()[0]
    db.execute("BEGIN")
    db.execute("INSERT INTO staff_users (id, name, email, role, active, version, updated_at) "
               "VALUES ('clerk', 'Clerk', 'clerk@bench', 'stock_clerk', 1, 1, "
               "'2026-12-01 00:00:00.000000')")
    db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) "
               "INSERT INTO stock_movements (id, store_id, variant_id, quantity_milli, kind, "
               "reason, staff_id, at, synced) SELECT printf('m%08d', i), ?, ?, 1000, "
               "'receipt', '', 'clerk', printf('2026-11-%02d 10:00:00.000000', 1 + i % 28), "
               "1 FROM n", (store_id, VARIANT))
    # the built levels never fall to a threshold: half the products with one are made low
    db.execute("UPDATE stock_levels SET quantity_milli = 2000 WHERE variant_id IN (SELECT v.id "
               "FROM variants AS v JOIN products AS p ON p.id = v.product_id "
               "WHERE p.low_stock_threshold IS NOT NULL AND v.rowid % 100 = 7)")
    db.execute("COMMIT")
    db.close()
    return "clerk"


def cases() -> list[tuple[str, Any, str]]:
    base = LevelsSource()
    return [("levels: count only", base, "count"),
            ("levels by SKU, first page", base, "first"),
            ("levels by SKU, middle page", base, "middle"),
            ("levels by SKU desc, middle page", base.with_order("sku", True), "middle"),
            ("levels: category + below", LevelsSource(category_id="c03"), "middle"),
            ("levels: search 'green'", LevelsSource(text="green"), "first"),
            ("levels: search 'gr' (a keystroke)", LevelsSource(text="gr"), "first"),
            ("levels: search 'green tea'", LevelsSource(text="green tea"), "first"),
            ("levels: barcode", LevelsSource(text="2000000000070"), "first"),
            ("low-stock list", low_stock(), "first"),
            ("history of one variant", MovementsSource(variant_id=VARIANT), "first")]


def run(products: int = DEFAULT_PRODUCTS, *, repeat: int = DEFAULT_REPEAT,
        workdir: Path | None = None, out=sys.stdout) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        path = Path(folder) / "tillpoint.sqlite3"
        figures: dict[str, Any] = {"products": products, **build(path, products)}
        clerk = _movements(path)
        store = LocalStore.open(path)
        try:
            rows = []
            with store.read() as session:
                for label, source, where in cases():
                    count = source.count(session)
                    offset = {"count": 0, "first": 0, "middle": max(0, count // 2)}[where]

                    def one(source=source, where=where, offset=offset) -> None:
                        source.count(session)
                        if where != "count":
                            source.rows(session, offset, PAGE_SIZE)

                    rows.append((label, count, timed(one, repeat)))
            started = time.perf_counter()
            with store.write() as session:
                count_id = counts.start_count(session, staff_id=clerk).id
            start_ms = (time.perf_counter() - started) * 1000
            with store.read() as session:
                lines = counts.CountLinesSource(count_id)
                total = lines.count(session)
                rows.append(("count: its lines, first page", total,
                             timed(lambda: lines.rows(session, 0, PAGE_SIZE), repeat)))
                rows.append(("count: variance report", total,
                             timed(lambda: counts.variance_report(session, count_id), repeat)))
                baseline = timed(lambda: naive_page(session, products // 2),
                                 1 if products > 100_000 else repeat)
        finally:
            store.close()
    figures.update(rows=rows, start_count_ms=start_ms, count_lines=total, baseline=baseline)
    _print(figures, out)
    return figures


def _print(f: dict[str, Any], out) -> None:
    print(f"Back office stock, {f['products']:,} products (built in {f['rows_s']:.1f} s)",
          file=out)
    print(f"{'query (count + a page of 200)':34} {'rows':>10} {'median ms':>10} "
          f"{'worst ms':>9}", file=out)
    for label, count, t in f["rows"]:
        print(f"{label:34} {count:>10,} {t['median_ms']:>10.1f} {t['worst_ms']:>9.1f}",
              file=out)
    print(f"{'start a full count (once)':34} {f['count_lines']:>10,} "
          f"{f['start_count_ms']:>10.1f}", file=out)
    b = f["baseline"]
    print(f"{'baseline: read all, sort in Python':34} {f['products']:>10,} "
          f"{b['median_ms']:>10.1f} {b['worst_ms']:>9.1f}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_back_office_stock",
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

"""Benchmark (not a timed test): a sales report served from the rollups, beside the same figures
aggregated from the raw order lines, on the embedded database.

    python -m tests.perf.bench_reports [--lines N] [--repeat R]

Starts SecantusDB (``--sync-on-commit``) in a temporary directory, writes random orders of 1–9
lines (three stores in three timezones, 90 days, 200 products in 12 categories) until they hold
N lines (100,000 by default), each order inserted together with its rollups by
``server.reports.rollups.apply_order`` in one transaction, as checkout does — so the time per
order of that transaction is measured too, beside the same transaction without the rollups.
Then, R times each (median and worst reported): the 90-day sales report by day and by product
and the top-10 products, from the rollups (``server.reports.service``); and the report by
product as a MongoDB aggregation over the raw lines (``$unwind`` + ``$group``), which is what
a server without rollups would run. Both answers are checked to be equal.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from tests.perf.bench_server import BIN, percentile

DEFAULT_LINES = 100_000
DEFAULT_REPEAT = 5
DAYS = 90
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
STORES = [("b-utc", "UTC"), ("b-akl", "Pacific/Auckland"), ("b-nyc", "America/New_York")]
PRODUCTS = [(f"p{i:03d}", f"Product {i}", f"c{i % 12}") for i in range(200)]


def _order(rng: random.Random) -> dict[str, Any]:
    store_id, _ = rng.choice(STORES)
    lines = []
    for index in range(rng.randint(1, 9)):
        product_id, name, category = rng.choice(PRODUCTS)
        quantity, unit = rng.choice([1000, 2000, 500]), rng.randint(100, 9000)
        gross = unit * quantity // 1000
        tax = gross * 2 // 12
        lines.append({"index": index, "product_id": product_id, "variant_id": product_id + "v",
                      "name": name, "category_id": category, "quantity_milli": quantity,
                      "unit_price": unit, "gross": gross, "discount": 0, "tax": tax,
                      "total": gross})
    total = sum(l["total"] for l in lines)
    at = START + timedelta(seconds=rng.randint(0, DAYS * 86400 - 1))
    return {"_id": str(uuid.uuid4()), "store_id": store_id, "channel": "till",
            "status": "delivered", "currency": "EUR", "lines": lines,
            "subtotal": total, "discount_total": 0, "tax_total": sum(l["tax"] for l in lines),
            "shipping_total": 0, "total": total, "cashier_id": rng.choice(["u1", "u2", "u3"]),
            "payments": [{"id": "p", "method": rng.choice(["cash", "card"]), "amount": total,
                          "status": "succeeded"}], "created_at": at}


def _fill(db, lines: int, rng: random.Random) -> dict[str, float]:
    """Orders until ``lines`` lines, each with its rollups in one transaction. Every tenth
    order is also written, alone, to another collection in a transaction of its own: the
    same insert without the rollups, as the baseline of what they cost."""
    from server.database import in_transaction
    from server.reports import rollups

    with_rollups, bare = [], []
    written = count = 0
    while written < lines:
        order = _order(rng)
        written += len(order["lines"])
        count += 1

        def work(session, order=order):
            db.orders.insert_one(order, session=session)
            rollups.apply_order(db, session=session, order=order)

        began = time.perf_counter_ns()
        in_transaction(db, work)
        with_rollups.append(time.perf_counter_ns() - began)
        if count % 10 == 1:
            twin = {**order, "_id": str(uuid.uuid4())}
            began = time.perf_counter_ns()
            in_transaction(db, lambda session: db.bare_orders.insert_one(twin, session=session))
            bare.append(time.perf_counter_ns() - began)
    return {"orders": count, "lines": written,
            "order_p50_ms": percentile(with_rollups, 50),
            "order_p99_ms": percentile(with_rollups, 99),
            "bare_p50_ms": percentile(bare, 50), "bare_p99_ms": percentile(bare, 99)}


def _timed(call, repeat: int) -> tuple[Any, float, float]:
    samples, result = [], None
    for _ in range(repeat):
        began = time.perf_counter_ns()
        result = call()
        samples.append(time.perf_counter_ns() - began)
    return result, percentile(samples, 50), percentile(samples, 100)


def _raw_by_product(db) -> dict[str, tuple[int, int]]:
    pipeline = [{"$unwind": "$lines"},
                {"$group": {"_id": "$lines.product_id", "total": {"$sum": "$lines.total"},
                            "quantity": {"$sum": "$lines.quantity_milli"}}}]
    return {r["_id"]: (r["total"], r["quantity"]) for r in db.orders.aggregate(pipeline)}


def run(lines: int = DEFAULT_LINES, repeat: int = DEFAULT_REPEAT, *, out: TextIO | None = None,
        workdir: Path | None = None, seed: int = 5) -> dict[str, Any]:
    """Run the benchmark, print the table and return its figures (``*_p50_ms``/``*_max_ms``
    per report, the fill's ``order_*``/``bare_*`` per-order times, ``orders``, ``lines``)."""
    import pymongo

    from server.embedded import free_port, uri_for, wait_until_ready
    from server.reports import indexes, service

    if lines < 1 or repeat < 1:
        raise ValueError("lines and repeat must be at least 1")
    out = out or sys.stdout
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-reports-", dir=workdir) as tmp:
        port = free_port()
        with open(Path(tmp) / "secantus.log", "wb") as log:
            database = subprocess.Popen(
                [str(BIN / "secantusd-py"), "--storage-path", str(Path(tmp) / "data"), "--host",
                 "127.0.0.1", "--port", str(port), "--sync-on-commit"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            uri = uri_for(port)
            wait_until_ready(uri, process=database)
            client = pymongo.MongoClient(uri, tz_aware=True)
            db = client.bench
            now = datetime.now(timezone.utc)
            db.stores.insert_many([{"_id": sid, "code": sid, "name": sid, "currency": "EUR",
                                    "timezone": tz, "created_at": now, "updated_at": now}
                                   for sid, tz in STORES])
            indexes.ensure_indexes(db)
            figures: dict[str, Any] = {"repeat": repeat, **_fill(db, lines, rng)}
            # a day either side: the stores' local days straddle the UTC ones
            first, last = (START - timedelta(days=1)).date(), (START + timedelta(days=DAYS)).date()
            span = {"start": first.isoformat(), "end": last.isoformat(), "store_id": None}
            reports = {
                "by_day": lambda: service.sales(db, group_by="day", **span),
                "by_product": lambda: service.sales(db, group_by="product", **span),
                "top10": lambda: service.top_products(db, limit=10, by="total", **span),
                "raw_by_product": lambda: _raw_by_product(db)}
            answers = {}
            for name, call in reports.items():
                answers[name], figures[f"{name}_p50_ms"], figures[f"{name}_max_ms"] = \
                    _timed(call, repeat)
            client.close()
        finally:
            database.kill()  # throwaway data: no clean stop needed
            database.wait(timeout=60)
    served = {r["key"]: (r["total"], r["quantity_milli"]) for r in answers["by_product"]["rows"]}
    figures["products"] = len(served)
    figures["raw_matches"] = served == answers["raw_by_product"]
    _print(figures, out)
    return figures


def _print(f: dict[str, Any], out: TextIO) -> None:
    print(f"\nTillpoint reports benchmark: {f['orders']:,} orders, {f['lines']:,} lines over "
          f"{DAYS} days in {len(STORES)} stores; {f['repeat']} runs per report", file=out)
    print(f"SecantusDB --sync-on-commit; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs", file=out)
    header = f"{'row':<52}{'p50 ms':>10}{'max ms':>10}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for name, label in (("by_day", "sales by day, 90 days (rollups)"),
                        ("by_product", "sales by product, 90 days (rollups)"),
                        ("top10", "top 10 products, 90 days (rollups)"),
                        ("raw_by_product", "by product, aggregation over the raw lines")):
        print(f"{label:<52}{f[name + '_p50_ms']:>10.1f}{f[name + '_max_ms']:>10.1f}", file=out)
    ratio = f["raw_by_product_p50_ms"] / f["by_product_p50_ms"]
    same = "the same figures" if f["raw_matches"] else "DIFFERENT figures (a bug)"
    print(f"The rollups answer by product {ratio:.1f}× faster than the raw aggregation, with "
          f"{same}.", file=out)
    print(f"{'order + rollups, one transaction (p50 / p99)':<52}{f['order_p50_ms']:>10.1f}"
          f"{f['order_p99_ms']:>10.1f}", file=out)
    print(f"{'  the same order without rollups (p50 / p99)':<52}{f['bare_p50_ms']:>10.1f}"
          f"{f['bare_p99_ms']:>10.1f}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_reports",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    args, _ = parser.parse_known_args(argv)
    run(args.lines, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

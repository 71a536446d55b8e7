"""Benchmark (not a timed test): the back office's order list on a big store — this till's
sales and the server's orders in one paged ``UNION ALL`` (``app.back_office.orders.listing``)
— beside a raw query of one table through its index, measured in the same run.

    python -m tests.perf.bench_order_list [--orders N] [--remote M] [--rounds R]
    python -m tests.perf.bench_order_list --smoke      (5,000 + 1,000 orders, 3 rounds)

Builds a migrated store and writes N orders of this till (default 1,000,000) and M orders
the server showed it (default 200,000) straight into their tables with ``executemany`` (a
tenth with a customer, statuses and channels mixed, two years of dates). Then times, each R
times: the list's count, its first page (200 rows, newest first), a page half way down, the
first page of each filter (status, customer, number, a week of days) and of the sort by
total; beside them the raw one-table page (``SELECT … FROM orders ORDER BY created_at DESC
LIMIT 200``) and raw ``count(*)``. A page is read on the database worker, never on the UI
thread: the target is that a page the view asks for arrives within 100 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, TextIO

FULL_ORDERS, FULL_REMOTE, FULL_ROUNDS = 1_000_000, 200_000, 5
SMOKE_ORDERS, SMOKE_REMOTE, SMOKE_ROUNDS = 5_000, 1_000, 3
PAGE = 200
TARGET_MS = 100.0
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
STATUSES = ("delivered",) * 17 + ("refunded", "shipped", "confirmed")
REMOTE_STATUSES = ("delivered", "shipped", "confirmed", "processing", "pending", "cancelled")


def _stamp(at: datetime) -> str:
    return at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")


def build(path: Path, orders: int, remote: int) -> dict[str, Any]:
    """The store with its orders; returns what it holds (for the smoke test's checks)."""
    from db.engine import LocalStore
    from app.setup import initialise

    store = LocalStore.open(path)
    try:
        with store.write() as session:
            initialise(session, store_name="Bench Shop", currency="EUR")
    finally:
        store.close()
    rng = random.Random(10)
    con = sqlite3.connect(path)
    try:
        store_id = con.execute("SELECT id FROM stores").fetchone()[0]
        customers = [(f"cust-{n:06d}", f"{rng.choice(('Smith', 'Jones', 'Lovelace'))} {n}",
                      f"c{n}@example.com", 1, _stamp(START)) for n in range(2_000)]
        con.executemany("INSERT INTO customers (id, name, email, version, updated_at, address,"
                        " tax_number, notes, erased, created_at)"
                        " VALUES (?, ?, ?, ?, ?, '', '', '', 0, ?5)", customers)
        span = 2 * 365 * 24 * 3600
        con.executemany(
            "INSERT INTO orders (id, number, store_id, customer_id, channel, status, currency,"
            " prices_include_tax, subtotal, line_discount_total, order_discount_total,"
            " coupon_discount_total, tax_total, total, paid_total, change_given,"
            " refunded_total, fulfilment, ship_to, created_at, version, updated_at)"
            " VALUES (?, ?, ?, ?, 'till', ?, 'EUR', 1, ?, 0, 0, 0, 0, ?, ?, 0, 0, 'collect', '',"
            " ?, 1, ?)",
            ((f"o-{n:08d}", f"S01-R01-{n:07d}", store_id,
              customers[n % 2000][0] if n % 10 == 0 else None, rng.choice(STATUSES),
              total := rng.randrange(100, 50_000), total, total,
              at := _stamp(START + timedelta(seconds=n * span // max(orders, 1))), at)
             for n in range(orders)))
        rows = []
        for n in range(remote):
            at = START + timedelta(seconds=n * span // max(remote, 1))
            status, total = rng.choice(REMOTE_STATUSES), rng.randrange(100, 50_000)
            view = {"id": f"web-{n}", "number": f"S01-WEB-{n:07d}", "status": status,
                    "email": f"shopper{n}@example.com", "paid_total": total,
                    "shipping_address": {"name": f"{rng.choice(('Smith', 'Brown'))} {n}"}}
            rows.append((f"web-{n}", view["number"], "online", status, 3, "EUR", total,
                         _stamp(at), json.dumps(view)))
        con.executemany("INSERT INTO remote_orders (id, number, channel, status, version,"
                        " currency, total, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        rows)
        con.commit()
        con.execute("ANALYZE")
    finally:
        con.close()
    return {"orders": orders, "remote": remote}


def _timed(fn: Callable[[], Any], rounds: int) -> dict[str, float]:
    times, result = [], None
    for _ in range(rounds):
        began = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {"p50_ms": statistics.median(times), "max_ms": times[-1], "count": rounds,
            "rows": len(result) if isinstance(result, list) else int(result or 0)}


def time_rows(path: Path, orders: int, remote: int, rounds: int) -> dict[str, dict[str, float]]:
    from app.back_office.orders.listing import OrderFilter, OrdersSource
    from db.engine import LocalStore

    store = LocalStore.open(path)
    raw = sqlite3.connect(path)
    week = OrderFilter(date_from=date(2025, 6, 2), date_to=date(2025, 6, 8))
    sources = {
        "page_first": (OrdersSource(), 0), "page_middle": (OrdersSource(), (orders + remote) // 2),
        "status_confirmed": (OrdersSource(OrderFilter(status="confirmed")), 0),
        "customer_smith": (OrdersSource(OrderFilter(customer="smith")), 0),
        "number_part": (OrdersSource(OrderFilter(number="0042")), 0),
        "one_week": (OrdersSource(week), 0),
        "sorted_by_total": (OrdersSource(order="total", descending=True), 0)}
    figures: dict[str, dict[str, float]] = {}
    try:
        def read(source: Any, offset: int) -> Callable[[], list]:
            def go() -> list:
                with store.read() as session:
                    return source.rows(session, offset, PAGE)
            return go

        def count(source: Any) -> Callable[[], int]:
            def go() -> int:
                with store.read() as session:
                    return source.count(session)
            return go

        figures["count_all"] = _timed(count(OrdersSource()), rounds)
        figures["raw_count"] = _timed(lambda: raw.execute(
            "SELECT count(*) FROM orders").fetchone()[0], rounds)
        for name, (source, offset) in sources.items():
            figures[name] = _timed(read(source, offset), rounds)
            if name != "page_middle":
                figures[f"{name}_count"] = _timed(count(source), rounds)
        figures["raw_page"] = _timed(lambda: raw.execute(
            "SELECT id, number, created_at, status, total FROM orders "
            "ORDER BY created_at DESC LIMIT 200").fetchall(), rounds)
        figures["raw_page_middle"] = _timed(lambda: raw.execute(
            "SELECT id, number, created_at, status, total FROM orders "
            "ORDER BY created_at DESC LIMIT 200 OFFSET ?", ((orders + remote) // 2,)).fetchall(),
            rounds)
    finally:
        raw.close()
        store.close()
    return figures


def run(orders: int = FULL_ORDERS, remote: int = FULL_REMOTE, rounds: int = FULL_ROUNDS, *,
        workdir: Path | None = None, out: TextIO | None = None) -> dict[str, Any]:
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-orders-", dir=workdir) as tmp:
        path = Path(tmp) / "tillpoint.sqlite3"
        began = time.perf_counter()
        built = build(path, orders, remote)
        built["build_s"] = time.perf_counter() - began
        figures = time_rows(path, orders, remote, rounds)
    print(f"\nTillpoint order list benchmark: {orders:,} till orders + {remote:,} server "
          f"orders (written in {built['build_s']:.1f} s), {rounds} rounds each", file=out)
    header = f"{'row':<28}{'p50 ms':>10}{'max ms':>10}{'rows':>10}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for name, row in figures.items():
        print(f"{name:<28}{row['p50_ms']:>10.2f}{row['max_ms']:>10.2f}{row['rows']:>10}",
              file=out)
    for name in ("page_first", "status_confirmed", "one_week", "page_middle"):
        p50 = figures[name]["p50_ms"]
        verdict = "meets" if p50 < TARGET_MS else "MISSES"
        raw = "raw_page_middle" if name == "page_middle" else "raw_page"
        print(f"{name}: p50 {p50:.1f} ms (raw one-table page at the same offset "
              f"{figures[raw]['p50_ms']:.1f} ms) vs target < {TARGET_MS:.0f} ms: {verdict} the "
              "target", file=out)
    return {**built, "figures": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_order_list",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=None, help=f"default {FULL_ORDERS:,}")
    parser.add_argument("--remote", type=int, default=None, help=f"default {FULL_REMOTE:,}")
    parser.add_argument("--rounds", type=int, default=None, help=f"default {FULL_ROUNDS}")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    run(args.orders or (SMOKE_ORDERS if args.smoke else FULL_ORDERS),
        args.remote or (SMOKE_REMOTE if args.smoke else FULL_REMOTE),
        args.rounds or (SMOKE_ROUNDS if args.smoke else FULL_ROUNDS), workdir=args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

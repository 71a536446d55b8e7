"""Benchmark (not a timed test): how long a durable checkout takes, beside what one durable SQLite
transaction costs on the same machine.

    python -m tests.perf.bench_checkout [--iterations N] [--products P] [--dir DIR]

Builds a demo store (2,000 products by default) in a temporary directory and rings up N sales of
1–4 random items paid in cash, each in its own ``store.write()`` transaction, timing each from the
start of ``store.write()`` until the commit returned (``perf_counter_ns``); the commit itself is
timed separately too. The baseline is a raw ``sqlite3`` connection on another file in the same
directory with the same pragmas (WAL, ``synchronous=FULL``): N transactions that each insert one
small row and commit. Sales and baseline transactions alternate, so both see the same disk and
machine conditions. A few unmeasured warm-up rounds of each come first.

The ratio to the baseline says how much of a sale's latency is the durable commit the hardware
imposes, and how much is Tillpoint's own work (pricing, ORM, several tables, audit hash chain).
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select, text

from app import demo
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from db.engine import LocalStore
from db.models import Order, Product, StaffUser, Variant

DEFAULT_ITERATIONS = 2000
DEFAULT_PRODUCTS = 2000
WARMUP = 10


def percentile(samples_ns: list[int], pct: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(samples_ns)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1] / 1e6


def _summary(samples_ns: list[int]) -> tuple[float, float, float]:
    return (percentile(samples_ns, 50), percentile(samples_ns, 99),
            sum(samples_ns) / len(samples_ns) / 1e6)


class _RawBaseline:
    """One durable SQLite transaction inserting one small row, on a plain connection."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.journal_mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        self.conn.execute("PRAGMA synchronous=FULL")
        self.synchronous = self.conn.execute("PRAGMA synchronous").fetchone()[0]
        self.conn.execute("CREATE TABLE IF NOT EXISTS sample "
                          "(id INTEGER PRIMARY KEY, at_ns INTEGER NOT NULL, note TEXT NOT NULL)")
        self.n = 0

    def transaction(self) -> int:
        self.n += 1
        started = time.perf_counter_ns()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO sample (at_ns, note) VALUES (?, ?)",
                          (started, f"row {self.n}"))
        self.conn.execute("COMMIT")
        return time.perf_counter_ns() - started

    def close(self) -> None:
        self.conn.close()


class _Till:
    """Rings up random sales on the demo store."""

    def __init__(self, store: LocalStore, seed: int) -> None:
        self.store = store
        self.rng = random.Random(seed)
        with store.read() as session:
            self.variant_ids = session.scalars(
                select(Variant.id).join(Product)
                .where(Variant.archived.is_(False), Product.archived.is_(False))
                .order_by(Variant.sku)).all()
            self.weighed = set(session.scalars(select(Variant.id).join(Product)
                                               .where(Product.sold_by_weight.is_(True))).all())
            self.staff_id = session.scalar(select(StaffUser.id).where(StaffUser.role == "cashier")
                                           .order_by(StaffUser.email))

    def _cart(self) -> Cart:
        cart = Cart()
        for variant_id in self.rng.sample(self.variant_ids, self.rng.randint(1, 4)):
            quantity = (self.rng.randrange(100, 2000) if variant_id in self.weighed
                        else self.rng.randint(1, 3) * 1000)
            cart.add(variant_id, quantity)
        return cart

    def sale(self) -> tuple[int, int]:
        """One sale; returns (ns from the start of the write to its commit, ns of the commit)."""
        cart = self._cart()
        tenders = [Tender(TenderMethod.CASH)]
        started = time.perf_counter_ns()
        with self.store.write() as session:
            checkout(session, cart=cart, tenders=tenders, staff_id=self.staff_id)
            committing = time.perf_counter_ns()
        done = time.perf_counter_ns()
        return done - started, done - committing

    def orders(self) -> int:
        with self.store.read() as session:
            return session.scalar(select(func.count()).select_from(Order)) or 0

    def pragmas(self) -> tuple[str, int]:
        with self.store.write() as session:  # the writer's own connection
            mode = session.execute(text("PRAGMA journal_mode")).scalar_one()
            sync = session.execute(text("PRAGMA synchronous")).scalar_one()
        return mode, sync


def run(iterations: int, out: TextIO | None = None, *, workdir: Path | None = None,
        products: int = DEFAULT_PRODUCTS, seed: int = 1) -> dict:
    """Run the benchmark, print a table to ``out`` (default: ``sys.stdout`` at call time) and
    return the figures in milliseconds."""
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-", dir=workdir) as tmp:
        tmp_dir = Path(tmp)
        store = LocalStore.open(tmp_dir / "tillpoint.sqlite3")
        raw = _RawBaseline(tmp_dir / "raw.sqlite3")
        try:
            built = time.perf_counter()
            with store.write() as session:
                demo.generate(session, products=products, customers=200)
            built = time.perf_counter() - built
            till = _Till(store, seed)
            mode, sync = till.pragmas()
            for _ in range(min(WARMUP, iterations)):
                till.sale()
                raw.transaction()

            orders_before = till.orders()
            sales, commits, raws = [], [], []
            for _ in range(iterations):
                total, commit = till.sale()
                sales.append(total)
                commits.append(commit)
                raws.append(raw.transaction())
            orders_after = till.orders()
        finally:
            raw.close()
            store.close()

    checkout_p50, checkout_p99, checkout_mean = _summary(sales)
    commit_p50, commit_p99, commit_mean = _summary(commits)
    raw_p50, raw_p99, raw_mean = _summary(raws)
    figures = {
        "iterations": iterations, "products": products,
        "checkout_p50_ms": checkout_p50, "checkout_p99_ms": checkout_p99,
        "checkout_mean_ms": checkout_mean,
        "commit_p50_ms": commit_p50, "commit_p99_ms": commit_p99, "commit_mean_ms": commit_mean,
        "raw_txn_p50_ms": raw_p50, "raw_txn_p99_ms": raw_p99, "raw_txn_mean_ms": raw_mean,
        "ratio_p50": checkout_p50 / raw_p50, "ratio_p99": checkout_p99 / raw_p99,
        "orders_before": orders_before, "orders_after": orders_after,
    }

    print(f"\nTillpoint checkout benchmark: {iterations} sales on a demo shop of {products:,} "
          f"products (built in {built:.1f} s)", file=out)
    print(f"SQLite {sqlite3.sqlite_version}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}, files in {Path(tmp).parent}", file=out)
    print(f"Tillpoint store: journal_mode={mode}, synchronous={sync}; raw baseline: "
          f"journal_mode={raw.journal_mode}, synchronous={raw.synchronous} (2 = FULL)", file=out)
    header = f"{'metric':<40}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'p50 ×raw':>10}{'p99 ×raw':>10}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for label, (p50, p99, mean) in (
            ("checkout, write() start → committed", (checkout_p50, checkout_p99, checkout_mean)),
            ("  of which the commit", (commit_p50, commit_p99, commit_mean)),
            ("raw SQLite txn (1-row insert, commit)", (raw_p50, raw_p99, raw_mean))):
        print(f"{label:<40}{p50:>9.3f}{p99:>9.3f}{mean:>9.3f}"
              f"{p50 / raw_p50:>10.1f}{p99 / raw_p99:>10.1f}", file=out)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_checkout",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=DEFAULT_ITERATIONS,
                        help=f"sales (and raw transactions) to time (default {DEFAULT_ITERATIONS})")
    parser.add_argument("--products", type=int, default=DEFAULT_PRODUCTS,
                        help=f"size of the demo catalogue (default {DEFAULT_PRODUCTS})")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to create the temporary directory (default: the system's); "
                             "the disk under it is what is measured")
    args = parser.parse_args(argv)
    run(args.iterations, workdir=args.dir, products=args.products)
    return 0


if __name__ == "__main__":
    sys.exit(main())

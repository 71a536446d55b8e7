"""Benchmark (not a timed test): the three sync figures of issue 6, each beside the raw cost of
the same database work without HTTP.

    python -m tests.perf.bench_sync [--products N] [--orders M] [--rounds R] [--limit L]
                                    [--workers W] [--quick]

Starts SecantusDB (``--sync-on-commit``) and a real ``tillpoint-server`` on it (search worker
off, as in the other server benchmarks), seeds the demo shop with N products
(``server.seed.runner.seed``, default 100,000; ``--quick`` 2,000), pairs an empty till over
HTTP (``POST /devices/pair``; the key is kept in memory, not in a keyring) and measures:

- ``pull``: ``sync.pull.pull`` of the whole feed into the empty till through ``SyncClient``
  in pages of L (default: the protocol's default, as the engine pulls); target ≥ 10,000
  products/s. Beside it: the same pages fetched again and applied with ``sync.apply.apply_page``
  into a second empty till (each page in its own write transaction, as the pull does; the
  fetch untimed), and the same change-log windows read with raw pymongo on the server's
  database.
- ``push``: M sales (default 10,000; quick 200) rung up on the till with
  ``app.sales.checkout`` (its real outbox), then ``sync.push.push`` until the outbox is empty;
  target: 10,000 in under 30 s. Beside it: ``server.sync.push.apply_batch`` called directly
  with the same batches of envelopes (recorded as they were sent) on a fresh database holding
  copies of the store, staff, taxes, categories and the products and stock levels the sales
  name.
- ``round``: ``SyncEngine.run_round()`` on the synced till with nothing to do, R times
  (default 200; quick 50), with a keep-alive client; target p50 < 50 ms. Beside it: one empty
  ``GET /sync/changes`` with ``requests``, and the round's local reads alone (store id,
  cursors, outbox head and count).

Till, server and database share this machine's CPUs: the figures are for comparison between
rows and runs, not a capacity plan.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from tests.perf.bench_server import percentile, server_stack

DEFAULT_PRODUCTS, QUICK_PRODUCTS = 100_000, 2_000
DEFAULT_ORDERS, QUICK_ORDERS = 10_000, 200
DEFAULT_ROUNDS, QUICK_ROUNDS = 200, 50
WARMUP_ROUNDS = 5
PULL_TARGET = 10_000  # products per second
PUSH_TARGET_S, PUSH_TARGET_ORDERS = 30.0, 10_000
ROUND_TARGET_MS = 50.0
PASSWORD = "bench-password-1"
COPY_CHUNK = 500


# -- the till -------------------------------------------------------------------------------------

@dataclass
class _Recorder:
    """The real client, with the time spent inside its HTTP calls and the batches it pushed."""

    client: Any
    http_s: float = 0.0
    batches: list[list[dict[str, Any]]] = field(default_factory=list)

    def changes(self, cursor: str | None, limit: int) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return self.client.changes(cursor, limit)
        finally:
            self.http_s += time.perf_counter() - started

    def push(self, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(mutations)
        started = time.perf_counter()
        try:
            return self.client.push(mutations)
        finally:
            self.http_s += time.perf_counter() - started


def _open_till(folder: Path, me: dict[str, Any]) -> Any:
    """An empty local store with the server's store and register ids (what pairing makes)."""
    from app.setup import initialise
    from db.engine import LocalStore

    folder.mkdir(parents=True)
    store = LocalStore.open(folder / "tillpoint.sqlite3")
    with store.write() as session:
        initialise(session, store_id=me["store_id"], register_id=me["register_id"],
                   store_code=me.get("store_code") or "S01",
                   store_name=me.get("store_name") or "Store",
                   currency=me.get("currency") or "EUR",
                   prices_include_tax=bool(me.get("prices_include_tax", True)),
                   timezone=me.get("timezone") or "UTC",
                   register_code=me.get("register_code") or "R01")
    return store


def _pair(db: Any, base: str, folder: Path) -> tuple[Any, Any, dict[str, Any], str]:
    """Pair a new device over HTTP: ``(store, client, whoami, device_key)``."""
    from server.devices import service as devices
    from sync.client import SyncClient, pair_device
    from sync.credentials import Pairing, remember_pairing

    issued = devices.issue_pairing_code(db, store_code=None, register_code="R01", minutes=10,
                                        actor="bench", ip=None)
    paired = pair_device(base, issued["code"])
    client = SyncClient(base, device_id=paired["device_id"], device_key=paired["device_key"])
    me = client.whoami()
    store = _open_till(folder, me)
    with store.write() as session:
        remember_pairing(session, Pairing(base, me["device_id"], me["store_id"]))
    return store, client, me, paired["device_key"]


def _count(store: Any, model: Any) -> int:
    from sqlalchemy import func, select

    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# -- pull ---------------------------------------------------------------------------------------

def _pull_rows(db: Any, till: Any, client: Any, me: dict[str, Any], limit: int,
               spare: Path) -> dict[str, Any]:
    from db.models import Product
    from sync.apply import apply_page
    from sync.pull import pull

    timed = _Recorder(client)
    started = time.perf_counter()
    result = pull(till, timed, limit=limit)
    pull_s = time.perf_counter() - started
    figures = {"pull_s": pull_s, "pull_http_s": timed.http_s, "pull_entries": result.applied,
               "pull_pages": result.pages, "pull_products_here": _count(till, Product),
               "pull_deferred_left": result.deferred_left}

    other = _open_till(spare, me)  # the same pages again, applied without HTTP in the timing
    apply_s, cursor, fetch_s = 0.0, None, 0.0
    try:
        while True:
            fetching = time.perf_counter()
            page = client.changes(cursor, limit)
            applying = time.perf_counter()
            with other.write() as session:
                apply_page(session, page, store_id=me["store_id"])
            apply_s += time.perf_counter() - applying
            fetch_s += applying - fetching
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        figures.update(apply_s=apply_s, fetch_s=fetch_s, apply_products=_count(other, Product))
    finally:
        other.close()
    figures.update(_raw_reads(db, me["store_id"], limit))
    return figures


def _raw_reads(db: Any, store_id: str, limit: int) -> dict[str, Any]:
    """Every window of the device's feeds read with raw pymongo, as the feed reads them."""
    from pymongo import ASCENDING

    from app.domain.sync_protocol import device_feeds

    feeds = list(device_feeds(store_id))
    heads = {c["_id"]: int(c["seq"]) for c in db.feed_counters.find({"_id": {"$in": feeds}})}
    started, entries = time.perf_counter(), 0
    for feed in feeds:
        for after in range(0, heads.get(feed, 0), limit):
            window = {"feed": feed, "seq": {"$gt": after, "$lte": after + limit}}
            entries += len(list(db.change_log.find(window).sort("seq", ASCENDING)))
    return {"raw_read_s": time.perf_counter() - started, "raw_read_entries": entries}


# -- push ---------------------------------------------------------------------------------------

def _ring_up(till: Any, orders: int, seed: int = 7) -> float:
    """``orders`` cash sales of 1–4 random pulled items; returns the seconds they took."""
    from sqlalchemy import select

    from app.domain.tenders import TenderMethod
    from app.sales.cart import Cart
    from app.sales.checkout import Tender, checkout
    from db.models import Product, StaffUser, Variant

    with till.read() as session:
        variants = session.execute(
            select(Variant.id, Product.sold_by_weight).join(Product)
            .where(Variant.archived.is_(False), Product.archived.is_(False),
                   Variant.price > 0).order_by(Variant.sku)).all()
        cashier = session.scalar(select(StaffUser.id).where(
            StaffUser.role == "cashier", StaffUser.active.is_(True)).order_by(StaffUser.email))
    if not variants or cashier is None:
        raise RuntimeError("the pull brought no sellable variants or no cashier")
    rng, started = random.Random(seed), time.perf_counter()
    for _ in range(orders):
        cart = Cart()
        for variant_id, weighed in rng.sample(variants, min(len(variants), rng.randint(1, 4))):
            cart.add(variant_id, rng.randrange(100, 2000) if weighed else rng.randint(1, 3) * 1000)
        with till.write() as session:
            checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier)
    return time.perf_counter() - started


def _push_rows(mongo: Any, db: Any, till: Any, client: Any, me: dict[str, Any],
               orders: int) -> dict[str, Any]:
    from app.outbox import pending_count
    from sync.push import push

    figures = {"ring_up_s": _ring_up(till, orders)}
    timed = _Recorder(client)
    started = time.perf_counter()
    result = push(till, timed)
    figures.update(push_s=time.perf_counter() - started, push_http_s=timed.http_s,
                   push_sent=result.sent, push_applied=result.applied,
                   push_batches=result.batches)
    with till.read() as session:
        figures["push_left"] = pending_count(session)
    figures.update(_raw_push(mongo, db, me, timed.batches))
    return figures


def _raw_push(mongo: Any, db: Any, me: dict[str, Any],
              batches: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The same batches through ``apply_batch`` on a fresh database, without HTTP."""
    from server.database import ensure_indexes
    from server.security.deps import Principal
    from server.sync.push import apply_batch
    from server.sync.schemas import Mutation

    fresh = mongo[f"{db.name}_raw_push"]
    ensure_indexes(fresh)
    _copy_named(db, fresh, me["store_id"], batches)
    principal = Principal("device", me["device_id"], None, None, me["store_id"],
                          me["register_id"])
    parsed = [[Mutation(**envelope) for envelope in batch] for batch in batches]
    applied, started = 0, time.perf_counter()
    for batch in parsed:
        reply = apply_batch(fresh, principal=principal, mutations=batch, request_id=None)
        applied += sum(r["status"] == "applied" for r in reply["results"])
    return {"raw_push_s": time.perf_counter() - started, "raw_push_applied": applied}


def _copy_named(source: Any, target: Any, store_id: str,
                batches: list[list[dict[str, Any]]]) -> None:
    """What the handlers read: the small collections whole, the named products and levels."""
    for name in ("stores", "registers", "users", "tax_classes", "categories"):
        docs = list(source[name].find())
        if docs:
            target[name].insert_many(docs, ordered=False)
    variants = sorted({line["variant_id"] for batch in batches for m in batch
                       for line in m["payload"].get("lines", []) if line.get("variant_id")})
    for first in range(0, len(variants), COPY_CHUNK):
        chunk = variants[first:first + COPY_CHUNK]
        products = {p["_id"]: p for p in source.products.find({"variants.id": {"$in": chunk}})}
        fresh_ids = set(products) - {p["_id"] for p in target.products.find(
            {"_id": {"$in": sorted(products)}}, {"_id": 1})}
        if fresh_ids:
            target.products.insert_many([products[i] for i in sorted(fresh_ids)], ordered=False)
        levels = list(source.stock_levels.find({"_id": {"$in": [f"{store_id}:{v}" for v in chunk]}}))
        if levels:
            target.stock_levels.insert_many(levels, ordered=False)


# -- an empty round -----------------------------------------------------------------------------

def _timed_calls(call: Callable[[], bool], count: int) -> dict[str, Any]:
    """``count`` sequential calls after a few unmeasured ones: the same figures as the other
    benchmarks' rows (rate, p50, p99, count, errors)."""
    for _ in range(WARMUP_ROUNDS):
        call()
    samples, errors, started = [], 0, time.perf_counter()
    for _ in range(count):
        began = time.perf_counter_ns()
        if call():
            samples.append(time.perf_counter_ns() - began)
        else:
            errors += 1
    elapsed = time.perf_counter() - started
    if not samples:
        raise RuntimeError(f"no call succeeded ({errors} failed)")
    return {"count": len(samples), "errors": errors, "rps": len(samples) / elapsed,
            "p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99)}


def _round_rows(till: Any, client: Any, me: dict[str, Any], key: str, folder: Path,
                rounds: int) -> dict[str, Any]:
    import requests
    from sqlalchemy import func, select

    from app.config.paths import Paths
    from app.domain.sync_protocol import DEFAULT_PULL_LIMIT
    from app.outbox import pending_count
    from app.sales.identity import STORE_KEY, get_local
    from db.models import OutboxEntry, SyncState
    from sync.engine import SyncEngine

    engine = SyncEngine(till, Paths.resolve(folder), client=client)
    catch_up = engine.run_round()  # brings down what the push wrote to the store's feed
    if not catch_up.ok:
        raise RuntimeError(f"the catching-up round failed: {catch_up.problem()}")

    def empty_round() -> bool:
        done = engine.run_round()
        return done.ok and done.push.sent == 0 and done.pull.applied == 0

    with till.read() as session:
        cursor = session.get(SyncState, "server").cursor
    http = requests.Session()
    http.headers["Authorization"] = f"Device {me['device_id']}:{key}"
    url = f"{client.base_url}/api/v1/sync/changes"

    def empty_get() -> bool:
        reply = http.get(url, params={"cursor": cursor, "limit": DEFAULT_PULL_LIMIT}, timeout=30)
        return reply.status_code == 200 and reply.json()["changes"] == []

    def local_reads() -> bool:  # what a round reads here besides the HTTP replies
        with till.read() as session:
            get_local(session, STORE_KEY)
            session.get(SyncState, "server")
            session.get(SyncState, "server.snapshot")
            session.scalar(select(func.max(OutboxEntry.seq)))
            return pending_count(session) == 0

    try:
        rows = {"round": _timed_calls(empty_round, rounds),
                "raw_get": _timed_calls(empty_get, rounds),
                "local_reads": _timed_calls(local_reads, rounds)}
    finally:
        http.close()
    return {f"{name}_{k}": v for name, row in rows.items() for k, v in row.items()}


# -- the run ------------------------------------------------------------------------------------

def run(products: int = DEFAULT_PRODUCTS, orders: int = DEFAULT_ORDERS,
        rounds: int = DEFAULT_ROUNDS, *, limit: int | None = None, workers: int = 1,
        out: TextIO | None = None, workdir: Path | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table to ``out`` and return the figures (``pull_*``,
    ``apply_*``, ``raw_read_*``, ``push_*``, ``raw_push_*``; ``round``, ``raw_get`` and
    ``local_reads`` as timed rows: ``{row}_rps``, ``_p50_ms``, ``_p99_ms``, ``_count``,
    ``_errors``)."""
    from app.domain.sync_protocol import DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT
    from server.database import connect
    from server.seed.runner import seed

    limit = limit or DEFAULT_PULL_LIMIT
    if products < 1 or orders < 1 or rounds < 1 or workers < 1 or not 1 <= limit <= MAX_PULL_LIMIT:
        raise ValueError(f"products, orders, rounds and workers at least 1; limit 1..{MAX_PULL_LIMIT}")
    out = out or sys.stdout
    figures: dict[str, Any] = {"products": products, "orders": orders, "rounds": rounds,
                               "limit": limit, "workers": workers}
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-sync-", dir=workdir) as tmp, \
            server_stack(Path(tmp), {"TILLPOINT_SEARCH_WORKER": "0"},
                         workers=workers) as (mongo_uri, base, _):
        mongo = connect(mongo_uri)
        till = client = None
        try:
            db = mongo["bench"]
            started = time.perf_counter()
            seed(db, products=products, customers=200, staff_password=PASSWORD,
                 bcrypt_rounds=4, progress=io.StringIO())
            figures["seed_s"] = time.perf_counter() - started
            till, client, me, key = _pair(db, base, Path(tmp) / "till")
            figures.update(_pull_rows(db, till, client, me, limit, Path(tmp) / "spare"))
            figures.update(_push_rows(mongo, db, till, client, me, orders))
            figures.update(_round_rows(till, client, me, key, Path(tmp) / "till", rounds))
        finally:
            if client is not None:
                client.close()
            if till is not None:
                till.close()
            mongo.close()
    _print(figures, out)
    return figures


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def _print(f: dict[str, Any], out: TextIO) -> None:
    n, entries = f["products"], f["pull_entries"]
    print(f"\nTillpoint sync benchmark: {n:,} products ({entries:,} feed entries, pages of "
          f"{f['limit']:,}), {f['orders']:,} offline orders, {f['rounds']} empty rounds; "
          f"server: {f['workers']} worker(s)", file=out)
    print(f"SecantusDB --sync-on-commit; Python {platform.python_version()}, {os.cpu_count()} "
          f"CPUs shared by till, server and database; seeding took {f['seed_s']:.1f} s, "
          f"ringing up the orders {f['ring_up_s']:.1f} s", file=out)
    header = f"{'row':<52}{'seconds':>10}{'products/s':>12}{'entries/s':>12}"
    print(header + "\n" + "-" * len(header), file=out)
    for label, seconds, count in (
            ("initial pull, end to end (sync.pull.pull)", f["pull_s"], entries),
            ("  of which inside the HTTP calls", f["pull_http_s"], entries),
            ("  the same pages, apply_page alone (client side)", f["apply_s"], entries),
            ("  the same windows, raw pymongo reads (server side)", f["raw_read_s"],
             f["raw_read_entries"])):
        print(f"{label:<52}{seconds:>10.2f}{n / seconds:>12,.0f}{count / seconds:>12,.0f}",
              file=out)
    rate = n / f["pull_s"]
    print(f"Pull: {rate:,.0f} products/s — {_verdict(rate >= PULL_TARGET)} the "
          f"{PULL_TARGET:,}/s target.\n", file=out)

    header = f"{'row':<52}{'seconds':>10}{'orders/s':>12}"
    print(header + "\n" + "-" * len(header), file=out)
    for label, seconds in (("push of the outbox, end to end (sync.push.push)", f["push_s"]),
                           ("  of which inside the HTTP calls", f["push_http_s"]),
                           ("  the same batches, apply_batch alone (fresh db)",
                            f["raw_push_s"])):
        print(f"{label:<52}{seconds:>10.2f}{f['orders'] / seconds:>12,.1f}", file=out)
    at_target = f["push_s"] * PUSH_TARGET_ORDERS / f["orders"]
    print(f"Push: {f['orders']:,} orders in {f['push_s']:.1f} s ({f['push_batches']} batches); "
          f"{PUSH_TARGET_ORDERS:,} at this rate: {at_target:.1f} s — "
          f"{_verdict(at_target < PUSH_TARGET_S)} the {PUSH_TARGET_S:g} s target.\n", file=out)

    header = f"{'row':<52}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
    print(header + "\n" + "-" * len(header), file=out)
    for name, label in (("round", "empty round (SyncEngine.run_round)"),
                        ("raw_get", "  one empty GET /sync/changes (requests)"),
                        ("local_reads", "  its local status and cursor reads alone")):
        print(f"{label:<52}{f[name + '_rps']:>10.1f}{f[name + '_p50_ms']:>10.2f}"
              f"{f[name + '_p99_ms']:>10.2f}{f[name + '_errors']:>8}", file=out)
    p50 = f["round_p50_ms"]
    print(f"Empty round: p50 {p50:.1f} ms, p99 {f['round_p99_ms']:.1f} ms — "
          f"{_verdict(p50 < ROUND_TARGET_MS)} the {ROUND_TARGET_MS:g} ms target (a round also "
          "commits its cursor and its outcome: two durable SQLite writes).", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_sync",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=DEFAULT_PRODUCTS)
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--limit", type=int, default=None, help="pull page size")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_PRODUCTS:,} products, {QUICK_ORDERS} orders, "
                             f"{QUICK_ROUNDS} rounds")
    args, _ = parser.parse_known_args(argv)  # python -m tests.perf passes its arguments to all

    def pick(given: int, default: int, quick: int) -> int:
        return quick if args.quick and given == default else given

    run(pick(args.products, DEFAULT_PRODUCTS, QUICK_PRODUCTS),
        pick(args.orders, DEFAULT_ORDERS, QUICK_ORDERS),
        pick(args.rounds, DEFAULT_ROUNDS, QUICK_ROUNDS), limit=args.limit, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())

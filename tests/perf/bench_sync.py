"""Benchmark (not a timed test): the three sync figures of issue 6, each beside the raw cost of
the same database work without HTTP.

    python -m tests.perf.bench_sync [--products N] [--orders M] [--rounds R] [--limit L]
                                    [--workers W] [--quick]

Starts SecantusDB (``--sync-on-commit``) and a real ``tillpoint-server`` on it (search worker
off, as in the other server benchmarks), seeds the demo shop with N products
(``tillpoint-server seed-demo``, default 100,000; ``--quick`` 2,000), pairs an empty till over
HTTP (``POST /devices/pair``; the key is kept in memory, not in a keyring) and measures:

- ``pull``: ``sync.pull.pull`` of the whole feed into the empty till through ``SyncClient``
  in pages of L (default: the protocol's default, as the engine pulls); target ≥ 10,000
  products/s. Beside it: the same pages fetched again and applied with ``sync.apply.apply_page``
  into a second empty till (each page in its own write transaction, as the pull does; the
  fetching and the applying timed apart: the fetching is a second till's pull over HTTP
  without its local work), and the same change-log windows read with raw pymongo on the
  server's database.
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
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from tests.perf.bench_server import BIN, server_stack
from tests.perf.sync_kit import (WARMUP_ROUNDS, Cpu, Commands, Recorder, copy_named, count_rows,
                                 load_average, open_till, pair, ring_up, timed_calls)

DEFAULT_PRODUCTS, QUICK_PRODUCTS = 100_000, 2_000
DEFAULT_ORDERS, QUICK_ORDERS = 10_000, 200
DEFAULT_ROUNDS, QUICK_ROUNDS = 200, 50
PULL_TARGET = 10_000  # products per second
PUSH_TARGET_S, PUSH_TARGET_ORDERS = 30.0, 10_000
ROUND_TARGET_MS = 50.0
PASSWORD = "bench-password-1"


# -- pull ---------------------------------------------------------------------------------------

def _pull_rows(db: Any, till: Any, client: Any, me: dict[str, Any], limit: int,
               spare: Path, cpu: Cpu) -> dict[str, Any]:
    from db.models import Product
    from sync.pull import pull

    timed = Recorder(client)
    started, before = time.perf_counter(), cpu.sample()
    result = pull(till, timed, limit=limit)
    figures = {"pull_s": time.perf_counter() - started, **cpu.since(before, "pull"),
               "pull_http_s": timed.http_s, "pull_entries": result.applied,
               "pull_pages": result.pages, "pull_products_here": count_rows(till, Product),
               "pull_deferred_left": result.deferred_left}
    figures.update(_apply_alone(client, me, limit, spare))
    before = cpu.sample()
    figures.update(_raw_reads(db, me["store_id"], limit), **cpu.since(before, "raw_read"))
    return figures


def _apply_alone(client: Any, me: dict[str, Any], limit: int, spare: Path) -> dict[str, Any]:
    """The same pages fetched again and applied to another empty till (each page in its own
    write transaction, as the pull does), the fetching and the applying timed apart."""
    from db.models import Product
    from sync.apply import apply_page

    other = open_till(spare, me)
    apply_s = fetch_s = 0.0
    cursor = None
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
        return {"apply_s": apply_s, "fetch_s": fetch_s,
                "apply_products": count_rows(other, Product)}
    finally:
        other.close()


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

def _push_rows(mongo_uri: str, db: Any, till: Any, client: Any, me: dict[str, Any],
               orders: int, cpu: Cpu) -> dict[str, Any]:
    from app.outbox import pending_count
    from sync.push import push

    figures = {"ring_up_s": ring_up(till, orders)}
    timed = Recorder(client)
    started, before = time.perf_counter(), cpu.sample()
    result = push(till, timed)
    figures.update(cpu.since(before, "push"), push_s=time.perf_counter() - started,
                   push_http_s=timed.http_s, push_sent=result.sent, push_applied=result.applied,
                   push_batches=result.batches)
    with till.read() as session:
        figures["push_left"] = pending_count(session)
    figures.update(_raw_push(mongo_uri, db, me, timed.batches, cpu))
    return figures


def _raw_push(mongo_uri: str, db: Any, me: dict[str, Any],
              batches: list[list[dict[str, Any]]], cpu: Cpu) -> dict[str, Any]:
    """The same batches through ``apply_batch`` on a fresh database, without HTTP."""
    from server.database import connect, ensure_indexes

    commands = Commands()
    mongo = connect(mongo_uri, event_listeners=[commands])
    try:
        fresh = mongo[f"{db.name}_raw_push"]
        ensure_indexes(fresh)
        return _apply_copies(db, fresh, me, batches, cpu, commands)
    finally:
        mongo.close()


def _apply_copies(db: Any, fresh: Any, me: dict[str, Any], batches: list[list[dict[str, Any]]],
                  cpu: Cpu, commands: Commands) -> dict[str, Any]:
    from server.security.deps import Principal
    from server.sync.push import apply_batch
    from server.sync.schemas import Mutation

    copy_named(db, fresh, me["store_id"], batches)
    principal = Principal("device", me["device_id"], None, None, me["store_id"],
                          me["register_id"])
    parsed = [[Mutation(**envelope) for envelope in batch] for batch in batches]
    commands.reset()
    applied, started, before = 0, time.perf_counter(), cpu.sample()
    for batch in parsed:
        reply = apply_batch(fresh, principal=principal, mutations=batch, request_id=None)
        applied += sum(r["status"] == "applied" for r in reply["results"])
    return {"raw_push_s": time.perf_counter() - started, "raw_push_applied": applied,
            "raw_push_commands": commands.total(0), "raw_push_documents": commands.total(1),
            "raw_push_db_s": commands.total(2), "raw_push_top": commands.top(6),
            **cpu.since(before, "raw_push")}


# -- an empty round -----------------------------------------------------------------------------

def _round_rows(till: Any, client: Any, me: dict[str, Any], key: str, folder: Path,
                rounds: int, cpu: Cpu) -> dict[str, Any]:
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
        before, started = cpu.sample(), time.perf_counter()
        rows = {"round": timed_calls(empty_round, rounds)}
        spent = {**cpu.since(before, "rounds"), "rounds_wall_s": time.perf_counter() - started}
        rows.update(raw_get=timed_calls(empty_get, rounds),
                    local_reads=timed_calls(local_reads, rounds))
    finally:
        http.close()
    return {**spent, **{f"{name}_{k}": v for name, row in rows.items() for k, v in row.items()}}


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

    limit = limit or DEFAULT_PULL_LIMIT
    if min(products, orders, rounds, workers) < 1 or not 1 <= limit <= MAX_PULL_LIMIT:
        raise ValueError("products, orders, rounds and workers: at least 1; limit: 1 to "
                         f"{MAX_PULL_LIMIT}")
    out = out or sys.stdout
    figures: dict[str, Any] = {"products": products, "orders": orders, "rounds": rounds,
                               "limit": limit, "workers": workers, "load_before": load_average()}
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-sync-", dir=workdir) as tmp, \
            server_stack(Path(tmp), {"TILLPOINT_SEARCH_WORKER": "0"},
                         workers=workers) as (mongo_uri, base, env):
        mongo = connect(mongo_uri)
        till = client = None
        try:
            db = mongo["bench"]
            figures.update(_seed_demo(env, products))
            cpu = Cpu(Path(tmp) / "data", base.rsplit(":", 1)[1])
            till, client, me, key = pair(db, base, Path(tmp) / "till")
            figures.update(_pull_rows(db, till, client, me, limit, Path(tmp) / "spare", cpu))
            figures.update(_push_rows(mongo_uri, db, till, client, me, orders, cpu))
            figures.update(_round_rows(till, client, me, key, Path(tmp) / "till", rounds, cpu))
        finally:
            if client is not None:
                client.close()
            if till is not None:
                till.close()
            mongo.close()
    figures["load_after"] = load_average()
    _print(figures, out)
    return figures


def _seed_demo(env: dict[str, str], products: int) -> dict[str, Any]:
    """``tillpoint-server seed-demo``, as an operator fills a server (it also serialises the
    feed's blocks at its end, which the first till's pull then reads); staff passwords at
    bcrypt cost 4: only the staff accounts' creation uses them."""
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "tillpoint-server"), "seed-demo", "--products",
                           str(products), "--customers", "200", "--staff-password-stdin"],
                          input=PASSWORD + "\n", env={**env, "TILLPOINT_BCRYPT_ROUNDS": "4"},
                          text=True, capture_output=True, timeout=7200)
    if done.returncode != 0:
        raise RuntimeError(f"seed-demo failed: {done.stderr[-2000:]}")
    summary = json.loads(done.stdout)
    return {"seed_s": time.perf_counter() - started,
            "feed_blocks": summary.get("feed_blocks", 0)}


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def _table(out: TextIO, columns: list[str], rows: list[tuple[str, list[str]]]) -> None:
    header = f"{'row':<52}" + "".join(f"{c:>12}" for c in columns)
    print(header + "\n" + "-" * len(header), file=out)
    for label, cells in rows:
        print(f"{label:<52}" + "".join(f"{c:>12}" for c in cells), file=out)


def _print(f: dict[str, Any], out: TextIO) -> None:
    n, entries, orders = f["products"], f["pull_entries"], f["orders"]
    load = "" if f["load_before"] is None else \
        f"; load average {f['load_before']:.1f} before, {f['load_after']:.1f} after"
    print(f"\nTillpoint sync benchmark: {n:,} products ({entries:,} feed entries, pages of "
          f"{f['limit']:,}), {orders:,} offline orders, {f['rounds']} empty rounds; server: "
          f"{f['workers']} worker(s)\nSecantusDB --sync-on-commit; Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs shared by till, server and "
          f"database{load}; seed-demo took {f['seed_s']:.1f} s ({f['feed_blocks']:,} feed blocks "
          f"serialised), ringing up the orders {f['ring_up_s']:.1f} s", file=out)
    pull = [("initial pull, end to end (sync.pull.pull)", f["pull_s"], entries),
            ("  inside its HTTP calls (overlapping the applying)", f["pull_http_s"], entries),
            ("  the same pages, apply_page alone (client side)", f["apply_s"], entries),
            ("  the same pages fetched again, HTTP alone", f["fetch_s"], entries),
            ("  the same windows, raw pymongo reads (server side)", f["raw_read_s"],
             f["raw_read_entries"])]
    _table(out, ["seconds", "products/s", "entries/s"],
           [(label, [f"{s:.2f}", f"{n / s:,.0f}", f"{c / s:,.0f}"]) for label, s, c in pull])
    rate = n / f["pull_s"]
    print(f"Pull: {rate:,.0f} products/s — {_verdict(rate >= PULL_TARGET)} the "
          f"{PULL_TARGET:,}/s target.\n", file=out)

    push = [("push of the outbox, end to end (sync.push.push)", f["push_s"]),
            ("  of which inside the HTTP calls", f["push_http_s"]),
            ("  the same batches, apply_batch alone (fresh db)", f["raw_push_s"])]
    _table(out, ["seconds", "orders/s"],
           [(label, [f"{s:.2f}", f"{orders / s:,.1f}"]) for label, s in push])
    at_target = f["push_s"] * PUSH_TARGET_ORDERS / orders
    print(f"apply_batch: {f['raw_push_commands'] / f['push_batches']:.1f} database commands "
          f"per batch of up to 100, {f['raw_push_documents'] / orders:.1f} documents written "
          f"per order, {f['raw_push_db_s']:.2f} s waiting for the database; the most:", file=out)
    for name, (sent, documents, seconds) in f["raw_push_top"]:
        print(f"  {name:<40}{seconds:>8.2f} s{sent:>8.0f} commands{documents:>9.0f} documents",
              file=out)
    print(f"Push: {orders:,} orders in {f['push_s']:.1f} s; "
          f"{PUSH_TARGET_ORDERS:,} at this rate in {at_target:.1f} s — "
          f"{_verdict(at_target < PUSH_TARGET_S)} the {PUSH_TARGET_S:g} s target.\n", file=out)

    rounds = [("round", "empty round (SyncEngine.run_round)"),
              ("raw_get", "  one empty GET /sync/changes (requests)"),
              ("local_reads", "  its local status and cursor reads alone")]
    _table(out, ["per s", "p50 ms", "p99 ms", "errors"],
           [(label, [f"{f[name + '_rps']:.1f}", f"{f[name + '_p50_ms']:.2f}",
                     f"{f[name + '_p99_ms']:.2f}", str(f[name + "_errors"])])
            for name, label in rounds])
    p50 = f["round_p50_ms"]
    print(f"Empty round: p50 {p50:.1f} ms, p99 {f['round_p99_ms']:.1f} ms — "
          f"{_verdict(p50 < ROUND_TARGET_MS)} the {ROUND_TARGET_MS:g} ms target (a round also "
          "commits its cursor and its outcome: two durable SQLite writes).\n", file=out)
    _print_cpu(f, out)


def _print_cpu(f: dict[str, Any], out: TextIO) -> None:
    """Where the time goes: each process's CPU beside the wall time; the rest of the wall
    time is waiting (durable commits, the network, other work on this machine)."""
    each_round = 1000 / (f["round_count"] + WARMUP_ROUNDS)  # ms per round, warm-ups included
    rows = [("pull", "CPU seconds: initial pull", f["pull_s"], 1.0),
            ("raw_read", "  raw pymongo reads (till: the reader)", f["raw_read_s"], 1.0),
            ("push", "CPU seconds: push", f["push_s"], 1.0),
            ("raw_push", "  apply_batch alone (till: the handlers)", f["raw_push_s"], 1.0),
            ("rounds", "CPU ms per empty round (wall: the mean)", f["rounds_wall_s"],
             each_round)]
    _table(out, ["wall", "till", "server", "database"],
           [(label, [f"{value * scale:.2f}" for value in
                     [wall] + [f[f"{name}_cpu_{who}"] for who in ("till", "server", "db")]])
            for name, label, wall, scale in rows])


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

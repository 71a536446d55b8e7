"""Benchmark (not a timed test): the catalogue at scale — ``seed-demo``'s bulk rate and a product
read under concurrent clients, each beside the raw pymongo cost of the same database work.

    python -m tests.perf.bench_catalog [--sizes 100000,1000000] [--seconds S] [--concurrency C]
    python -m tests.perf.bench_catalog --smoke      (1,000 products, 1 s per row)

For each size: starts SecantusDB (``--sync-on-commit``) in a temporary directory and runs the
real ``tillpoint-server seed-demo --products N`` on it (documents/s from its own count), then
inserts documents sampled from what it wrote (products, codes, stock levels and movements,
change-log entries, in the same proportions, into the same full-size collections with their
indexes) with raw ``insert_many`` batches of the same size: the database's bulk-insert rate for
the same documents. The list rows come after these copies (a few per cent more products). Then starts a real ``tillpoint-server`` (search, cart and mail workers off, so they
do not compete for the CPUs) and drives ``GET /api/v1/products/{id}`` for random seeded ids
with C concurrent clients (threads, one keep-alive session each), beside raw pymongo
``find_one`` of the same documents at the same concurrency. Server, database and clients share
this machine's CPUs: the figures compare rows of one run, they are not a capacity plan.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from tests.perf.bench_server import BIN, _ready, _timed, _wait

FULL_SIZES = (100_000, 1_000_000)
SMOKE_SIZE = 1_000
DEFAULT_SECONDS = 10.0
DEFAULT_CONCURRENCY = 8
RAW_INSERT_CAP = 60_000  # documents inserted by the raw baseline (a sample of the same mix)
SAMPLED_IDS = 5_000
SEEDED = ("products", "codes", "stock_levels", "stock_movements", "change_log")


def _start_database(tmp: Path) -> tuple[subprocess.Popen, str]:
    from server.embedded import free_port, uri_for, wait_until_ready

    port = free_port()
    with open(tmp / "secantus.log", "wb") as log:
        process = subprocess.Popen([str(BIN / "secantusd-py"), "--storage-path", str(tmp / "data"),
                                    "--host", "127.0.0.1", "--port", str(port), "--sync-on-commit"],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    uri = uri_for(port)
    wait_until_ready(uri, process=process)
    return process, uri


def _env(uri: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLPOINT_")}
    env.update({"TILLPOINT_MONGODB_URI": uri, "TILLPOINT_MONGODB_DB": "bench",
                "TILLPOINT_SERVER_DATA_DIR": str(tmp / "server"), "TILLPOINT_BCRYPT_ROUNDS": "4",
                "TILLPOINT_JWT_SECRET": secrets.token_urlsafe(48), "TILLPOINT_EMAIL_WORKER": "0",
                "TILLPOINT_SEARCH_WORKER": "0", "TILLPOINT_CART_WORKER": "0"})
    return env


def _seed(env: dict[str, str], products: int, progress: TextIO) -> dict[str, Any]:
    try:
        progress.fileno()
        stderr: Any = progress  # the progress bar shows live
    except (AttributeError, OSError, ValueError):
        stderr = subprocess.PIPE  # a StringIO (tests): handed over at the end
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "tillpoint-server"), "seed-demo", "--products", str(products),
                           "--customers", "0"], env=env, text=True, stdout=subprocess.PIPE,
                          stderr=stderr, timeout=24 * 3600)
    if done.stderr:
        progress.write(done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"seed-demo failed ({done.returncode}): {(done.stderr or '')[-2000:]}")
    summary = json.loads(done.stdout)
    summary["wall_seconds"] = time.perf_counter() - started
    return summary


def _raw_insert(db: Any, documents: int, cap: int) -> dict[str, float]:
    """Insert copies of seeded documents (new increasing ids, same mix) into the very
    collections seed-demo filled, at their full size and with their indexes: the database's
    bulk-insert rate for the same documents at that point."""
    from datetime import datetime, timezone

    from server.seed.documents import SequentialIds

    new_id = SequentialIds(datetime.now(timezone.utc))
    total = sum(db[c].estimated_document_count() for c in SEEDED)
    count = min(documents, cap)
    inserted, seconds = 0, 0.0
    for name in SEEDED:
        share = max(1, count * db[name].estimated_document_count() // max(total, 1))
        sample = list(db[name].find().limit(share))
        for start in range(0, len(sample), 1000):
            batch = [{**doc, "_id": new_id()} for doc in sample[start:start + 1000]]
            if name == "change_log":  # (feed, seq) is unique: copies go to a feed of their own
                for doc in batch:
                    doc["feed"] = f"raw:{doc['feed']}"
            began = time.perf_counter()
            db[name].insert_many(batch, ordered=False)
            seconds += time.perf_counter() - began
            inserted += len(batch)
    return {"documents": inserted, "seconds": seconds, "rate": inserted / seconds}


def _sample_ids(db: Any, products: int) -> list[str]:
    step = max(1, products // SAMPLED_IDS)
    ids = [doc["_id"] for n, doc in enumerate(db.products.find({}, {"_id": 1})) if n % step == 0]
    random.Random(5).shuffle(ids)
    return ids


def _reads(base: str, db: Any, ids: list[str], *, seconds: float,
           concurrency: int) -> dict[str, dict[str, float]]:
    import requests

    def session() -> dict[str, Any]:
        return {"http": requests.Session(), "rng": random.Random()}

    def read(state: dict[str, Any]) -> bool:
        product_id = state["rng"].choice(ids)
        return state["http"].get(f"{base}/api/v1/products/{product_id}",
                                 timeout=60).status_code == 200

    def raw(state: dict[str, Any]) -> bool:
        return db.products.find_one({"_id": state["rng"].choice(ids)}) is not None

    def listing(state: dict[str, Any]) -> bool:
        return state["http"].get(f"{base}/api/v1/products?per_page=50",
                                 timeout=600).status_code == 200

    def raw_listing(state: dict[str, Any]) -> bool:
        found = db.products.find({"archived": False}).sort([("name", 1), ("_id", 1)]).limit(51)
        return len(list(found)) > 0

    # The list rows run with 2 clients: one call reads every product (see the README).
    return {"read": _timed(read, session, seconds=seconds, concurrency=concurrency),
            "raw_read": _timed(raw, session, seconds=seconds, concurrency=concurrency),
            "list": _timed(listing, session, seconds=seconds, concurrency=2),
            "raw_list": _timed(raw_listing, session, seconds=seconds, concurrency=2)}


def run_size(products: int, *, seconds: float, concurrency: int, progress: TextIO,
             workdir: Path | None = None, raw_cap: int = RAW_INSERT_CAP) -> dict[str, Any]:
    """Seed ``products``, measure, tear down; the figures of one size."""
    from server.database import connect
    from server.embedded import free_port

    started: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-catalog-", dir=workdir) as tmp:
        tmp_dir = Path(tmp)
        try:
            database, uri = _start_database(tmp_dir)
            started.append(database)
            env = _env(uri, tmp_dir)
            seeded = _seed(env, products, progress)
            client = connect(uri)
            db = client["bench"]
            raw_insert = _raw_insert(db, seeded["documents"], raw_cap)
            ids = _sample_ids(db, products)
            port = free_port()
            with open(tmp_dir / "server.log", "wb") as log:
                started.append(subprocess.Popen(
                    [str(BIN / "tillpoint-server"), "--port", str(port)], env=env, stdout=log,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
            base = f"http://127.0.0.1:{port}"
            _wait(lambda: _ready(base + "/ready"), started[1], "tillpoint-server",
                  tmp_dir / "server.log")
            reads = _reads(base, db, ids, seconds=seconds, concurrency=concurrency)
            client.close()
        finally:
            if len(started) > 1:
                started[1].terminate()
                started[1].wait(timeout=60)
            if started:
                started[0].kill()  # throwaway data: no clean stop needed
                started[0].wait(timeout=60)
    return {"products": products, "seed": seeded, "raw_insert": raw_insert, **reads}


def _print(results: list[dict[str, Any]], *, seconds: float, concurrency: int, out: TextIO) -> None:
    import platform

    print(f"\nTillpoint catalogue benchmark: {concurrency} concurrent clients, {seconds:g} s per "
          f"read row; SecantusDB --sync-on-commit; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs shared by server, database and clients", file=out)
    header = f"{'products':>10}  {'row':<44}{'rate':>12}{'p50 ms':>9}{'p99 ms':>9}{'×raw':>7}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in results:
        seed, raw = r["seed"], r["raw_insert"]
        print(f"{r['products']:>10,}  {'seed-demo (documents/s)':<44}"
              f"{seed['documents'] / seed['wall_seconds']:>12,.0f}{'':>18}"
              f"{raw['rate'] / (seed['documents'] / seed['wall_seconds']):>7.2f}", file=out)
        print(f"{'':>10}  {'  raw insert_many, same documents (docs/s)':<44}{raw['rate']:>12,.0f}",
              file=out)
        for name, label in (("read", "GET /api/v1/products/{id} (req/s)"),
                            ("raw_read", "  raw find_one, same documents (ops/s)"),
                            ("list", "GET /api/v1/products?per_page=50, 2 clients"),
                            ("raw_list", "  raw find+sort+limit, same query")):
            row = r[name]
            raw_of = {"read": "raw_read", "list": "raw_list"}
            ratio = f"{row['p50_ms'] / r[raw_of[name]]['p50_ms']:>7.1f}" if name in raw_of else ""
            print(f"{'':>10}  {label:<44}{row['rps']:>12,.0f}{row['p50_ms']:>9.2f}"
                  f"{row['p99_ms']:>9.2f}{ratio}", file=out)
    print("×raw: seed-demo's time over raw insert_many's for the same documents; a read's p50 "
          "over raw find_one's.", file=out)


def run(sizes: tuple[int, ...], *, seconds: float = DEFAULT_SECONDS,
        concurrency: int = DEFAULT_CONCURRENCY, out: TextIO | None = None,
        progress: TextIO | None = None, workdir: Path | None = None,
        raw_cap: int = RAW_INSERT_CAP) -> list[dict[str, Any]]:
    """Measure every size, print the table to ``out`` and return the figures."""
    if seconds <= 0 or concurrency < 1 or not sizes or min(sizes) < 1:
        raise ValueError("seconds must be positive, concurrency and sizes at least 1")
    results = [run_size(n, seconds=seconds, concurrency=concurrency,
                        progress=progress or sys.stderr, workdir=workdir, raw_cap=raw_cap)
               for n in sizes]
    _print(results, seconds=seconds, concurrency=concurrency, out=out or sys.stdout)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_catalog",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in FULL_SIZES),
                        help="comma-separated product counts")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="per read row")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_SIZE:,} products and 1 s per row")
    args, _ = parser.parse_known_args(argv)  # python -m tests.perf passes its arguments to all
    try:
        sizes = (SMOKE_SIZE,) if args.smoke else tuple(int(s) for s in args.sizes.split(",") if s)
    except ValueError:
        parser.error("--sizes: comma-separated whole numbers")
    run(sizes, seconds=1.0 if args.smoke else args.seconds, concurrency=args.concurrency,
        raw_cap=5_000 if args.smoke else RAW_INSERT_CAP)
    return 0


if __name__ == "__main__":
    sys.exit(main())

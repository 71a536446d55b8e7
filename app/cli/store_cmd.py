"""Store-level commands: ``init``, ``selfcheck``, ``audit verify``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

from app import __version__, demo, integrity
from app.config.paths import Paths
from app.config.secrets import keyring_available
from app.domain.errors import InvalidInput
from app.sales.identity import this_register
from app.setup import initialise, is_initialised
from db.engine import LocalStore, current_revision, head_revision

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
#: Files the client cannot run without; the installer's test checks them too.
REQUIRED_RESOURCES = ("styles/tillpoint.qss",)


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    init = add("init", "create (and migrate) a local store, optionally with a demo shop", cmd_init)
    init.add_argument("--demo", action="store_true", help="fill it with the demo shop")
    init.add_argument("--products", type=int, default=500, help="demo catalogue size (up to 1,000,000)")
    init.add_argument("--customers", type=int, default=200, help="demo customers")
    init.add_argument("--history-days", type=int, default=0,
                      help="days of demo sales history to ring up")
    init.add_argument("--store-name", default="My Shop")
    init.add_argument("--store-code", default="S01")
    init.add_argument("--register-code", default="R01")
    init.add_argument("--currency", default="EUR")
    init.add_argument("--prices-exclude-tax", action="store_true",
                      help="shelf prices are before tax (as in the US); default: tax included")

    add("selfcheck", "open, migrate and check the store and resources", cmd_selfcheck)

    audit = add("audit", "the hash-chained audit journal", cmd_audit)
    audit.add_argument("action", choices=["verify"])
    # export (and import) live in app.cli.data_cmd


def _progress(stage: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r{stage:>9} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def ensure_demo(paths: Paths, *, products: int = 500, customers: int = 200,
                history_days: int = 0) -> bool:
    """Create the demo shop in ``paths`` unless a shop is already there; True if created."""
    store = LocalStore.open(paths.store)
    try:
        with store.read() as session:
            if is_initialised(session):
                return False
        if not 1 <= products <= 1_000_000:
            raise InvalidInput("must be between 1 and 1,000,000", field="products")
        if not 0 <= history_days <= 3660:
            raise InvalidInput("must be between 0 and 3660 (ten years)", field="history_days")
        with store.write() as session:
            demo.generate(session, products=products, customers=customers,
                          progress=_progress if products >= 20_000 else None)
        if history_days > 0:
            with store.write() as session:
                demo.generate_history(session, days=history_days, progress=_progress)
        return True
    finally:
        store.close()


def cmd_init(args: argparse.Namespace, paths: Paths) -> int:
    started = time.perf_counter()
    if args.demo:
        if not ensure_demo(paths, products=args.products, customers=args.customers,
                           history_days=args.history_days):
            print(f"tillpoint: {paths.store} already holds a shop; nothing changed", file=sys.stderr)
            return 1
    else:
        store = LocalStore.open(paths.store)
        try:
            with store.write() as session:
                initialise(session, store_code=args.store_code, store_name=args.store_name,
                           currency=args.currency, prices_include_tax=not args.prices_exclude_tax,
                           register_code=args.register_code)
        finally:
            store.close()
    print(json.dumps({"data_dir": str(paths.data_dir), "store": str(paths.store),
                      "demo": bool(args.demo), "seconds": round(time.perf_counter() - started, 2)}))
    return 0


def cmd_selfcheck(args: argparse.Namespace, paths: Paths) -> int:
    report: dict[str, object] = {"version": __version__, "data_dir": str(paths.data_dir)}
    problems: list[str] = []
    store = LocalStore.open(paths.store)
    try:
        report["schema"] = current_revision(store.writer)
        if report["schema"] != head_revision():
            problems.append(f"schema {report['schema']} is not the newest ({head_revision()})")
        with store.read() as session:
            if is_initialised(session):
                shop, register = this_register(session)
                report["store"] = f"{shop.code} {shop.name}"
                report["register"] = register.code
            else:
                report["store"] = None
            problems += integrity.check_all(session)
    finally:
        store.close()
    missing = [name for name in REQUIRED_RESOURCES if not (RESOURCES / name).is_file()]
    problems += [f"resource missing: {name}" for name in missing]
    ok, backend = keyring_available()
    report["keyring"] = backend if ok else f"unavailable ({backend}): secrets cannot be stored"
    report["problems"] = problems
    report["ok"] = not problems
    print(json.dumps(report, indent=2))
    return 0 if not problems else 1


def cmd_audit(args: argparse.Namespace, paths: Paths) -> int:
    from app import audit

    store = LocalStore.open(paths.store)
    try:
        with store.read() as session:
            checked, problem = audit.verify(session)
    finally:
        store.close()
    if problem is not None:
        print(f"tillpoint: audit journal broken at entry {problem.seq}: {problem.message}",
              file=sys.stderr)
        return 1
    print(f"audit journal intact: {checked} entries verified")
    return 0


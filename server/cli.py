"""``tillpoint-server``: run the central API, and its admin commands.

    tillpoint-server [--host H] [--port P] [--workers N]
    tillpoint-server create-user --email E --role ROLE [--name NAME]   (password on stdin)
    tillpoint-server pairing-code [--store S] --register NAME
    tillpoint-server api-key --name NAME --role ROLE
    tillpoint-server seed-demo [--products N] [--customers N] [--staff-password-stdin]
    tillpoint-server compact-changes [--feed F] [--keep-tombstones-days N]

Without ``TILLPOINT_MONGODB_URI`` the embedded database (SecantusDB) is used; admin commands
use the running instance when a server owns it, and start one for themselves otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Iterator

from pymongo.database import Database
from pymongo.errors import PyMongoError

from server.config import ServerSettings
from server.database import Mongo, ensure_indexes
from server.embedded import EmbeddedDatabase, EmbeddedDatabaseError
from server.errors import ApiError


def _version() -> str:
    try:
        return version("tillpoint")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tillpoint-server",
                                     description="Tillpoint central API server")
    parser.add_argument("--version", action="version", version=f"tillpoint-server {_version()}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes serving the same database")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    user = sub.add_parser("create-user", help="create a user of any role, already verified; "
                                              "the password comes from standard input")
    user.add_argument("--email", required=True)
    user.add_argument("--role", required=True)
    user.add_argument("--name", default="")
    pairing = sub.add_parser("pairing-code", help="create the register if needed and print a "
                                                  "one-time pairing code")
    pairing.add_argument("--store", help="store code (may be left out when there is one store)")
    pairing.add_argument("--register", required=True, help="register code, e.g. R02")
    key = sub.add_parser("api-key", help="create an API key for a server-to-server client")
    key.add_argument("--name", required=True)
    key.add_argument("--role", required=True)
    demo = sub.add_parser("seed-demo", help="fill an empty central store with the demo shop "
                                            "(catalogue, stock, staff, customers)")
    demo.add_argument("--products", type=int, default=500)
    demo.add_argument("--customers", type=int, default=200)
    demo.add_argument("--seed", type=int, default=7, help="the same seed gives the same shop")
    demo.add_argument("--store", help="store code for the stock (may be left out when there "
                                      "is one store)")
    demo.add_argument("--staff-password-stdin", action="store_true",
                      help="read the demo staff's password from standard input (otherwise "
                           "one is generated and printed)")
    compact = sub.add_parser("compact-changes", help="drop superseded change-log entries and "
                                                     "old tombstones, then serialise the feeds' "
                                                     "blocks for first pulls; prints a JSON "
                                                     "summary")
    compact.add_argument("--feed", action="append", dest="feeds", metavar="FEED",
                         help="a feed to compact, e.g. catalog or store:<id> (repeatable; "
                              "default: every feed)")
    compact.add_argument("--keep-tombstones-days", type=int, default=30, metavar="N",
                         help="keep deletes this many days, so that tills offline for less "
                              "still learn of them (default 30)")
    return parser


@contextmanager
def database(settings: ServerSettings) -> Iterator[Database]:
    """The configured MongoDB, or the embedded one (the running instance when there is one)."""
    embedded = None
    uri = settings.mongodb_uri
    if not uri:
        embedded = EmbeddedDatabase(settings.data_dir)
        uri = embedded.connect_or_start()
    mongo = Mongo.open(uri, settings.database)
    try:
        ensure_indexes(mongo.db)
        yield mongo.db
    finally:
        mongo.close()
        if embedded is not None:
            embedded.stop()


def _create_user(args: argparse.Namespace, settings: ServerSettings) -> int:
    from server.users.service import create_user

    password = sys.stdin.readline().rstrip("\n")
    with database(settings) as db:
        user = create_user(db, email=args.email, role=args.role, name=args.name,
                           password=password, verified=True, actor="cli", ip="local",
                           rounds=settings.bcrypt_rounds)
    print(json.dumps({"id": user["_id"], "email": user["email"], "role": user["role"]}))
    return 0


def _pairing_code(args: argparse.Namespace, settings: ServerSettings) -> int:
    from server.devices.service import issue_pairing_code

    with database(settings) as db:
        issued = issue_pairing_code(db, store_code=args.store, register_code=args.register,
                                    minutes=settings.pairing_code_minutes, actor="cli", ip="local")
    print(issued["code"])
    print(f"register {issued['register_code']} of store {issued['store_code']}; "
          f"valid until {issued['expires_at']:%H:%M:%S} UTC, once", file=sys.stderr)
    return 0


def _api_key(args: argparse.Namespace, settings: ServerSettings) -> int:
    from server.users.service import create_api_key

    with database(settings) as db:
        key = create_api_key(db, name=args.name, role=args.role, actor="cli", ip="local")
    print(key)
    return 0


def _seed_demo(args: argparse.Namespace, settings: ServerSettings) -> int:
    from server.seed.runner import seed

    password = sys.stdin.readline().rstrip("\n") if args.staff_password_stdin else None
    with database(settings) as db:
        summary, generated = seed(db, products=args.products, customers=args.customers,
                                  seed_value=args.seed, staff_password=password,
                                  bcrypt_rounds=settings.bcrypt_rounds, store_code=args.store)
        # the first till's first pull reads whole serialised pages instead of every entry
        # (100,000 products: ~11 s instead of ~99 s measured)
        from server.changes import log as change_log
        from server.sync import feed_cache
        from server.sync.feed import dumps

        blocks = sum(feed_cache.warm(db, state.feed, dumps) for state in change_log.feeds(db))
    result = summary.as_json() | {"feed_blocks": blocks}
    if generated:
        result["staff_password"] = generated  # shown once: the accounts are real
    print(json.dumps(result))
    return 0


def _compact_changes(args: argparse.Namespace, settings: ServerSettings) -> int:
    from datetime import timedelta

    from server.changes.compact import compact_all

    if args.keep_tombstones_days < 0:
        print("tillpoint-server: --keep-tombstones-days must be 0 or more", file=sys.stderr)
        return 2
    from server.sync import feed_cache
    from server.sync.feed import dumps

    with database(settings) as db:
        done = compact_all(db, feeds=args.feeds,
                           tombstone_retention=timedelta(days=args.keep_tombstones_days))
        blocks = {c.feed: feed_cache.warm(db, c.feed, dumps) for c in done}
    print(json.dumps({"feeds": [c.as_json() | {"blocks": blocks[c.feed]} for c in done],
                      "removed": sum(c.superseded_removed + c.tombstones_removed for c in done)}))
    return 0


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _ignore_replayed_signal(signum: int, frame: object) -> None:
    """Installed only while uvicorn runs, which has its own handlers meanwhile."""


def _serve(args: argparse.Namespace, settings: ServerSettings) -> int:
    import uvicorn

    from server import logs

    logs.configure()
    embedded = None
    if not settings.mongodb_uri:
        embedded = EmbeddedDatabase(settings.data_dir)
        os.environ["TILLPOINT_MONGODB_URI"] = embedded.start_owned()
    metrics_dir = None
    if args.workers > 1:
        os.environ["TILLPOINT_WORKER_DIES_WITH_PARENT"] = "1"
        os.environ["TILLPOINT_SUPERVISOR_PID"] = str(os.getpid())
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Workers write their metrics there and /metrics sums them; it must start empty
            # (stale files would be added in), hence a fresh one per run, set before they start.
            metrics_dir = tempfile.mkdtemp(prefix="tillpoint-metrics-")
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    # A single-process uvicorn re-raises the SIGTERM/SIGINT it handled once it has shut down,
    # with the handlers it found: the default ones would kill this process there, before the
    # embedded database is stopped, with status -15. Handlers that ignore that replay let the
    # ``finally`` below run and the process exit 0. (A second signal after that kills.)
    previous = {sig: signal.signal(sig, _ignore_replayed_signal) for sig in _STOP_SIGNALS}
    try:
        uvicorn.run("server.app:create_app_from_env", factory=True, host=args.host,
                    port=args.port, workers=args.workers, log_config=None,
                    timeout_graceful_shutdown=settings.graceful_shutdown_s, proxy_headers=True,
                    forwarded_allow_ips=os.environ.get("TILLPOINT_FORWARDED_ALLOW_IPS", "127.0.0.1"))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if embedded is not None:
            embedded.stop()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = ServerSettings.from_env()
    handlers = {"create-user": _create_user, "pairing-code": _pairing_code, "api-key": _api_key,
                "seed-demo": _seed_demo, "compact-changes": _compact_changes}
    try:
        if args.command is None:
            if args.workers < 1:
                print("tillpoint-server: --workers must be at least 1", file=sys.stderr)
                return 2
            return _serve(args, settings)
        return handlers[args.command](args, settings)
    except ApiError as exc:
        print(f"tillpoint-server: {exc.message}", file=sys.stderr)
        return 1
    except (EmbeddedDatabaseError, PyMongoError) as exc:
        print(f"tillpoint-server: database unavailable: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""``tillpoint pair`` and ``tillpoint sync [--status]`` (registered by ``main.py``: ``app``
never imports ``sync``). Errors: one line on standard error, exit 1."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Callable

from app.config.paths import Paths
from db.engine import LocalStore
from sync.credentials import ENV_VAR
from sync.errors import SyncError
from sync.lock import DEFAULT_TIMEOUT_S

# The engine, pairing and HTTP modules are imported by the handlers that use them: every
# ``tillpoint`` start (the window too) builds this parser.


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    cmd = add("pair", "pair this till with a central server (the credential goes to the keyring)",
              cmd_pair)
    cmd.add_argument("--server", required=True, metavar="URL",
                     help="the central server, e.g. https://tills.example.com")
    cmd.add_argument("--code", required=True, metavar="CODE",
                     help="the one-time pairing code (tillpoint-server pairing-code, or the "
                          "back office)")
    cmd.add_argument("--print-key", action="store_true",
                     help=f"print the device key once (for {ENV_VAR} on a till without a "
                          "keyring) instead of requiring the keyring")

    cmd = add("sync", "run one full sync round headless (exit 1 if anything failed), or print "
                      "the sync state as JSON", cmd_sync)
    cmd.add_argument("--status", action="store_true", help="print the sync state as JSON")
    cmd.add_argument("--wait", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                     help="how long to wait for a round already running (the window's)")


def _fail(message: str) -> int:
    print(f"tillpoint: {message}", file=sys.stderr)
    return 1


def cmd_pair(args: argparse.Namespace, paths: Paths) -> int:
    from sync.pairing import pair

    store = LocalStore.open(paths.store)
    try:
        paired = pair(store, server=args.server, code=args.code, print_key=args.print_key)
    except SyncError as exc:
        return _fail(f"pairing failed: {exc}")
    finally:
        store.close()
    report = {"server": paired.server_url, "device_id": paired.device_id,
              "store_id": paired.store_id, "store": f"{paired.store_code} {paired.store_name}",
              "register_id": paired.register_id, "register": paired.register_code,
              "repaired": paired.repaired, "key_in_keyring": paired.key_saved}
    if paired.device_key is not None:
        report["device_key"] = paired.device_key
        print(f"tillpoint: the device key is shown only now: set {ENV_VAR} to it on this till",
              file=sys.stderr)
    elif os.environ.get(ENV_VAR):
        print(f"tillpoint: warning: {ENV_VAR} is set here and overrides the keyring, so the "
              "new key will not be used: unset it (or pair with --print-key and set it to the "
              "key shown)", file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


def cmd_sync(args: argparse.Namespace, paths: Paths) -> int:
    from sync.engine import SyncEngine
    from sync.status import read_status

    store = LocalStore.open(paths.store)
    try:
        if args.status:
            print(json.dumps(read_status(store).to_json(), indent=2))
            return 0
        try:
            result = SyncEngine(store, paths, lock_timeout=max(args.wait, 0.0)).run_round()
        except SyncError as exc:
            return _fail(f"sync: {exc}")
    finally:
        store.close()
    print(f"sync {'ok' if result.ok else 'incomplete'}: {result.summary()}")
    if not result.ok:
        return _fail(f"sync: {result.problem()}")
    return 0

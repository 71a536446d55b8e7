"""``tillpoint demo`` with its local central server: the till pairs itself with the server's
demo shop and takes its first sync round, in the background (the window is already open and
works offline meanwhile; its status bar follows as soon as the shop has arrived).

A machine without a keyring (a headless demo box) keeps the demo till's key in the demo's own
data directory, readable only by its user: acceptable for a throwaway demo server on
localhost, never for a real till (those use the keyring or ``TILLPOINT_DEVICE_KEY``)."""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.config.paths import Paths
from app.config.secrets import keyring_available
from app.demo import seed_favourites
from app.demo_server import LocalServer, executable
from app.setup import is_initialised
from db.engine import LocalStore
from sync.credentials import paired_with
from sync.engine import SyncEngine
from sync.pairing import pair

log = logging.getLogger(__name__)

DEMO_REGISTER = "R01"
KEY_FILE = "demo-device.key"
KEY_ENV = "TILLPOINT_DEVICE_KEY"


@dataclass(frozen=True, slots=True)
class DemoSetup:
    state: str  # paired | already_paired | local_only | failed
    message: str


def use_saved_demo_key(server: LocalServer) -> None:
    """Before the window starts: a key kept by an earlier headless demo becomes this process's
    device key (the environment override every sync client reads)."""
    path = server.data_dir / KEY_FILE
    if KEY_ENV not in os.environ and path.exists():
        os.environ[KEY_ENV] = path.read_text().strip()


def issue_pairing_code(server: LocalServer, register: str = DEMO_REGISTER) -> str:
    done = subprocess.run([executable("tillpoint-server") or "tillpoint-server", "pairing-code",
                           "--register", register], env=server.env(), capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"the demo server gave no pairing code: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def prepare(paths: Paths, server: LocalServer, *, timeout: float = 600) -> DemoSetup:
    """Wait for the seeded demo server, pair this till with it (once) and sync. Runs on a
    background thread; every failure is returned in words, never raised."""
    if not server.ready.wait(timeout):
        return DemoSetup("failed", server.problem or "the demo server did not get ready")
    store = LocalStore.open(paths.store)
    try:
        with store.read() as session:
            paired = paired_with(session) is not None
            local_only = not paired and is_initialised(session)
        if local_only:
            return DemoSetup("local_only", f"{paths.data_dir} holds a demo shop made without a "
                             "server (an older demo): it keeps working offline; remove the "
                             "directory for a demo that syncs")
        state = "already_paired"
        if not paired:
            _pair(store, server)
            state = "paired"
        result = SyncEngine(store, paths).run_round()
        if not result.succeeded:
            return DemoSetup("failed", f"the first sync failed: {result.problem()}")
        with store.write() as session:  # favourites are the till's own: not on any feed
            seed_favourites(session)
        return DemoSetup(state, f"paired with the demo server at {server.url} and synced")
    except Exception as exc:  # noqa: BLE001 - a demo that cannot pair still runs offline
        log.exception("demo pairing failed")
        return DemoSetup("failed", f"could not pair with the demo server: {exc}")
    finally:
        store.close()


def _pair(store: LocalStore, server: LocalServer) -> None:
    usable, _why = keyring_available()
    headless = not usable and KEY_ENV not in os.environ
    paired = pair(store, server=server.url, code=issue_pairing_code(server), print_key=headless)
    if headless and paired.device_key:
        path: Path = server.data_dir / KEY_FILE
        path.touch(mode=0o600)
        path.write_text(paired.device_key + "\n")
        os.environ[KEY_ENV] = paired.device_key

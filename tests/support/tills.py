"""Tills against real servers: a pairing code from the server's own admin command, and the
``tillpoint`` command line run as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.server_fixtures import BIN, ServerProcess

REPO = Path(__file__).resolve().parents[2]


def issue_code(server: ServerProcess, register: str = "R01", store: str | None = None) -> str:
    """A one-time code for ``register`` (created if needed) from ``tillpoint-server
    pairing-code`` on the server's database."""
    args = [str(BIN / "tillpoint-server"), "pairing-code", "--register", register]
    if store:
        args += ["--store", store]
    done = subprocess.run(args, env=server.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def tillpoint(data_dir: Path, *args: str, env: dict[str, str],
              timeout: float = 120) -> subprocess.CompletedProcess:
    """``python main.py --data-dir DIR ARGS`` (the same as the ``tillpoint`` script)."""
    return subprocess.run([sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir),
                           *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def spawn_tillpoint(data_dir: Path, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir),
                             *args], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)

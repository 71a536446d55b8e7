"""A local central server for the demo: ``tillpoint-server`` on its embedded database, started
beside the desktop client by ``tillpoint demo`` and stopped when the client closes.

It runs as a separate process (the client never imports the server's code); readiness is
checked over HTTP with the standard library. Starting it never delays the window: the till
works offline, so the server catches up in the background.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

DEMO_OWNER_EMAIL = "owner@demo.tillpoint"
DEMO_OWNER_PASSWORD = "demo-owner-password"
DEFAULT_PORT = 8700
DEMO_PRODUCTS = 500  # as many as the client's demo shop (tillpoint init --demo)


def executable(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


class LocalServer:
    """One ``tillpoint-server`` child process with its data under ``data_dir``."""

    def __init__(self, data_dir: Path, port: int = DEFAULT_PORT,
                 products: int = DEMO_PRODUCTS) -> None:
        self.data_dir = data_dir
        self.port = port
        self.products = products
        self.url = f"http://127.0.0.1:{port}"
        self._process: subprocess.Popen | None = None
        self.ready = threading.Event()
        self.problem: str | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "TILLPOINT_MONGODB_URI"}
        env["TILLPOINT_SERVER_DATA_DIR"] = str(self.data_dir)
        env.setdefault("TILLPOINT_PUBLIC_URL", self.url)
        return env

    def start(self) -> bool:
        """Start the process and, in the background, wait for it and seed the demo shop.
        Returns False (and sets ``problem``) when the server cannot be started at all."""
        command = executable("tillpoint-server")
        if command is None:
            self.problem = "tillpoint-server is not installed (pip install -e '.[server]')"
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "server.log", "ab") as logfile:
            self._process = subprocess.Popen([command, "--port", str(self.port)], env=self.env(),
                                             stdout=logfile, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
        threading.Thread(target=self._prepare, name="demo-server", daemon=True).start()
        return True

    def _prepare(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                self.problem = f"the local server stopped; see {self.data_dir / 'server.log'}"
                return
            try:
                with urllib.request.urlopen(f"{self.url}/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        else:
            self.problem = "the local server did not become ready within 2 minutes"
            return
        # The same demo shop as the client's (catalogue, stock, staff with the demo owner, customers);
        # a server seeded on an earlier run refuses to seed again, which is what we want.
        result = subprocess.run([executable("tillpoint-server") or "tillpoint-server",
                                 "seed-demo", "--products", str(self.products),
                                 "--staff-password-stdin"], input=DEMO_OWNER_PASSWORD + "\n",
                                text=True, capture_output=True, env=self.env(), timeout=600)
        if result.returncode != 0 and "catalogue is not empty" not in result.stderr:
            self.problem = f"could not seed the demo shop: {result.stderr.strip()[-500:]}"
            return
        self.ready.set()

    def stop(self, timeout: float = 60) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error("the local server did not stop within %s s; killing it", timeout)
            process.kill()
            process.wait()

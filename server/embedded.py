"""The embedded database: a SecantusDB child process (MongoDB wire protocol on WiredTiger).

One server process owns it: it holds an exclusive lock on ``embedded.lock`` in the data
directory for as long as the database runs, and writes the port to ``embedded.json``. Admin
commands (``create-user``, ``pairing-code``) that find the lock taken connect to the running
instance instead of opening its files a second time; finding it free, they start their own
instance for the duration of the command.

The child always runs with ``--sync-on-commit``: without it, acknowledged writes were lost on
SIGKILL in tests here. On Linux the child is started with ``PR_SET_PDEATHSIG`` so that the
kernel stops it if its owner dies, even by SIGKILL: it is never left orphaned.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 45  # SecantusDB takes 10–20 s to stop cleanly
START_TIMEOUT_S = 60
_PR_SET_PDEATHSIG = 1


class EmbeddedDatabaseError(Exception):
    """The embedded database could not be started or reached: the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent() -> None:
    """Ask the kernel to send SIGTERM to this process when its parent dies (Linux)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_setup() -> None:  # runs in the database child between fork and exec
    die_with_parent()
    os.setpgrp()  # not in the parent's process group: a Ctrl+C reaches the server only


def uri_for(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def wait_until_ready(uri: str, *, timeout: float = START_TIMEOUT_S,
                     process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise EmbeddedDatabaseError(f"the embedded database exited with code {process.returncode}")
        client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
        try:
            client.admin.command("ping")
            return
        except PyMongoError as exc:
            last = exc
        finally:
            client.close()
        time.sleep(0.2)
    raise EmbeddedDatabaseError(f"the embedded database did not answer within {timeout:.0f} s: {last}")


@dataclass
class EmbeddedDatabase:
    data_dir: Path

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self._lock_fd: int | None = None
        self._process: subprocess.Popen | None = None
        self.uri: str | None = None

    @property
    def storage(self) -> Path:
        return self.data_dir / "database"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "embedded.json"

    @property
    def owned(self) -> bool:
        return self._process is not None

    def _try_lock(self) -> bool:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / "embedded.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def connect_or_start(self) -> str:
        """The URI of the running instance, starting one (and owning it) if none runs."""
        if self._try_lock():
            return self._start()
        # Another process owns the database; it may still be writing its state file.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                state = json.loads(self.state_file.read_text())
                uri = uri_for(int(state["port"]))
                wait_until_ready(uri, timeout=max(1.0, deadline - time.monotonic()))
                self.uri = uri
                return uri
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        raise EmbeddedDatabaseError(f"another process holds {self.data_dir}/embedded.lock but its "
                                    "database never became reachable")

    def _start(self) -> str:
        port = free_port()
        self.storage.mkdir(parents=True, exist_ok=True)
        logfile = open(self.data_dir / "database.log", "ab")  # noqa: SIM115 - owned by the child
        command = [str(Path(sys.executable).parent / "secantusd-py"), "--storage-path",
                   str(self.storage), "--host", "127.0.0.1", "--port", str(port), "--sync-on-commit"]
        try:
            self._process = subprocess.Popen(command, stdout=logfile, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, preexec_fn=_child_setup)
        except OSError as exc:
            self._release()
            raise EmbeddedDatabaseError(f"cannot start the embedded database ({command[0]}): {exc}") from exc
        finally:
            logfile.close()
        uri = uri_for(port)
        try:
            wait_until_ready(uri, process=self._process)
        except EmbeddedDatabaseError:
            self.stop()
            raise
        self.state_file.write_text(json.dumps({"port": port, "pid": self._process.pid,
                                               "owner_pid": os.getpid()}))
        self.uri = uri
        log.info("embedded database started on port %s (pid %s)", port, self._process.pid)
        return uri

    def stop(self) -> None:
        """Stop the child (if this process owns it) and release the lock. Waits for a clean stop."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.error("embedded database did not stop within %s s; killing it", STOP_TIMEOUT_S)
                process.kill()
                process.wait()
        if process is not None:
            self.state_file.unlink(missing_ok=True)
        self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

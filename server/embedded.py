"""The embedded database: a SecantusDB child process (MongoDB wire protocol on WiredTiger).

One server process owns it: it holds an exclusive lock on ``embedded.lock`` in the data
directory for as long as the database runs, and writes the port to ``embedded.json``. Admin
commands (``create-user``, ``pairing-code``) that find the lock taken connect to the running
instance instead of opening its files a second time; finding it free, they start their own
instance for the duration of the command.

The child always runs with ``--sync-on-commit``: without it, acknowledged writes were lost on
SIGKILL in tests here. On Linux the child is started with ``PR_SET_PDEATHSIG`` so that the
kernel stops it if its owner dies, even by SIGKILL: it is never left orphaned.

That signal is SIGKILL, not SIGTERM: the kernel sends it again each time the child is handed
to another thread of its dying (multi-threaded) owner, and SecantusDB's SIGTERM handler, run
again while it holds a lock, deadlocks: the orphan then ran on forever, holding WiredTiger's
lock. An owner that dies has not stopped cleanly anyway; the database's durability on a kill
is what ``--sync-on-commit`` is for (the kill test checks it). A clean stop is ``stop()``.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
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

STOP_TIMEOUT_S = 45  # SecantusDB usually stops in a few seconds; give it ample time
START_TIMEOUT_S = 60
_PR_SET_PDEATHSIG = 1


class EmbeddedDatabaseError(Exception):
    """The embedded database could not be started or reached: the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent(parent: int | None = None, sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux); it may
    come more than once (see above), so its handler must allow that.

    ``parent``: the pid the parent had. A parent that died before the request was made (a
    worker takes a second to import the app) is already gone: then this process stops itself.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)
        if parent is not None and os.getppid() != parent:
            os.kill(os.getpid(), sig)


def _child_setup(parent: int) -> None:  # runs in the database child between fork and exec
    die_with_parent(parent, signal.SIGKILL)
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
        # Another process owns the database; it may still be starting it and writing its state
        # file. Short attempts, re-reading the file each time: until the owner rewrites it, it
        # may name a port of the previous run.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                state = json.loads(self.state_file.read_text())
                uri = uri_for(int(state["port"]))
                wait_until_ready(uri, timeout=2.0)
                self.uri = uri
                return uri
            except (OSError, ValueError, KeyError, TypeError, EmbeddedDatabaseError):
                time.sleep(0.2)
        raise EmbeddedDatabaseError(f"another process holds {self.data_dir}/embedded.lock but its "
                                    "database never became reachable")

    def start_owned(self, *, wait: float = START_TIMEOUT_S) -> str:
        """Start the database and own it, as a server must: a server that merely borrowed the
        instance of an admin command would lose its database when that command ends. Waits
        for a short-lived holder to finish; refuses when another server keeps the lock."""
        deadline = time.monotonic() + wait
        while not self._try_lock():
            if time.monotonic() > deadline:
                raise EmbeddedDatabaseError(
                    f"another tillpoint-server (or admin command) is using the embedded database "
                    f"in {self.data_dir}; stop it, or set TILLPOINT_SERVER_DATA_DIR to another "
                    "directory")
            time.sleep(0.25)
        return self._start()

    def _previous_child(self) -> int | None:
        """The pid of the database child of a previous owner, if it still runs (Linux)."""
        try:
            pid = int(json.loads(self.state_file.read_text())["pid"])
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, KeyError, TypeError):
            return None
        # The pid may have been reused: only a database on this very storage counts (a zombie
        # has an empty command line).
        return pid if os.fsencode(str(self.storage)) in argv else None

    def _wait_for_previous_child(self) -> None:
        """The child of a previous owner that died may still be going (its kill takes a
        moment; or an older version left it stopping), holding WiredTiger's lock: a new
        instance would fail with "resource busy" (a supervisor restarting a crashed server at
        once). Wait for it, kill it if it hangs."""
        pid = self._previous_child()
        if pid is None:
            return
        log.warning("the embedded database of a previous run (pid %s) is still stopping; "
                    "waiting for it", pid)
        deadline, killed = time.monotonic() + STOP_TIMEOUT_S, False
        while self._previous_child() == pid:
            if time.monotonic() > deadline:
                if killed:
                    return  # starting will fail, and say why
                log.error("the previous embedded database (pid %s) did not stop; killing it", pid)
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                deadline, killed = time.monotonic() + 5, True
            time.sleep(0.2)

    def _start(self) -> str:
        self._wait_for_previous_child()
        self.state_file.unlink(missing_ok=True)  # it names the previous run's port
        port = free_port()
        self.storage.mkdir(parents=True, exist_ok=True)
        logfile = open(self.data_dir / "database.log", "ab")  # noqa: SIM115 - owned by the child
        command = [str(Path(sys.executable).parent / "secantusd-py"), "--storage-path",
                   str(self.storage), "--host", "127.0.0.1", "--port", str(port), "--sync-on-commit"]
        try:
            self._process = subprocess.Popen(command, stdout=logfile, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL,
                                             preexec_fn=functools.partial(_child_setup, os.getpid()))
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

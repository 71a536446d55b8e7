"""One sync round at a time per data directory: an exclusive lock on ``<data_dir>/sync.lock``.

The window's background sync and a ``tillpoint sync`` typed in a terminal are separate
processes on one store; without this they would push the same outbox entries at once. The
operating system drops the lock when its process dies, so a killed round never leaves the
till locked (the file itself stays, harmlessly).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType

from sync.errors import SyncBusy

LOCK_NAME = "sync.lock"
DEFAULT_TIMEOUT_S = 30.0
POLL_S = 0.05

if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class SyncLock:
    """``with SyncLock(data_dir, timeout=30):`` waits up to ``timeout`` seconds for the other
    round to finish, then raises :class:`SyncBusy`. Each instance opens its own file, so two
    engines in one process exclude each other too."""

    def __init__(self, data_dir: Path, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError("this sync lock is already held")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise SyncBusy(f"another sync round of this till is running (the window or "
                               f"`tillpoint sync`); waited {self.timeout:g} s for it")
            time.sleep(POLL_S)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "SyncLock":
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

"""The background worker that keeps the search read model within a second of the catalogue's
change log: it polls the ``catalog`` and ``store:*`` feeds and applies new entries to the
SQLite file.

Every worker process runs one; the one that holds an ``flock`` on ``writer.lock`` in the search
directory writes, the others wait for the lock (so when the writer dies, the kernel releases
its lock and another worker takes over within a second). A missing or unreadable file, or a
feed whose epoch changed (the feed was rebuilt, so cursors mean nothing), is rebuilt from
seq 0 into a new file that is swapped in only when complete: readers keep the old one meanwhile.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

from pymongo.database import Database

from server.changes import log as change_log
from server.config import ServerSettings
from server.search import looks, readmodel

log = logging.getLogger(__name__)
POLL_SECONDS = 0.15
WINDOW = 2000  # entries per read and per SQLite transaction


def followed(feed: str) -> bool:
    return feed == change_log.CATALOG_FEED or feed.startswith("store:")


class Follower:
    """Follow the change log into the read model in ``directory`` (one thread)."""

    def __init__(self, db: Database, directory: Path, *, poll_seconds: float = POLL_SECONDS,
                 lock_retry_seconds: float = 0.5) -> None:
        self.db, self.directory = db, Path(directory)
        self.poll_seconds, self.lock_retry_seconds = poll_seconds, lock_retry_seconds
        self.is_writer = False
        self.rebuilds = 0  # how many times a file was built from seq 0 (tests read it)
        self._stop = threading.Event()
        self._lock_file: int | None = None
        self._conn: sqlite3.Connection | None = None
        self._path: Path | None = None
        self._looks: sqlite3.Connection | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> "Follower":
        self.directory.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="search-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._close()
        if self._lock_file is not None:
            os.close(self._lock_file)  # releases the flock: another follower takes over
            self._lock_file = None
        self.is_writer = False

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._acquire():
                self._stop.wait(self.lock_retry_seconds)
                continue
            try:
                busy = self.step()
            except Exception:  # noqa: BLE001 - a bad entry or a lost database must not end it
                log.exception("search follower: step failed; retrying")
                self._close()
                busy = False
                self._stop.wait(1.0)
            if not busy:
                self._stop.wait(self.poll_seconds)

    def _acquire(self) -> bool:
        if self._lock_file is not None:
            return True
        fd = os.open(self.directory / readmodel.LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_file, self.is_writer = fd, True
        return True

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._looks is not None:
            self._looks.close()
        self._conn, self._path, self._looks = None, None, None

    def _look(self) -> list[change_log.FeedState]:
        """Read the followed feeds' heads (and the default currency) and record them in the
        looks file, with the time: what queries report freshness from instead of MongoDB."""
        states = [s for s in change_log.feeds(self.db) if followed(s.feed)]
        currency = looks.default_currency(self.db)
        if self._looks is None:
            self._looks = looks.open_writer(self.directory)
        looks.record(self._looks, states, currency)
        return states

    # -- following -------------------------------------------------------------------------

    def step(self) -> bool:
        """One poll: open (or rebuild) the file, then apply what is new. True when there may be
        more to read at once."""
        path = readmodel.current_path(self.directory)
        if path is None or not path.exists():
            self.rebuild()
            return False
        if self._conn is None or self._path != path:
            self._close()
            try:
                self._conn, self._path = readmodel.open_writer(path), path
                readmodel.cursors(self._conn)
            except sqlite3.DatabaseError:
                log.warning("search follower: %s is unreadable; rebuilding", path)
                self._close()
                self.rebuild()
                return False
        version = readmodel.schema_version(self._conn)  # a server upgrade may change it
        if version != readmodel.SCHEMA_VERSION:
            log.warning("search follower: %s has schema %s, not %s; rebuilding", path, version,
                        readmodel.SCHEMA_VERSION)
            self.rebuild()
            return False
        states = self._look()
        known = readmodel.cursors(self._conn)
        for feed_state in states:
            seq, epoch = known.get(feed_state.feed, (0, None))
            # below the floor: compaction dropped deletes this file may not have applied
            if (epoch and epoch != (feed_state.epoch or "")) or seq > feed_state.seq \
                    or 0 < seq < feed_state.floor:
                log.warning("search follower: feed %s was rebuilt; rebuilding", feed_state.feed)
                self.rebuild()
                return False
        busy = False
        for feed_state in states:
            seq = known.get(feed_state.feed, (0, None))[0]
            if seq < feed_state.seq:
                busy |= self._apply_window(self._conn, feed_state.feed, seq, feed_state.epoch,
                                           feed_state.seq)
        return busy

    def _apply_window(self, conn: sqlite3.Connection, feed: str, after: int,
                      epoch: str | None, head: int) -> bool:
        """Apply one window of ``feed`` after ``after`` in one transaction; True if full (or
        empty below ``head``, which compaction leaves: the cursor moves past it)."""
        entries = change_log.read(self.db, feed, after=after, limit=WINDOW)
        end = int(entries[-1]["seq"]) if entries else min(after + WINDOW, head)
        if end <= after:
            return False
        conn.execute("BEGIN IMMEDIATE")
        try:
            readmodel.apply(conn, feed, entries)
            readmodel.set_cursor(conn, feed, end, epoch)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(entries) == WINDOW or (not entries and end < head)

    def rebuild(self) -> None:
        """Build a new file from seq 0 of every followed feed, then swap it in."""
        self._close()
        old = readmodel.current_path(self.directory)
        path = self.directory / f"search-{time.time_ns()}.sqlite"
        conn = readmodel.open_writer(path)
        states: list[change_log.FeedState] = []
        known: dict[str, tuple[int, str | None]] = {}
        try:
            conn.execute("PRAGMA synchronous = OFF")  # a crash mid-build leaves a file never used
            while not self._stop.is_set():
                states = self._look()
                known = readmodel.cursors(conn)
                behind = [s for s in states if known.get(s.feed, (0, None))[0] < s.seq]
                if not behind:
                    break
                for feed_state in behind:
                    after = known.get(feed_state.feed, (0, None))[0]
                    looked = time.monotonic()
                    while self._apply_window(conn, feed_state.feed, after, feed_state.epoch,
                                             feed_state.seq):
                        after = readmodel.cursors(conn)[feed_state.feed][0]
                        if self._stop.is_set():
                            break
                        if time.monotonic() - looked > looks.STALE_SECONDS / 4:
                            self._look()  # a long build: still looking (so not "no follower")
                            looked = time.monotonic()
            for feed_state in states:  # feeds with no entries yet still record their epoch
                if feed_state.feed not in known:
                    readmodel.set_cursor(conn, feed_state.feed, 0, feed_state.epoch)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        if self._stop.is_set():
            _remove(path)
            return
        readmodel.publish(self.directory, path)
        self.rebuilds += 1
        log.info("search follower: built %s", path.name)
        for stale in self.directory.glob("search-*.sqlite"):
            if stale != path and stale != old:  # the one just replaced may still be read
                _remove(stale)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def background_starter(db: Database, settings: ServerSettings) -> Callable[[], Callable[[], None]]:
    """What ``create_app`` puts in ``app.state.background``: starts the worker, returns its stop."""

    def start() -> Callable[[], None]:
        follower = Follower(db, readmodel.search_dir(settings)).start()
        return follower.stop

    return start

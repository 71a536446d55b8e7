"""Search as the API serves it: a read-only connection per thread to the current read-model
file (the follower's looks file attached to it), the default currency, and how far the read
model is behind the change log.

A query reads no MongoDB while a follower keeps looking: the feed heads and the default
currency come from the follower's last look (``server.search.looks``), on the same SQLite
connection as the results. Only when no look is recent (no follower runs anywhere, or it is
stuck) does a query read MongoDB, to report truthfully how far behind the file is."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pymongo.database import Database

from app.domain.money import check_currency
from server.changes import log as change_log
from server.search import looks
from server.search import query as queries
from server.search import readmodel
from server.search.follower import followed


class Reader:
    """One read-only SQLite connection per thread, reopened when ``CURRENT`` names a new file
    (a rebuild was swapped in). Connections only: no search data is cached in memory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection | None:
        """The current file's connection, or ``None`` while there is no file yet."""
        path = readmodel.current_path(self.directory)
        cached = getattr(self._local, "open", None)
        if path is None or not path.exists():
            return None
        if cached is not None and cached[0] == path:
            if not cached[2]:  # no looks file when it was opened: perhaps there is one now
                cached[2] = looks.attach(cached[1], self.directory)
            return cached[1]
        if cached is not None:
            cached[1].close()
        self._local.open = None
        try:
            conn = readmodel.open_reader(path)
            conn.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            return None  # unreadable: the follower rebuilds it; meanwhile answer as stale
        self._local.open = [path, conn, looks.attach(conn, self.directory)]
        return conn

    def attached(self) -> bool:
        """Whether this thread's connection has the looks file attached."""
        cached = getattr(self._local, "open", None)
        return bool(cached and cached[2])

    def forget(self) -> None:
        cached = getattr(self._local, "open", None)
        if cached is not None:
            cached[1].close()
        self._local.open = None


_readers: dict[Path, Reader] = {}
_readers_lock = threading.Lock()


def reader(directory: Path) -> Reader:
    with _readers_lock:
        return _readers.setdefault(directory, Reader(directory))


def default_currency(db: Database) -> str:
    """The first store's currency (stores sorted by code), else the default store's (read from
    MongoDB: only when no follower has recorded it)."""
    return looks.default_currency(db)


@dataclass(frozen=True, slots=True)
class Look:
    """What a query knows of MongoDB: the follower's last look, or (``recent`` false) a read
    of its own."""

    heads: dict[str, tuple[int, str]]
    currency: str
    recent: bool


def look(db: Database, conn: sqlite3.Connection | None, attached: bool) -> Look:
    """The follower's last look if recent; else MongoDB read now (no follower keeps up)."""
    found = looks.last(conn) if conn is not None and attached else None
    if found is not None and looks.is_recent(found[0]):
        return Look(found[2], found[1], True)
    heads = {f.feed: (f.seq, f.epoch or "") for f in change_log.feeds(db) if followed(f.feed)}
    return Look(heads, default_currency(db), False)


def freshness(conn: sqlite3.Connection | None, seen: Look) -> dict[str, Any]:
    """``indexed_through`` (the catalogue feed's last applied seq), ``behind`` (entries of the
    followed feeds not applied yet, as of the follower's last look) and ``stale`` (behind, no
    read model yet, or no recent look: no follower is keeping it up to date)."""
    applied = readmodel.cursors(conn) if conn is not None else {}
    behind = 0
    for feed, (head, head_epoch) in seen.heads.items():
        seq, epoch = applied.get(feed, (0, None))
        behind += head if epoch and epoch != head_epoch else max(0, head - seq)
    catalog = applied.get(change_log.CATALOG_FEED, (0, None))[0]
    return {"indexed_through": catalog, "behind": behind,
            "stale": conn is None or behind > 0 or not seen.recent}


def _run(db: Database, directory: Path, work) -> Any:
    """``work(conn, look)`` on this thread's connection (one read transaction: the look, the
    cursors and the results agree); a file swapped or broken under the reader is reopened
    once, then reported as missing. Returns ``(result, freshness)``."""
    r = reader(directory)
    for attempt in range(2):
        conn = r.connection()
        if conn is None:
            seen = look(db, None, False)
            return work(None, seen), freshness(None, seen)
        try:
            conn.execute("BEGIN")
            try:
                seen = look(db, conn, r.attached())
                return work(conn, seen), freshness(conn, seen)
            finally:
                conn.execute("COMMIT")
        except sqlite3.DatabaseError:
            r.forget()
            if attempt:
                seen = look(db, None, False)
                return work(None, seen), freshness(None, seen)
    raise AssertionError("unreachable")


def search(db: Database, directory: Path, params: queries.SearchQuery,
           currency: str | None) -> dict[str, Any]:
    """``GET /search/products``."""
    asked = check_currency(currency) if currency is not None else None

    def work(conn: sqlite3.Connection | None, seen: Look) -> dict[str, Any]:
        chosen = replace(params, currency=asked or seen.currency)
        found = queries.empty_result() if conn is None else queries.search(conn, chosen)
        return {**found, "page": chosen.page, "per_page": chosen.per_page,
                "currency": chosen.currency}

    found, fresh = _run(db, directory, work)
    return {**found, **fresh}


def suggest(db: Database, directory: Path, q: str) -> dict[str, Any]:
    """``GET /search/suggest``."""
    found, fresh = _run(db, directory, lambda c, _seen: {"completions": [], "products": []}
                        if c is None else queries.suggest(c, q))
    return {"q": q, **found, **fresh}

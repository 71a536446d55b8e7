"""Search as the API serves it: a read-only connection per thread to the current read-model
file, the default currency, and how far the read model is behind the change log."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from pymongo.database import Database

from app.domain.money import check_currency
from server.changes import log as change_log
from server.devices.stores import DEFAULT_STORE
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
            return cached[1]
        if cached is not None:
            cached[1].close()
        self._local.open = None
        try:
            conn = readmodel.open_reader(path)
            conn.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            return None  # unreadable: the follower rebuilds it; meanwhile answer as stale
        self._local.open = (path, conn)
        return conn

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
    """The first store's currency (stores sorted by code), else the default store's."""
    first = next(iter(db.stores.find({}, {"currency": 1}).sort("code", 1).limit(1)), None)
    return (first or DEFAULT_STORE)["currency"]


def freshness(db: Database, conn: sqlite3.Connection | None) -> dict[str, Any]:
    """``indexed_through`` (the catalogue feed's last applied seq), ``behind`` (entries of the
    followed feeds not applied yet) and ``stale`` (behind, or no read model yet)."""
    applied = readmodel.cursors(conn) if conn is not None else {}
    behind = 0
    for feed in change_log.feeds(db):
        if followed(feed.feed):
            seq, epoch = applied.get(feed.feed, (0, None))
            behind += feed.seq if epoch and epoch != (feed.epoch or "") else max(0, feed.seq - seq)
    catalog = applied.get(change_log.CATALOG_FEED, (0, None))[0]
    return {"indexed_through": catalog, "behind": behind, "stale": conn is None or behind > 0}


def _run(directory: Path, work) -> Any:
    """``work(conn)`` on this thread's connection; a file swapped or broken under the reader
    is reopened once, then reported as missing."""
    r = reader(directory)
    for attempt in range(2):
        conn = r.connection()
        if conn is None:
            return None, work(None)
        try:
            return conn, work(conn)
        except sqlite3.DatabaseError:
            r.forget()
            if attempt:
                return None, work(None)
    raise AssertionError("unreachable")


def search(db: Database, directory: Path, params: queries.SearchQuery,
           currency: str | None) -> dict[str, Any]:
    """``GET /search/products``."""
    params = _with_currency(db, params, currency)

    def work(conn: sqlite3.Connection | None) -> dict[str, Any]:
        if conn is None:
            return queries.empty_result()
        return queries.search(conn, params)

    conn, found = _run(directory, work)
    return {**found, "page": params.page, "per_page": params.per_page,
            "currency": params.currency, **freshness(db, conn)}


def _with_currency(db: Database, params: queries.SearchQuery,
                   currency: str | None) -> queries.SearchQuery:
    chosen = check_currency(currency) if currency is not None else default_currency(db)
    return replace(params, currency=chosen)


def suggest(db: Database, directory: Path, q: str) -> dict[str, Any]:
    """``GET /search/suggest``."""
    conn, found = _run(directory, lambda c: {"completions": [], "products": []} if c is None
                       else queries.suggest(c, q))
    return {"q": q, **found, **freshness(db, conn)}

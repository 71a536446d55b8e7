"""The follower's last look at MongoDB, kept in a small SQLite file beside the read model so
that queries never read MongoDB: each feed's head (``seq``, ``epoch``) and the default currency
(the first store's by code) as the follower saw them, and when.

Why a file of its own (``looks.sqlite``, WAL) rather than rows in the read model: the follower
writes a look every poll, also while it builds a new read model from seq 0 (when the file
readers use is not the one it writes), and a write to the read model's own file would make
every reader drop its page cache each poll. Readers ``ATTACH`` it read-only on the same
connection as the read model. Nothing is cached in process memory: every query reads what the
writing follower (whichever worker it is) recorded last.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from server.changes import log as change_log
from server.devices.stores import DEFAULT_STORE

FILE = "looks.sqlite"
SCHEMA = "looks"  # the name readers attach it under
STALE_SECONDS = 2.0  # a look older than this: no follower is keeping up (none runs, or stuck)

_TABLES = """
CREATE TABLE IF NOT EXISTS heads (feed TEXT PRIMARY KEY, seq INTEGER NOT NULL,
    epoch TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS look (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL,
    currency TEXT NOT NULL);
"""


def open_writer(directory: Path) -> sqlite3.Connection:
    """The elected follower's connection to the looks file (created if missing)."""
    conn = sqlite3.connect(directory / FILE, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # a lost look is taken again 150 ms later
    conn.executescript(_TABLES)
    return conn


def record(conn: sqlite3.Connection, heads: list[change_log.FeedState], currency: str,
           at: float | None = None) -> None:
    """Replace the last look: the followed feeds' heads and the default currency, seen ``at``
    (``time.time()``: compared across processes)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM heads")
        conn.executemany("INSERT INTO heads VALUES (?, ?, ?)",
                         [(h.feed, h.seq, h.epoch or "") for h in heads])
        conn.execute("INSERT OR REPLACE INTO look VALUES (1, ?, ?)",
                     (time.time() if at is None else at, currency))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def attach(conn: sqlite3.Connection, directory: Path) -> bool:
    """Attach the looks file read-only to a reader's connection; False if there is none yet."""
    path = directory / FILE
    if not path.exists():
        return False
    try:
        conn.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (f"file:{path}?mode=ro",))
        conn.execute(f"SELECT 1 FROM {SCHEMA}.look LIMIT 1").fetchall()
    except sqlite3.DatabaseError:
        try:
            conn.execute(f"DETACH DATABASE {SCHEMA}")
        except sqlite3.DatabaseError:
            pass
        return False
    return True


def last(conn: sqlite3.Connection) -> tuple[float, str, dict[str, tuple[int, str]]] | None:
    """``(at, currency, {feed: (seq, epoch)})`` of the last look (on a connection the looks
    file is attached to), or ``None`` if no follower has recorded one."""
    row = conn.execute(f"SELECT at, currency FROM {SCHEMA}.look WHERE id = 1").fetchone()
    if row is None:
        return None
    heads = {feed: (seq, epoch) for feed, seq, epoch in
             conn.execute(f"SELECT feed, seq, epoch FROM {SCHEMA}.heads")}
    return row[0], row[1], heads


def is_recent(at: float, now: float | None = None) -> bool:
    return (time.time() if now is None else now) - at <= STALE_SECONDS


def default_currency(db: Any) -> str:
    """The first store's currency (stores sorted by code), else the default store's: what the
    follower records with each look."""
    first = next(iter(db.stores.find({}, {"currency": 1}).sort("code", 1).limit(1)), None)
    return (first or DEFAULT_STORE)["currency"]

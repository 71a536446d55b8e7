"""Compaction of the change log: the log keeps the latest entry of every entity (so replaying a
feed from the beginning *is* the snapshot a new till takes), and drops what a follower no
longer needs — entries superseded by a later one of the same entity, and tombstones older
than the retention.

Why it is safe beside writers: it looks only at the entries up to the head it read when it
began, and drops an entry only once it has seen a later one of the same entity there; writers
only add higher numbers. A follower half-way through a feed loses nothing either: what it has
not read yet of an entity is its latest entry, which stays.

Why the floor: a follower positioned before a dropped tombstone still holds the deleted entity
and would never learn of the delete. The feed's ``floor`` is raised to the highest dropped
tombstone *before* it is deleted, and the feed answers such a cursor 410 ``cursor_expired``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from pymongo.database import Database

from server.changes import log as change_log
from server.database import in_transaction
from server.sync import feed_cache  # the feed's serialised blocks, made before this run

#: sequence numbers one scan window spans (a bounded range of the ``(feed, seq)`` index)
SCAN_SPAN = 5000
#: entries one ``delete_many`` removes
DELETE_BATCH = 1000
_SCAN_FIELDS = {"_id": 1, "seq": 1, "entity": 1, "entity_id": 1, "op": 1, "at": 1}


@dataclass
class Compaction:
    feed: str
    head: int  # the head the scan stopped at (later entries are left for the next run)
    scanned: int = 0
    superseded_removed: int = 0
    tombstones_removed: int = 0
    floor: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 3)}


@dataclass(frozen=True, slots=True)
class _Latest:
    seq: int
    entry_id: str
    op: str
    at: datetime | None


class _Deleter:
    """Deletes entries by ``_id`` in batches, so that no single call holds the collection long."""

    def __init__(self, db: Database) -> None:
        self.db, self.pending, self.deleted = db, [], 0

    def add(self, entry_id: str) -> None:
        self.pending.append(entry_id)
        if len(self.pending) >= DELETE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.deleted += self.db.change_log.delete_many(
                {"_id": {"$in": self.pending}}).deleted_count
            self.pending = []


def compact(db: Database, feed: str, *, tombstone_retention: timedelta,
            now: datetime | None = None) -> Compaction:
    """Compact one feed; returns what was done."""
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    head = change_log.state(db, feed).seq
    summary = Compaction(feed, head)
    superseded = _Deleter(db)
    latest: dict[tuple[str, str], _Latest] = {}
    for entry in _scan(db, feed, head):
        summary.scanned += 1
        key = (entry["entity"], entry["entity_id"])
        earlier = latest.get(key)
        if earlier is not None:
            superseded.add(earlier.entry_id)
        latest[key] = _Latest(entry["seq"], entry["_id"], entry["op"], entry.get("at"))
    superseded.flush()
    summary.superseded_removed = superseded.deleted
    cutoff = now - tombstone_retention
    expired = [e for e in latest.values()
               if e.op == change_log.DELETE and e.at is not None and _aware(e.at) < cutoff]
    if expired:
        summary.floor = max(e.seq for e in expired)
        # first the floor, then the deletes: a follower below a tombstone is refused before
        # the tombstone can be missing
        in_transaction(db, lambda s: change_log.raise_floor(db, feed, summary.floor, session=s))
        tombstones = _Deleter(db)
        for entry in expired:
            tombstones.add(entry.entry_id)
        tombstones.flush()
        summary.tombstones_removed = tombstones.deleted
    # after the deletes: below this mark, gaps in the numbers are compaction's, not writers'
    in_transaction(db, lambda s: change_log.mark_compacted(db, feed, head, session=s))
    feed_cache.forget(db, feed)
    summary.floor = change_log.state(db, feed).floor
    summary.seconds = time.monotonic() - started
    return summary


def compact_all(db: Database, *, feeds: list[str] | None = None,
                tombstone_retention: timedelta,
                now: datetime | None = None) -> list[Compaction]:
    """Compact ``feeds`` (every feed when ``None``), one after the other."""
    names = feeds if feeds is not None else sorted(s.feed for s in change_log.feeds(db))
    return [compact(db, name, tombstone_retention=tombstone_retention, now=now)
            for name in names]


def _scan(db: Database, feed: str, head: int) -> Iterator[dict[str, Any]]:
    after = 0
    while after < head:
        span = min(SCAN_SPAN, head - after)
        yield from change_log.read(db, feed, after=after, limit=span, projection=_SCAN_FIELDS)
        after += span


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)

"""Blocks of a feed kept serialised in MongoDB (``feed_blocks``), for a till's first pull: the
whole catalogue and its store's stock, read by every new till.

Why: the embedded database returns about 5,000–10,000 change-log entries a second (it handles
each document on its own), but one block of ``BLOCK`` entries stored as a single binary
document comes back in a few milliseconds, already JSON.

Why it stays right:
- A block covers the numbers ``(start, start + BLOCK]`` and is made only once they are all
  below the head read at the start of the request, so every entry in it had committed.
- It is kept only when it is full, or lies within what compaction has already scanned
  (``compacted_through``): otherwise a gap could be an entry that a writer outside any
  transaction (``seed-demo``) numbered but has not inserted yet.
- Its id names the feed's epoch, floor and ``compacted_through``. Compaction may delete
  entries of a block being made, which leaves it a superset of the log: harmless (a superseded
  state followed by the latest) except for an entity whose tombstone is then dropped — and
  dropping one raises the floor first, so no block made before is used again (nor, once the
  run records how far it scanned, any block made before the run at all).
- Its id also names the feed's ``rewrites``: a GDPR erase changes entries in place, through
  ``change_log.rewrite``, which counts it in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from bson import Binary
from pymongo.database import Database
from pymongo.errors import DocumentTooLarge, DuplicateKeyError

from app.domain.sync_protocol import DEFAULT_PULL_LIMIT
from server.changes import log as change_log

#: numbers per block: the client's default page, so each of its pages is one block
BLOCK = DEFAULT_PULL_LIMIT
#: off: every page read from the log (tests compare both)
enabled = True
#: a block's body stays well under MongoDB's 16 MB document limit
MAX_BODY = 12_000_000
ENTRY_FIELDS = ("feed", "seq", "entity", "entity_id", "op", "version", "data")


@dataclass(frozen=True, slots=True)
class Block:
    body: bytes  # the entries as JSON objects separated by commas (empty when none)
    count: int
    entries: list[dict[str, Any]] | None = None  # when made from the log just now


def entry_view(entry: dict[str, Any]) -> dict[str, Any]:
    """What a page shows of an entry (``_id`` and ``at`` are the server's own)."""
    return {name: entry.get(name) for name in ENTRY_FIELDS}


def applies(state: change_log.FeedState, seq: int, head: int, room: int) -> bool:
    """Whether the block starting at ``seq`` may be served: a cached feed, an aligned start,
    a whole block below ``head``, and room in the page for a whole block (or a block that
    compaction may have thinned, which the caller uses if it fits)."""
    return (enabled and state.epoch is not None and seq % BLOCK == 0
            and seq + BLOCK <= head
            and (room >= BLOCK or seq + BLOCK <= state.compacted_through))


def next_boundary(state: change_log.FeedState, seq: int) -> int | None:
    """Where the next block starts, for a feed that has them (a window stops there)."""
    return seq - seq % BLOCK + BLOCK if enabled else None


def block_id(state: change_log.FeedState, start: int) -> str:
    return (f"{state.feed}:{state.epoch}:{state.floor}:{state.compacted_through}:"
            f"{state.rewrites}:{start}")


def get(db: Database, state: change_log.FeedState, start: int,
        serialise: Callable[[list[dict[str, Any]]], bytes]) -> Block:
    """The block at ``start``, from the cache or made from the log (and kept if it may be)."""
    stored = db.feed_blocks.find_one({"_id": block_id(state, start)})
    if stored is not None:
        return Block(bytes(stored["body"]), int(stored["count"]))
    entries = [entry_view(e) for e in
               change_log.read(db, state.feed, after=start, limit=BLOCK)]
    body = serialise(entries)[1:-1] if entries else b""
    block = Block(body, len(entries), entries)
    complete = len(entries) == BLOCK or start + BLOCK <= state.compacted_through
    if complete and len(body) <= MAX_BODY:
        try:
            db.feed_blocks.insert_one({"_id": block_id(state, start), "feed": state.feed,
                                       "start": start, "count": block.count,
                                       "body": Binary(body)})
        except (DuplicateKeyError, DocumentTooLarge):
            pass  # another reader kept it first (the same entries), or it is too big to keep
    return block


def forget(db: Database, feed: str) -> int:
    """Drop a feed's blocks after compaction (their ids are never asked for again). A scan,
    but of a small collection: one block per ``BLOCK`` numbers."""
    return db.feed_blocks.delete_many({"feed": feed}).deleted_count



def warm(db: Database, feed: str, serialise: Callable[[list[dict[str, Any]]], bytes]) -> int:
    """Make every block of ``feed`` that may be kept (after compaction, so that the next till's
    first pull does not wait for them); returns how many it made or found."""
    state = change_log.state(db, feed)
    if not enabled or state.epoch is None:
        return 0
    return sum(1 for start in range(0, state.seq - BLOCK + 1, BLOCK)
               if get(db, state, start, serialise).count)

"""The change feed a device pulls (``GET /sync/changes``; the contract is in
``app.domain.sync_protocol``).

A page walks the device's feeds in protocol order. Each feed is read in bounded windows of the
``(feed, seq)`` index, never past the head read at the start of the request: every entry up to
that head had committed when the head was read (the counter and the entries commit together),
so a window with nothing in it was emptied by compaction, not by a writer still running, and
the position may move past it. Past the head the entries visible are a prefix only once their
writers committed, and a scan could pass an empty slot just before it fills.

The answer is serialised once, straight to bytes (orjson when it is installed), instead of
through FastAPI's generic encoder: a till's first pull is the whole catalogue, which is why
whole blocks of the catalogue feed come from ``feed_cache`` already serialised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable

from fastapi import Response

from app.domain.errors import InvalidInput
from app.domain.sync_protocol import (MAX_PULL_LIMIT, GoneReason, Position, cursor_floors,
                                      decode_cursor, device_feeds, encode_cursor)
from server.changes import log as change_log
from server.errors import ApiError
from server.sync import feed_cache

try:  # optional: several times faster on big pages, and the answer is the same JSON
    import orjson
except ImportError:  # pragma: no cover - depends on what is installed
    orjson = None

#: the most sequence numbers one window spans (a bounded range on the index)
WINDOW_SPAN = MAX_PULL_LIMIT
#: the most windows one request reads, so that a sparse (compacted) feed keeps requests short
MAX_WINDOWS = 64


def changes_for_device(db, *, principal, cursor: str, limit: int) -> Response:
    """The next page of changes for the calling device, as a JSON response."""
    page = page_for_device(db, principal=principal, cursor=cursor, limit=limit)
    return Response(content=page.render(), media_type="application/json")


def page_for_device(db, *, principal, cursor: str, limit: int) -> "Page":
    """The page after ``cursor``: ``{changes, cursor, has_more, server_time}`` once rendered."""
    if principal.kind != "device" or not principal.store_id:
        raise ApiError(403, "forbidden", "the change feed is for paired devices")
    if not 1 <= limit <= MAX_PULL_LIMIT:
        raise ApiError(422, "validation_error", f"limit: 1 to {MAX_PULL_LIMIT}",
                       {"field": "limit"})
    names = device_feeds(principal.store_id)
    positions, issued_floors = _positions(cursor, names)
    heads = change_log.states(db, names)
    for name in names:
        _check(name, positions[name], issued_floors.get(name, 0), heads[name])
    reader = _PageReader(db, limit)
    started = dict(positions)
    for name in names:
        seq = reader.read_feed(heads[name], positions[name][1])
        positions[name] = (heads[name].epoch, seq)
        if seq < heads[name].seq:  # the page is full (or out of windows): later feeds wait
            break
    _recheck_floors(db, started, heads, reader.feeds_read)
    return Page(reader.segments, encode_cursor(positions, {n: heads[n].floor for n in names}),
                any(positions[n][1] < heads[n].seq for n in names),
                datetime.now(timezone.utc).isoformat())


def _positions(cursor: str, names: tuple[str, ...]) -> tuple[dict[str, Position],
                                                               dict[str, int]]:
    try:
        decoded, floors = decode_cursor(cursor), cursor_floors(cursor)
    except InvalidInput as exc:
        raise ApiError(422, "validation_error", f"cursor: {exc}", {"field": "cursor"}) from None
    foreign = sorted((set(decoded) | set(floors)) - set(names))
    if foreign:  # another store's cursor, or one made up: never a way into its feed
        raise ApiError(422, "validation_error", "cursor: names feeds this device does not "
                       f"follow ({', '.join(foreign[:3])})", {"field": "cursor"})
    return {name: decoded.get(name, (None, 0)) for name in names}, floors


def _gone(reason: GoneReason, feed: str, message: str) -> ApiError:
    return ApiError(410, "cursor_gone", f"{message}: drop the cursor and pull again from the "
                    "beginning", {"reason": reason.value, "feed": feed})


def _check(name: str, position: Position, issued_floor: int,
           head: change_log.FeedState) -> None:
    """Refuse a cursor that cannot be continued. The floor test: a follower below a tombstone
    that compaction dropped may still hold the deleted entity. But one whose cursor was issued
    at the current floor cannot: it started after those deletes were compacted (and with them
    every earlier entry of their entities), or had already read past them."""
    epoch, seq = position
    if epoch is not None and epoch != head.epoch:
        raise _gone(GoneReason.EPOCH_CHANGED, name, f"the {name} feed was rebuilt")
    if seq > head.seq:
        raise _gone(GoneReason.CURSOR_AHEAD, name, f"the cursor is ahead of the {name} feed "
                    "(the server was restored from an older backup)")
    if 0 < seq < head.floor and issued_floor != head.floor:
        raise _gone(GoneReason.CURSOR_EXPIRED, name, f"the cursor is older than the {name} "
                    "feed keeps deletes for")


def _recheck_floors(db, started: dict[str, Position], heads: dict[str, change_log.FeedState],
                    feeds_read: list[str]) -> None:
    """A compaction that dropped tombstones while this page was read may have removed one
    that this page skipped after it served an earlier entry of the same entity: the page
    must not be served then (a rare race; the follower starts again)."""
    if not feeds_read:
        return
    for name, now in change_log.states(db, feeds_read).items():
        if now.floor != heads[name].floor and started[name][1] < now.floor:
            raise _gone(GoneReason.CURSOR_EXPIRED, name, f"the {name} feed dropped deletes "
                        "while they were being read")


#: a run of entries as dicts, or of entries already serialised (a cached block)
Segment = list[dict[str, Any]] | bytes


@dataclass
class Page:
    segments: list[Segment]
    cursor: str
    has_more: bool
    server_time: str

    @property
    def changes(self) -> list[dict[str, Any]]:
        """The entries as dicts (cached blocks parsed back: for tests and tools)."""
        found: list[dict[str, Any]] = []
        for segment in self.segments:
            found += json.loads(b"[" + segment + b"]") if isinstance(segment, bytes) else segment
        return found

    def render(self) -> bytes:
        parts = [s if isinstance(s, bytes) else dumps(s)[1:-1] for s in self.segments if s]
        return b"".join((b'{"changes":[', b",".join(parts), b'],"cursor":', dumps(self.cursor),
                         b',"has_more":', b"true" if self.has_more else b"false",
                         b',"server_time":', dumps(self.server_time), b"}"))


class _PageReader:
    """Collects up to ``limit`` entries across feeds within ``MAX_WINDOWS`` windows."""

    def __init__(self, db, limit: int) -> None:
        self.db, self.limit = db, limit
        self.segments: list[Segment] = []
        self.count = 0
        self.windows = 0
        self.feeds_read: list[str] = []

    def read_feed(self, state: change_log.FeedState, seq: int) -> int:
        """Read a feed from ``seq`` towards its head; returns the position reached."""
        if seq < state.seq:
            self.feeds_read.append(state.feed)
        span = min(self.limit - self.count, WINDOW_SPAN)
        while seq < state.seq and self.count < self.limit and self.windows < MAX_WINDOWS:
            self.windows += 1
            reached = self._from_block(state, seq)
            if reached is None and self.count and feed_cache.applies(state, seq, state.seq,
                                                                     self.limit):
                break  # a block starts here but no longer fits: the next page starts with it
            if reached is None:
                reached, span = self._from_log(state, seq, span)
            seq = reached
        return seq

    def _from_block(self, state: change_log.FeedState, seq: int) -> int | None:
        """Serve the cached block at ``seq`` if there is one and it fits; where that leaves
        the position, or ``None``."""
        room = self.limit - self.count
        if not feed_cache.applies(state, seq, state.seq, room):
            return None
        block = feed_cache.get(self.db, state, seq, dumps)
        if block.count <= room:
            self._add(block.body, block.count)
            return seq + feed_cache.BLOCK
        if block.entries is not None:  # made just now: its first entries fill the page
            self._add(block.entries[:room], room)
            return block.entries[room - 1]["seq"]
        return None

    def _from_log(self, state: change_log.FeedState, seq: int, span: int) -> tuple[int, int]:
        """One window of the log after ``seq``: the position reached and the next span."""
        room = self.limit - self.count
        end = min(seq + span, state.seq)
        boundary = feed_cache.next_boundary(state, seq)
        if boundary is not None:  # stop where the blocks start again
            end = min(end, boundary)
        entries = [feed_cache.entry_view(e) for e in change_log.read(
            self.db, state.feed, after=seq, limit=end - seq, max_entries=room)]
        self._add(entries, len(entries))
        if 2 * len(entries) < end - seq:
            # sparse (compacted): look further ahead. Not from the start: the database reads
            # a whole window before it sorts and limits, so a window much wider than the page
            # costs as much as the page many times over.
            span = min(span * 4, WINDOW_SPAN)
        return (entries[-1]["seq"] if len(entries) == room else end), span

    def _add(self, segment: Segment, count: int) -> None:
        if count:
            self.segments.append(segment)
            self.count += count


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot put a {type(value).__name__} into JSON")


def _dumps_json(body: Any) -> bytes:
    return json.dumps(body, default=_default, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def _dumps_orjson(body: Any) -> bytes:  # the same text as _dumps_json gives
    return orjson.dumps(body, default=_default)


dumps: Callable[[Any], bytes] = _dumps_orjson if orjson is not None else _dumps_json

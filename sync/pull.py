"""Pulling: pages of ``GET /sync/changes`` applied to the local store, each page together
with its cursor in one SQLite transaction, so a crash anywhere repeats at most one page (and
applying a page twice changes nothing).

CONTRACT (used by the engine and the benchmark):

``pull(store, client, *, limit=DEFAULT_PULL_LIMIT, progress=None) -> PullResult`` — pages
until ``has_more`` is false. On ``CursorGone`` it forgets the cursor, replays the feed from the
beginning (a snapshot) and then archives/removes the local synced rows the snapshot did not
name. ``progress(applied_so_far)`` is called after each page.

``apply_page(session, page, *, store_id) -> int`` — apply one page's ``changes`` in the
caller's transaction (no commit); returns how many entries it applied.

A snapshot under way is remembered in the ``sync_state`` row ``server.snapshot`` (its
``cursor`` column holds the ISO time the snapshot began): a till killed halfway finishes the
same snapshot, sweep included, when it next pulls.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Protocol

from sqlalchemy import delete
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from app.domain.sync_protocol import DEFAULT_PULL_LIMIT, GoneReason
from app.sales.identity import STORE_KEY, get_local
from db.engine import LocalStore
from db.models import DeferredChange, SyncState
from sync.apply import apply_page, deferred_count
from sync.apply.sweep import sweep_unseen
from sync.errors import CursorGone, NotPaired, ProtocolError
from sync.resend import requeue_after_restore

__all__ = ["PullResult", "apply_page", "pull"]

log = logging.getLogger(__name__)

SERVER_FEED = "server"  # the row the engine keeps its timestamps in; the pull owns ``cursor``
SNAPSHOT_FEED = "server.snapshot"
#: a server that answers 410 again and again to a fresh snapshot is broken, not busy
MAX_SNAPSHOTS = 3


class ChangesClient(Protocol):
    def changes(self, cursor: str | None, limit: int = ...) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class PullResult:
    applied: int  # entries applied (waiting ones unlocked included)
    pages: int
    snapshot: bool  # a fresh snapshot was taken (or finished) in this pull
    deferred_left: int  # entries still waiting for what they name


@dataclass(slots=True)
class _Progress:
    applied: int = 0
    pages: int = 0
    deferred_left: int = 0


def pull(store: LocalStore, client: ChangesClient, *, limit: int = DEFAULT_PULL_LIMIT,
         progress: Callable[[int], None] | None = None) -> PullResult:
    with store.read() as session:
        store_id = get_local(session, STORE_KEY)
        if not store_id:
            raise NotPaired("this till has no store yet: pair it with `tillpoint pair`")
        cursor = _row_cursor(session, SERVER_FEED)
        since = _snapshot_since(session)
    done = _Progress()
    for _ in range(MAX_SNAPSHOTS):
        try:
            _pages(store, client, store_id, cursor, since, limit, progress, done)
            return PullResult(done.applied, done.pages, since is not None, done.deferred_left)
        except CursorGone as exc:
            log.warning("the server cannot continue from this till's cursor (%s, feed %s): "
                        "taking a fresh snapshot", exc.reason, exc.feed)
            if exc.reason == GoneReason.CURSOR_AHEAD.value and hasattr(client, "whoami"):
                _resend_after_restore(store, client)
            since = _begin_snapshot(store)
            cursor = None
    raise ProtocolError(f"the server refused {MAX_SNAPSHOTS} fresh snapshots in a row")


def _pages(store: LocalStore, client: ChangesClient, store_id: str, cursor: str | None,
           since: datetime | None, limit: int, progress: Callable[[int], None] | None,
           done: _Progress) -> None:
    """Page after page until ``has_more`` is false. The next page is asked for while this one
    is applied (its cursor is known as soon as this page arrives), so the server's and the
    till's work overlap; a page is still fetched outside any write transaction, and only the
    page applied with its cursor is ever committed. Leaving the ``with`` (a failure included)
    waits for a request still under way: the client is not safe to share, and the engine
    uses it next."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-pull") as fetcher:
        fetching: Future | None = fetcher.submit(client.changes, cursor, limit)
        while fetching is not None:
            page = fetching.result()
            fetching = None
            if _continues(page, cursor):
                cursor = page["cursor"]
                fetching = fetcher.submit(client.changes, cursor, limit)
            _apply(store, page, store_id, since, done)
            if progress is not None:
                progress(done.applied)


def _continues(page: Any, cursor: str | None) -> bool:
    """Whether another page follows (for a well-formed page; ``apply_page`` refuses others)."""
    if not isinstance(page, dict) or page.get("has_more") is not True \
            or not isinstance(page.get("cursor"), str):
        return False
    if page["cursor"] == cursor and not page.get("changes"):
        raise ProtocolError("the server said more changes follow but sent none and kept the "
                            "same cursor")
    return True


def _apply(store: LocalStore, page: dict[str, Any], store_id: str, since: datetime | None,
           done: _Progress) -> None:
    # A snapshot's rows are stamped no earlier than its start, even if the clock stepped back
    # meanwhile: the sweep must not mistake them for rows it did not see.
    now = datetime.now(timezone.utc)
    stamp = max(now, since) if since else now
    with store.write() as session:
        done.applied += apply_page(session, page, store_id=store_id, now=stamp)
        done.pages += 1
        _save_cursor(session, SERVER_FEED, page["cursor"])
        if page["has_more"]:
            return
        if since is not None:
            retired = sweep_unseen(session, since=since, now=stamp)
            log.info("snapshot finished; retired what it did not name: %s", retired)
        session.execute(delete(SyncState).where(SyncState.feed == SNAPSHOT_FEED))
        done.deferred_left = deferred_count(session)


def _resend_after_restore(store: LocalStore, client: Any) -> None:
    """The server went back to an older backup: queue again what it may have lost (the
    engine's second push of the round sends it)."""
    me = client.whoami()
    with store.write() as session:
        requeue_after_restore(session, me)


def _begin_snapshot(store: LocalStore) -> datetime:
    """Forget the cursor and every waiting entry (their numbers belong to the old feed; the
    replay brings the latest of everything again) and remember that a snapshot began."""
    began = datetime.now(timezone.utc)
    with store.write() as session:
        _save_cursor(session, SERVER_FEED, None)
        session.execute(delete(DeferredChange))
        _save_cursor(session, SNAPSHOT_FEED, began.isoformat())
    return began


def _snapshot_since(session: Session) -> datetime | None:
    text = _row_cursor(session, SNAPSHOT_FEED)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        log.warning("unreadable snapshot start %r: finishing it without a sweep", text)
        return None


def _row_cursor(session: Session, feed: str) -> str | None:
    row = session.get(SyncState, feed)
    return row.cursor if row is not None else None


def _save_cursor(session: Session, feed: str, cursor: str | None) -> None:
    """Only ``cursor``: the engine owns the row's timestamps and error."""
    statement = insert(SyncState).values(feed=feed, cursor=cursor)
    session.execute(statement.on_conflict_do_update(index_elements=[SyncState.feed],
                                                    set_={"cursor": statement.excluded.cursor}))

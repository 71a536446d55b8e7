"""Each pulled entity → the local tables, idempotent (a page applied twice leaves the same
state) and tolerant of order: an entry naming something not here yet (a stock level of a
variant, a product of a category the next page brings) waits in ``sync_deferred`` and is
applied once what it needs has arrived.

Modules: ``entries`` (shapes and checks), ``catalog``, ``parties`` (coupons, staff,
customers), ``store_feed`` (stock levels, orders), ``parked`` (parked carts), ``batch``
(dependency order, deferral), ``sweep`` (what a snapshot did not name), ``rows`` (bulk
statements).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from sqlalchemy.orm import Session

from db.models import Store
from sync.apply.batch import (NEEDED_BY_OTHERS, apply_entries, defer, deferred_count,
                              forget_deferred, log_skipped, retry_deferred)
from sync.apply.entries import BadEntry, BadPage, Context, Entry, page_entries
from sync.apply.rows import time_storage
from sync.errors import NotPaired

__all__ = ["BadEntry", "BadPage", "apply_entity", "apply_page", "context", "deferred_count"]


def context(session: Session, store_id: str, now: datetime | None = None,
            currency: str | None = None) -> Context:
    if currency is None:
        store = session.get(Store, store_id)
        if store is None:
            raise NotPaired(f"this till has no store {store_id}: pair it with the server first")
        currency = store.currency
    now = now or datetime.now(timezone.utc)
    to_stored = time_storage(session)
    return Context(store_id=store_id, currency=currency.upper(), now=now, stamp=to_stored(now),
                   stored_time=to_stored)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a page is turned into rows: the page and its rows
    are tens of thousands of live objects that every collection would walk for nothing
    (measured: a quarter of the time of an initial pull). Nothing here makes cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def apply_entity(session: Session, entity: str, entity_id: str, op: str,
                 data: dict[str, Any] | None, *, store_id: str, currency: str) -> bool:
    """Apply one entity's entry; ``False`` when it names something not here yet (the caller
    keeps it for later). Bad data raises ``BadEntry`` naming the field."""
    entry = Entry(entity, entity_id, op, data)
    ctx = context(session, store_id, currency=currency)
    # The writers use Core statements: the caller's pending ORM changes go first, and its
    # loaded objects are read again afterwards.
    session.flush()
    outcome = apply_entries(session, ctx, [entry])
    session.expire_all()
    if outcome.skipped:
        _, reason = outcome.skipped[0]
        field, _, message = reason.partition(": ")
        raise BadEntry(field, message)
    return not outcome.deferred


def apply_page(session: Session, page: dict[str, Any], *, store_id: str,
               now: datetime | None = None) -> int:
    """Apply one page's ``changes`` in the caller's transaction (no commit); returns how many
    entries were applied, counting waiting ones this page unlocked. A malformed page raises
    ``BadPage`` before anything is written; a malformed entry is skipped and logged."""
    entries, malformed = page_entries(page)
    ctx = context(session, store_id, now)
    with collector_paused():
        outcome = apply_entries(session, ctx, entries)
    for raw, reason in malformed:
        log_skipped([(Entry(str(raw.get("entity")), str(raw.get("entity_id")), "?", None,
                            str(raw.get("feed") or ""), 0), reason)])
    log_skipped(outcome.skipped)
    forget_deferred(session, outcome.applied)
    defer(session, outcome.deferred)
    resolved = 0
    if any(e.entity in NEEDED_BY_OTHERS for e in outcome.applied):
        resolved = retry_deferred(session, ctx)
    return len(outcome.applied) + resolved

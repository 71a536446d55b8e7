"""A batch of entries through the writers, in the order entities depend on each other, and
the ``sync_deferred`` entries that wait for what they name."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import Callable

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from app.domain.sync_protocol import Entity
from db.models import DeferredChange
from sync.apply.catalog import write_categories, write_products, write_tax_classes
from sync.apply.entries import BadEntry, Context, Entry, Outcome, entry_from
from sync.apply.parked import write_parked_carts
from sync.apply.parties import write_coupons, write_customers, write_staff
from sync.apply.rows import delete_where_in
from sync.apply.store_feed import write_orders, write_stock_levels

log = logging.getLogger(__name__)

Writer = Callable[[Session, Context, list[Entry]], Outcome]
#: what a later writer may need is written by an earlier one
WRITERS: dict[str, Writer] = {
    Entity.TAX_CLASS: write_tax_classes,
    Entity.CATEGORY: write_categories,
    Entity.PRODUCT: write_products,
    Entity.COUPON: write_coupons,
    Entity.STAFF_USER: write_staff,
    Entity.CUSTOMER: write_customers,
    Entity.STOCK_LEVEL: write_stock_levels,
    Entity.ORDER: write_orders,
    Entity.PARKED_CART: write_parked_carts,
}
#: entities others wait for: deferred entries are retried only after a page wrote one
NEEDED_BY_OTHERS = frozenset({Entity.TAX_CLASS, Entity.CATEGORY, Entity.PRODUCT})
deferred_table = DeferredChange.__table__


def apply_entries(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    """Apply ``entries`` (in feed order). Only the last entry of each entity counts: every
    entry carries the entity's full view, so the last one *is* the state after them all."""
    latest: dict[tuple[str, str], Entry] = {}
    superseded: list[Entry] = []
    for entry in entries:
        key = (entry.entity, entry.entity_id)
        if key in latest:
            superseded.append(latest[key])
        latest[key] = entry
    by_entity: dict[str, list[Entry]] = defaultdict(list)
    outcome = Outcome()
    for entry in latest.values():
        if entry.entity in WRITERS:
            by_entity[entry.entity].append(entry)
        else:
            outcome.skipped.append((entry, f"entity: {entry.entity!r} is not known to this till"))
    for entity, writer in WRITERS.items():
        if by_entity.get(entity):
            outcome.merge(writer(session, ctx, by_entity[entity]))
    applied = {(e.entity, e.entity_id) for e in outcome.applied}
    outcome.applied += [e for e in superseded if (e.entity, e.entity_id) in applied]
    return outcome


def log_skipped(skipped: list[tuple[Entry, str]]) -> None:
    for entry, reason in skipped:
        log.warning("pulled %s %s (%s #%s) skipped: %s", entry.entity, entry.entity_id,
                    entry.feed or "-", entry.seq, reason)


def _by_entity(entries: list[Entry]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        grouped[entry.entity].append(entry.entity_id)
    return grouped


def forget_deferred(session: Session, entries: list[Entry]) -> None:
    """A newer entry of an entity was applied (or deferred in its place): older waiting ones
    of it are stale."""
    if not entries or session.execute(select(deferred_table.c.seq).limit(1)).first() is None:
        return
    for entity, ids in _by_entity(entries).items():
        delete_where_in(session, deferred_table, "entity_id", ids,
                        deferred_table.c.entity == entity)


def defer(session: Session, entries: list[Entry]) -> None:
    forget_deferred(session, entries)
    rows = [{"feed": e.feed, "seq": e.seq, "entity": e.entity, "entity_id": e.entity_id,
             "change": json.dumps(e.raw, sort_keys=True, separators=(",", ":"))}
            for e in entries]
    if rows:
        session.execute(insert(deferred_table).on_conflict_do_nothing(), rows)


def deferred_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(deferred_table)) or 0


def retry_deferred(session: Session, ctx: Context, *, max_passes: int = 4) -> int:
    """Apply the waiting entries whose needs have arrived; returns how many were applied. A
    pass that applies something may unlock more (a category, then its products, then their
    stock levels), hence the few passes."""
    resolved = 0
    for _ in range(max_passes):
        waiting = session.execute(select(deferred_table.c.feed, deferred_table.c.seq,
                                         deferred_table.c.change)
                                  .order_by(deferred_table.c.feed, deferred_table.c.seq)).all()
        entries, unreadable = [], []
        for feed, seq, change in waiting:
            try:
                entries.append(entry_from(json.loads(change)))
            except (BadEntry, ValueError) as exc:
                unreadable.append((feed, seq, str(exc)))
        for feed, seq, reason in unreadable:
            log.warning("deferred entry %s #%s dropped: %s", feed, seq, reason)
            session.execute(delete(deferred_table).where(deferred_table.c.feed == feed,
                                                         deferred_table.c.seq == seq))
        if not entries:
            return resolved
        outcome = apply_entries(session, ctx, entries)
        log_skipped(outcome.skipped)
        done = outcome.applied + [e for e, _ in outcome.skipped]
        if done:
            session.execute(delete(deferred_table).where(
                deferred_table.c.feed == bindparam("f"), deferred_table.c.seq == bindparam("s")),
                [{"f": e.feed, "s": e.seq} for e in done])
        resolved += len(outcome.applied)
        if not outcome.deferred or not any(e.entity in NEEDED_BY_OTHERS for e in outcome.applied):
            return resolved
    return resolved

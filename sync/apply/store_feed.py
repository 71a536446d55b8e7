"""This store's feed: stock levels (``server.inventory.ledger.level_view``) and orders
(``server.orders.views.order_view``)."""

from __future__ import annotations

import json

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from app.domain.sync_protocol import DELETE, MutationKind
from db.models import Order, OutboxEntry, RemoteOrder, StockLevel, StockMovement, Variant
from sync.apply.entries import BadEntry, Context, Entry, Outcome, check_id, text, when, whole
from sync.apply.rows import Row, among, delete_where_in, existing, fast_upsert

stock_levels = StockLevel.__table__
remote_orders = RemoteOrder.__table__


def _level(entry: Entry, ctx: Context) -> tuple[str, int]:
    """``(variant_id, on_hand_milli)`` of one entry (a deleted level counts nothing)."""
    if entry.op == DELETE:
        store_id, _, variant_id = entry.entity_id.partition(":")
        if not variant_id:
            raise BadEntry("entity_id", "is not a stock level id (store:variant)")
        on_hand = 0
    else:
        check_id(entry.data, entry)
        store_id = text(entry.data, "store_id", max_len=36)
        variant_id = text(entry.data, "variant_id", max_len=36)
        on_hand = whole(entry.data, "on_hand_milli")
    if store_id != ctx.store_id:
        raise BadEntry("store_id", f"is {store_id!r}, not this till's store {ctx.store_id!r}")
    return variant_id, on_hand


def _unsynced(session: Session, store_id: str, variant_ids: list[str]) -> dict[str, int]:
    """Σ this till's movements the server has not counted yet, per variant: one grouped query."""
    movements = StockMovement.__table__.c
    found = session.execute(
        select(movements.variant_id, func.sum(movements.quantity_milli))
        .where(movements.variant_id.in_(among(variant_ids)), movements.store_id == store_id,
               movements.synced == false())
        .group_by(movements.variant_id))
    return {variant_id: int(total) for variant_id, total in found}


def write_stock_levels(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    outcome = Outcome()
    read: list[tuple[Entry, tuple[str, int]]] = []
    for entry in entries:
        try:
            read.append((entry, _level(entry, ctx)))
        except BadEntry as exc:
            outcome.skipped.append((entry, str(exc)))
    known = existing(session, Variant.__table__.c.id, (v for _, (v, _) in read))
    ready = [(e, level) for e, level in read if level[0] in known]
    outcome.deferred += [e for e, (variant_id, _) in read if variant_id not in known]
    # The server's count plus what this till sold or received that the server has not heard of.
    pending = _unsynced(session, ctx.store_id, [v for _, (v, _) in ready])
    fast_upsert(session, stock_levels, [
        {"store_id": ctx.store_id, "variant_id": variant_id,
         "quantity_milli": on_hand + pending.get(variant_id, 0)}
        for _, (variant_id, on_hand) in ready], keys=["store_id", "variant_id"])
    outcome.applied += [e for e, _ in ready]
    return outcome


def _remote_order(entry: Entry, ctx: Context) -> Row:
    data = entry.data
    check_id(data, entry)
    store_id = data.get("store_id")
    if store_id is not None and store_id != ctx.store_id:
        raise BadEntry("store_id", f"is {store_id!r}, not this till's store {ctx.store_id!r}")
    return {"id": entry.entity_id, "number": text(data, "number", max_len=40),
            "channel": text(data, "channel", default="online", max_len=10),
            "status": text(data, "status", max_len=20),
            "version": whole(data, "version", default=1),
            "currency": text(data, "currency", max_len=3),
            "total": whole(data, "total", minimum=0), "created_at": ctx.stored_time(when(data, "created_at")),
            "data": json.dumps(data, sort_keys=True, separators=(",", ":"))}


def _status_change_queued(session: Session, order_ids: list[str]) -> set[str]:
    if not order_ids:
        return set()
    return set(session.scalars(select(OutboxEntry.entity_id).distinct().where(
        OutboxEntry.kind == MutationKind.ORDER_STATUS.value,
        OutboxEntry.entity_id.in_(among(order_ids)))))


def write_orders(session: Session, ctx: Context, entries: list[Entry]) -> Outcome:
    """Orders rung up on this till are this till's own truth and stay as they are; the others
    (online orders, other registers' sales) are kept as the server shows them."""
    outcome = Outcome()
    mine = existing(session, Order.__table__.c.id, (e.entity_id for e in entries))
    outcome.applied += [e for e in entries if e.entity_id in mine]
    others = [e for e in entries if e.entity_id not in mine]
    gone = [e.entity_id for e in others if e.op == DELETE]
    delete_where_in(session, remote_orders, "id", gone)
    outcome.applied += [e for e in others if e.op == DELETE]
    rows = []
    for entry in (e for e in others if e.op != DELETE):
        try:
            rows.append(_remote_order(entry, ctx))
            outcome.applied.append(entry)
        except BadEntry as exc:
            outcome.skipped.append((entry, str(exc)))
    # While this till's own status change of an order waits in the outbox, a view older than
    # its copy is one the change has moved past, so it is not put back over it. Otherwise the
    # server's view wins even when older: the till's copy may hold a change the server never
    # kept (a refusal that could not be undone), and the server's is the truth.
    moving = _status_change_queued(session, [row["id"] for row in rows])
    held = dict(session.execute(select(remote_orders.c.id, remote_orders.c.version).where(
        remote_orders.c.id.in_(among(moving)))).all()) if moving else {}
    rows = [row for row in rows if row["version"] >= held.get(row["id"], 0)]
    fast_upsert(session, remote_orders, rows, keys=["id"])
    return outcome

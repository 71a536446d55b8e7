"""Whole-store consistency checks: used by ``tillpoint selfcheck``, after a crash, and by tests.

Each check returns plain sentences naming what is wrong; an empty list means the store is sound.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.sales.identity import SYNC_DEVICE_ID_KEY, get_local
from db.models import (AuditEntry, Order, OrderLine, OutboxEntry, Payment, Register, StockLevel,
                       StockMovement)




def check_stock_levels(session: Session) -> list[str]:
    """Every derived level equals the sum of its movements — on a till that is not paired.
    A paired till's level is the server's count plus its own unacknowledged movements (other
    tills' sales, receipts made elsewhere), so there the sum of local movements proves
    nothing and the server's ledger is the one that is checked."""
    if get_local(session, SYNC_DEVICE_ID_KEY) is not None:
        return []
    sums = (select(StockMovement.store_id, StockMovement.variant_id,
                   func.sum(StockMovement.quantity_milli).label("total"))
            .group_by(StockMovement.store_id, StockMovement.variant_id).subquery())
    mismatched = session.execute(
        select(StockLevel.variant_id, StockLevel.quantity_milli, sums.c.total)
        .join(sums, (sums.c.store_id == StockLevel.store_id)
              & (sums.c.variant_id == StockLevel.variant_id), isouter=True)
        .where(StockLevel.quantity_milli != func.coalesce(sums.c.total, 0)).limit(20)).all()
    orphans = session.execute(
        select(sums.c.variant_id).join(
            StockLevel, (sums.c.store_id == StockLevel.store_id)
            & (sums.c.variant_id == StockLevel.variant_id), isouter=True)
        .where(StockLevel.variant_id.is_(None)).limit(20)).all()
    problems = [f"stock level of variant {v} is {lvl} but its movements add up to {tot}"
                for v, lvl, tot in mismatched]
    problems += [f"variant {v} has stock movements but no level" for (v,) in orphans]
    return problems


def check_orders(session: Session) -> list[str]:
    """Every till order is whole: lines adding up to its total, payments, a stock movement per
    line and its audit entry."""
    problems: list[str] = []
    line_sums = dict(session.execute(
        select(OrderLine.order_id, func.sum(OrderLine.total)).group_by(OrderLine.order_id)).all())
    paid = dict(session.execute(
        select(Payment.order_id, func.sum(Payment.amount)).group_by(Payment.order_id)).all())
    moved = dict(session.execute(
        select(StockMovement.order_id, func.count()).where(StockMovement.kind == "sale")
        .group_by(StockMovement.order_id)).all())
    line_counts = dict(session.execute(
        select(OrderLine.order_id, func.count()).group_by(OrderLine.order_id)).all())
    audited = set(session.scalars(select(AuditEntry.entity_id)
                                  .where(AuditEntry.action == "sale.completed")).all())
    for order_id, number, total, channel in session.execute(
            select(Order.id, Order.number, Order.total, Order.channel)).all():
        if channel != "till":
            continue
        if order_id not in line_sums:
            problems.append(f"order {number} has no lines")
            continue
        if line_sums[order_id] != total:
            problems.append(f"order {number}: lines add up to {line_sums[order_id]}, total is {total}")
        if paid.get(order_id, 0) != total:
            problems.append(f"order {number}: payments add up to {paid.get(order_id, 0)}, total is {total}")
        if moved.get(order_id, 0) != line_counts[order_id]:
            problems.append(f"order {number}: {moved.get(order_id, 0)} stock movements for "
                            f"{line_counts[order_id]} lines")
        if order_id not in audited:
            problems.append(f"order {number} has no audit entry")
    return problems


def orders_missing_from_outbox(session: Session) -> list[str]:
    """Till orders with no outbox entry. Only meaningful before anything was pushed: the sync
    engine deletes an entry once the server has acknowledged it."""
    queued = select(OutboxEntry.entity_id).where(OutboxEntry.kind == "order.created")
    return list(session.scalars(select(Order.number).where(Order.channel == "till",
                                                            Order.id.not_in(queued))).all())


def check_numbering(session: Session) -> list[str]:
    """Order numbers per register run 1..n with no gap, and the counter points just past them."""
    problems: list[str] = []
    for register in session.scalars(select(Register)).all():
        count, top = session.execute(
            select(func.count(Order.id), func.coalesce(func.max(Order.register_seq), 0))
            .where(Order.register_id == register.id)).one()
        if count != top:
            problems.append(f"register {register.code}: {count} orders but numbers reach {top} "
                            "(a gap in the numbering)")
        if register.next_order_seq != top + 1:
            problems.append(f"register {register.code}: next number is {register.next_order_seq}, "
                            f"expected {top + 1}")
    return problems


def check_audit(session: Session) -> list[str]:
    _, problem = audit.verify(session)
    return [f"audit journal: {problem.message}"] if problem else []


def check_all(session: Session) -> list[str]:
    return (check_audit(session) + check_numbering(session) + check_orders(session)
            + check_stock_levels(session))

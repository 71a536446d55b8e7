"""A server restored from an older backup has lost what it acknowledged after that backup;
the till already cleared those entries from its outbox. When the feed answers 410
``cursor_ahead`` (the till has seen numbers the server no longer has), the till asks the
server for the highest order and refund numbers it now holds for this register and queues
again every sale and refund above them, with their stock movements marked unsynced. The
server records orders and refunds idempotently by id and movements by the till's ids, so
anything it did keep is answered ``duplicate`` and changes nothing.

Back-office edits acknowledged after the backup (stock receipts and counts, customers, product
edits) are not re-sent: the server's state is the truth they are measured against again, and
the till's levels converge to it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import inventory, outbox
from app.domain.sync_protocol import MutationKind
from app.sales.identity import REGISTER_KEY, get_local
from app.sales.serialize import order_to_dict, refund_to_dict
from db.models import OutboxEntry, Order, Refund, StockMovement

log = logging.getLogger(__name__)

_REFUND_SEQ = re.compile(r"RF(\d{1,12})$")


def _positive(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def requeue_after_restore(session: Session, me: dict[str, Any]) -> tuple[int, int]:
    """Queue again this register's orders and refunds numbered at or above what the server
    (``me``: ``GET /devices/me``) says comes next; returns (orders, refunds) queued."""
    register_id = get_local(session, REGISTER_KEY)
    next_order, next_refund = _positive(me.get("next_order_seq")), _positive(
        me.get("next_refund_seq"))
    queued = set(session.scalars(select(OutboxEntry.entity_id)))
    orders = [o for o in session.scalars(
        select(Order).where(Order.register_id == register_id, Order.register_seq >= next_order)
        .order_by(Order.register_seq)) if o.id not in queued]
    refunds = [r for r in session.scalars(
        select(Refund).where(Refund.register_id == register_id).order_by(Refund.number))
        if r.id not in queued and _refund_seq(r) >= next_refund]
    for order in orders:
        moves = _movements(session, StockMovement.order_id == order.id,
                           StockMovement.refund_id.is_(None))
        payload = order_to_dict(order)
        payload["stock_movements"] = [inventory.movement_payload(m) for m in moves]
        outbox.enqueue(session, kind=MutationKind.ORDER_CREATED.value, entity_id=order.id,
                       payload=payload)
    for refund in refunds:
        order = session.get(Order, refund.order_id)
        moves = _movements(session, StockMovement.refund_id == refund.id)
        outbox.enqueue(session, kind=MutationKind.REFUND_CREATED.value, entity_id=refund.id,
                       payload={"refund": refund_to_dict(refund, order),
                                "order": order_to_dict(order),
                                "stock_movements": [inventory.movement_payload(m)
                                                    for m in moves]})
    if orders or refunds:
        log.warning("the server was restored from an older backup: %d sale(s) and %d "
                    "refund(s) of this till are sent again", len(orders), len(refunds))
    return len(orders), len(refunds)


def _refund_seq(refund: Refund) -> int:
    found = _REFUND_SEQ.search(refund.number or "")
    return int(found.group(1)) if found else 0


def _movements(session: Session, *conditions) -> list[StockMovement]:  # noqa: ANN002
    """The movements, marked unsynced again: the restored server does not count them, so the
    snapshot that follows sets each level to the server's plus them (the level's number stays
    as it is until then)."""
    moves = list(session.scalars(select(StockMovement).where(*conditions)))
    synced = [m.id for m in moves if m.synced]
    if synced:
        session.execute(update(StockMovement).where(StockMovement.id.in_(synced))
                        .values(synced=False))
    return moves

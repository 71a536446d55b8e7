"""Indexes of ``orders`` and ``refunds``; idempotent, run at every start."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """The list filters (each an equality beside a date range; ``customer_id`` is also the
    purchase history), guest orders by email (GDPR export and erase), refunds by order."""
    db.orders.create_index([("created_at", DESCENDING)])
    for name in ("store_id", "status", "channel", "customer_id"):
        db.orders.create_index([(name, ASCENDING), ("created_at", DESCENDING)])
    db.orders.create_index("email")
    db.refunds.create_index("order_id")

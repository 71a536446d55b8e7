"""Indexes of ``carts``; idempotent, run at every start."""

from __future__ import annotations

from pymongo.database import Database

from server.carts import parked
from server.database import TTL


def ensure_indexes(db: Database) -> None:
    """Expiry by TTL, one active cart per customer, the abandoned-cart sweep's range, and a
    person's carts by account and by email (GDPR export and erase)."""
    db.carts.create_index("expires_at", **TTL)
    db.carts.create_index("active_user", unique=True, sparse=True)
    db.carts.create_index("abandon_due_at")
    db.carts.create_index("user_id")
    db.carts.create_index("email")
    parked.ensure_indexes(db)  # the tills' parked carts (pushed by sync)

"""Indexes of ``carts``; idempotent, run at every start."""

from __future__ import annotations

from pymongo.database import Database

from server.database import TTL


def ensure_indexes(db: Database) -> None:
    """Expiry by TTL, one active cart per customer, and the abandoned-cart sweep's range."""
    db.carts.create_index("expires_at", **TTL)
    db.carts.create_index("active_user", unique=True, sparse=True)
    db.carts.create_index("abandon_due_at")

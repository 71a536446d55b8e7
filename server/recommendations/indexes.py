"""Indexes of this domain's collections; idempotent, run at every start."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """A product's partners, most bought first."""
    db.co_purchases.create_index([("a", ASCENDING), ("count", DESCENDING)])

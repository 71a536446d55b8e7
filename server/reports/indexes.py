"""Indexes of this domain's collections; idempotent, run at every start."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """A report reads one dimension over a range of days, for the chain or for one store."""
    db.sales_rollups.create_index([("dimension", ASCENDING), ("day", ASCENDING)])
    db.sales_rollups.create_index([("store_id", ASCENDING), ("dimension", ASCENDING),
                                   ("day", ASCENDING)])

"""Indexes of this domain's collections; idempotent, run at every start."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.database import Database

from server.reports.rollups import MONTHLY


def ensure_indexes(db: Database) -> None:
    """A report reads one dimension over a range of days (or months), for the chain or for
    one store."""
    for collection in (db.sales_rollups, db[MONTHLY]):
        collection.create_index([("dimension", ASCENDING), ("day", ASCENDING)])
        collection.create_index([("store_id", ASCENDING), ("dimension", ASCENDING),
                                 ("day", ASCENDING)])

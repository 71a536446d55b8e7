"""Indexes of the stock ledger's collections; idempotent, run at every start."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """Levels by store/product/variant/low stock; movements per filter, newest first;
    reservations by order."""
    db.stock_levels.create_index([("store_id", ASCENDING), ("variant_id", ASCENDING)])
    db.stock_levels.create_index([("store_id", ASCENDING), ("low_stock", ASCENDING)])
    db.stock_levels.create_index("product_id")
    db.stock_levels.create_index("variant_id")
    for field in ("store_id", "product_id", "variant_id"):
        db.stock_movements.create_index([(field, ASCENDING), ("at", DESCENDING)])
    db.stock_movements.create_index([("at", DESCENDING)])
    db.stock_reservations.create_index("order_id")

"""Indexes of the catalogue's collections; idempotent, run at every start."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """Products by variant (``lookup.sellable_variants``), by list filter and sort key;
    categories by ancestor (subtrees); reserved codes by product. Every product index costs
    ``seed-demo`` and each write a little: images are found through their product's ``_id``,
    so they have none; ``(archived, name)`` serves the default list with a streaming limit on
    MongoDB (SecantusDB reads every match anyway)."""
    db.products.create_index("variants.id")
    db.products.create_index([("archived", ASCENDING), ("name", ASCENDING)])
    db.products.create_index("category_id")
    db.products.create_index("brand")
    db.products.create_index("tags")
    db.products.create_index("updated_at")
    db.products.create_index("tax_class_id")
    db.categories.create_index("path")
    db.codes.create_index("product_id")

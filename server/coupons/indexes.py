"""Indexes of this domain's collections; idempotent, run at every start."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """Unique codes (also the list's sort and prefix filter), the list's ``active`` filter,
    and redemptions by order (``unredeem``), by coupon (their list) and by customer (GDPR)."""
    db.coupons.create_index("code", unique=True)
    db.coupons.create_index([("active", ASCENDING), ("code", ASCENDING)])
    db.coupon_redemptions.create_index("order_id")
    db.coupon_redemptions.create_index("customer_id")
    db.coupon_redemptions.create_index([("coupon_id", ASCENDING), ("at", DESCENDING)])

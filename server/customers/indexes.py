"""Indexes of the customers' collections, and of the others' a customer's data is found by
(export and erase); idempotent, run at every start."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """The list by name prefix; purchase history; what export/erase look up by person."""
    db.customers.create_index([("name_key", ASCENDING), ("_id", ASCENDING)])
    db.customers.create_index("user_id")
    db.customer_emails.create_index("customer_id")
    db.orders.create_index([("customer_id", ASCENDING), ("created_at", DESCENDING)])
    db.orders.create_index("email")
    db.carts.create_index("user_id")
    db.carts.create_index("email")
    db.coupon_redemptions.create_index("customer_id")
    db.email_outbox.create_index("to")
    db.audit_log.create_index("target")
    db.audit_log.create_index("actor")
    db.change_log.create_index([("entity", ASCENDING), ("entity_id", ASCENDING)])

"""Indexes of the customers' collections; idempotent, run at every start. What export and
erase look a person up by in other domains' collections is indexed by those domains."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """The list by name prefix, and customers by account and by claimed email."""
    db.customers.create_index([("name_key", ASCENDING), ("_id", ASCENDING)])
    db.customers.create_index("user_id")
    db.customer_emails.create_index("customer_id")

"""Indexes of ``stripe_events`` and ``card_payments``; idempotent, run at every start."""

from __future__ import annotations

from pymongo.database import Database

from server.database import TTL


def ensure_indexes(db: Database) -> None:
    """Processed events expire; a sale stored before its payments were linked is found by
    its payment's reference (``card_payments`` is read by its ``_id``, the PaymentIntent)."""
    db.stripe_events.create_index("expires_at", **TTL)
    db.orders.create_index("payments.provider_ref")

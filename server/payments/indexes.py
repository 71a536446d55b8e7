"""Indexes of ``stripe_events`` and ``card_payments``; idempotent, run at every start."""

from __future__ import annotations

from pymongo.database import Database

from server.database import TTL


def ensure_indexes(db: Database) -> None:
    """Processed events expire (``card_payments`` is read by its ``_id``, the PaymentIntent,
    and finds its sale through the link the sale's push wrote)."""
    db.stripe_events.create_index("expires_at", **TTL)

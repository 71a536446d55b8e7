"""Indexes of this domain's collections; idempotent, run at every start."""

from __future__ import annotations

from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """Create this domain's indexes (none yet)."""

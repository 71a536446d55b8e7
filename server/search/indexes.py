"""Indexes of this domain's collections; idempotent, run at every start."""

from __future__ import annotations

from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """None: search keeps no collection of its own. It reads only the change log (indexed by
    ``server.changes.log``) and ``stores``; its index is the SQLite read model."""

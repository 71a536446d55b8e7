"""Indexes of the sync collections (see ``server.sync.push`` for their shapes)."""

from __future__ import annotations

from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    from server.sync import push  # the push owner defines what it needs

    push.ensure_indexes(db)

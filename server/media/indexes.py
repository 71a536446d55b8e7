"""Indexes of the image blobs: GridFS makes its own (``images.chunks`` by file and chunk number)
on first write; an image is always reached through its product's ``_id``."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.database import Database


def ensure_indexes(db: Database) -> None:
    """The GridFS chunk index, made at start so the first upload does not race to make it."""
    db["images.chunks"].create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)

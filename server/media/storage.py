"""Where image bytes live: one small interface, with a GridFS implementation (the same on the
embedded SecantusDB and on real MongoDB, so every worker and every server sees the same files).

GridFS refuses to run inside a multi-document transaction, so blobs are written before the
transaction that makes a product point at them, under keys that are content-addressed and
per product: writing one again is a no-op, and a blob whose transaction failed is simply never
referenced (it is removed with the image's other blobs when the image is deleted, or stays as
a few unreferenced kilobytes)."""

from __future__ import annotations

from typing import Protocol

import gridfs
from gridfs.errors import FileExists, NoFile
from pymongo.database import Database


class BlobStore(Protocol):
    """Immutable blobs by key."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` unless it is already there (keys are content-addressed)."""

    def get(self, key: str) -> bytes | None:
        """The blob, or ``None``."""

    def delete(self, key: str) -> None:
        """Remove the blob if present."""


class GridFSStore:
    """Blobs in GridFS buckets (``<bucket>.files`` / ``<bucket>.chunks``), ``_id`` = the key."""

    def __init__(self, db: Database, bucket: str = "images") -> None:
        self._bucket = gridfs.GridFSBucket(db, bucket_name=bucket)
        self._files = db[f"{bucket}.files"]

    def put(self, key: str, data: bytes, content_type: str) -> None:
        if self._files.find_one({"_id": key}, {"_id": 1}) is not None:
            return
        try:
            self._bucket.upload_from_stream_with_id(key, key, data,
                                                    metadata={"content_type": content_type})
        except FileExists:  # a concurrent upload of the same bytes stored it first
            pass

    def get(self, key: str) -> bytes | None:
        try:
            return self._bucket.open_download_stream(key).read()
        except NoFile:
            return None

    def delete(self, key: str) -> None:
        try:
            self._bucket.delete(key)
        except NoFile:
            pass


def image_store(db: Database) -> BlobStore:
    """The store the server uses."""
    return GridFSStore(db)

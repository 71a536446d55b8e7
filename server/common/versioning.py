"""Versioned documents: every write bumps ``version``; a write that names a stale version is
refused with 409 and the current version, so the caller can reload and decide."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from server.errors import ApiError


def now_ms() -> datetime:
    """Now, to the millisecond: what BSON keeps, so a returned document equals its stored self."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def not_found(kind: str, entity_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no {kind} {entity_id}", {"id": entity_id})


def version_conflict(kind: str, current_version: int) -> ApiError:
    return ApiError(409, "version_conflict", f"the {kind} was changed by someone else: reload "
                    "and try again", {"current_version": current_version})


def update_if_version(collection: Collection, entity_id: str, version: int,
                      update: dict[str, Any], *, kind: str,
                      session: ClientSession | None = None) -> dict[str, Any]:
    """Apply ``update`` (a MongoDB update document; ``$set`` of ``updated_at`` and ``$inc`` of
    ``version`` are added) only if the document is still at ``version``, and return the
    document as written. 404 if it does not exist, 409 naming the current version if it moved
    on. Inside a transaction, pass its ``session``."""
    update = {**update}
    update["$set"] = {**update.get("$set", {}), "updated_at": now_ms()}
    update["$inc"] = {**update.get("$inc", {}), "version": 1}
    result = collection.update_one({"_id": entity_id, "version": version}, update,
                                   session=session)
    current = collection.find_one({"_id": entity_id}, session=session)
    if result.modified_count == 1 and current is not None:
        return current
    if current is None:
        raise not_found(kind, entity_id)
    raise version_conflict(kind, int(current.get("version", 1)))

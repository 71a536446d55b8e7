"""MongoDB access for staff accounts and API keys. Every lookup is by ``_id`` (or another
indexed equality); writes are conditional ``update_one`` calls whose ``modified_count`` tells
the service whether it won (SecantusDB scans in ``find_one_and_update``, so it is not used)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

Session = ClientSession | None


def get(db: Database, user_id: str) -> dict[str, Any] | None:
    return db.users.find_one({"_id": user_id})


def role_filter(roles: list[str]) -> dict[str, Any]:
    """Equality for one role, ``$in`` for several: both use the ``(role, email)`` index, so the
    customers (who may be most of the collection) are never read."""
    return {"role": roles[0]} if len(roles) == 1 else {"role": {"$in": roles}}


def page(db: Database, *, roles: list[str], skip: int, limit: int) -> list[dict[str, Any]]:
    """One page of users with one of ``roles``, by email, through the ``(role, email)`` index;
    ``limit + 1`` rows tell whether there is a next page without a count."""
    cursor = db.users.find(role_filter(roles)).sort("email", ASCENDING).skip(skip)
    return list(cursor.limit(limit))


def update_if_version(db: Database, user_id: str, version: int, changes: dict[str, Any],
                      extra_filter: dict[str, Any] | None = None,
                      session: Session = None) -> bool:
    """Apply ``changes`` only if the account is still at ``version``; bumps the version."""
    query = {"_id": user_id, "version": version, **(extra_filter or {})}
    result = db.users.update_one(query, {"$set": {**changes,
                                                  "updated_at": datetime.now(timezone.utc)},
                                         "$inc": {"version": 1}}, session=session)
    return result.modified_count == 1


def known_store_ids(db: Database, store_ids: list[str]) -> set[str]:
    if not store_ids:
        return set()
    return {s["_id"] for s in db.stores.find({"_id": {"$in": store_ids}}, {"_id": 1})}


def insert_api_key(db: Database, key: dict[str, Any], session: Session = None) -> None:
    db.api_keys.insert_one(key, session=session)


def revoke_api_key(db: Database, key_id: str, session: Session = None) -> bool:
    result = db.api_keys.update_one({"_id": key_id, "revoked_at": None},
                                    {"$set": {"revoked_at": datetime.now(timezone.utc)}},
                                    session=session)
    return result.modified_count == 1

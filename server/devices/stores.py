"""Stores: the shops of a chain. A store's code (``S01``) is fixed once created because order
numbers carry it; everything else is edited with a version check."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from server import audit
from server.database import in_transaction
from server.devices import repository as repo
from server.devices.schemas import StoreCreate, StoreUpdate
from server.errors import ApiError

#: what a fresh server creates so that its first till can pair without any set-up
DEFAULT_STORE = {"code": "S01", "name": "Main store", "currency": "EUR",
                 "prices_include_tax": True, "address": "", "tax_number": "", "timezone": "UTC"}


def store_view(store: dict[str, Any]) -> dict[str, Any]:
    return {"id": store["_id"], "code": store["code"], "name": store["name"],
            "currency": store["currency"], "prices_include_tax": store["prices_include_tax"],
            "address": store.get("address", ""), "tax_number": store.get("tax_number", ""),
            "timezone": store.get("timezone", "UTC"), "version": store.get("version", 1),
            "created_at": store["created_at"].isoformat(),
            "updated_at": store["updated_at"].isoformat()}


def require_store(db: Database, store_id: str) -> dict[str, Any]:
    store = repo.get_store(db, store_id)
    if store is None:
        raise ApiError(404, "not_found", f"no store {store_id}", {"id": store_id})
    return store


def list_stores(db: Database, *, page: int, per_page: int) -> dict[str, Any]:
    rows = repo.stores_page(db, skip=(page - 1) * per_page, limit=per_page + 1)
    return {"items": [store_view(s) for s in rows[:per_page]], "page": page,
            "per_page": per_page, "has_more": len(rows) > per_page}


def get_store(db: Database, *, store_id: str) -> dict[str, Any]:
    return store_view(require_store(db, store_id))


def now_ms() -> datetime:
    """Now, to the millisecond: what BSON keeps, so a returned record equals its stored self."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _insert(db: Database, fields: dict[str, Any], *, actor: str, ip: str | None,
            request_id: str | None) -> dict[str, Any]:
    now = now_ms()
    store = {"_id": str(uuid.uuid4()), **fields, "version": 1, "created_at": now,
             "updated_at": now}
    audit_id = str(uuid.uuid4())

    def work(session: ClientSession) -> None:  # the store and its audit entry, or neither
        repo.insert_store(db, store, session)  # the unique index on code refuses a second S01
        audit.record(db, actor=actor, action="store.created", target=store["_id"], ip=ip,
                     request_id=request_id, details={"code": store["code"],
                                                     "name": store["name"]},
                     session=session, audit_id=audit_id)

    in_transaction(db, work)
    return store


def create_store(db: Database, *, body: StoreCreate, actor: str, ip: str | None,
                 request_id: str | None) -> dict[str, Any]:
    try:
        store = _insert(db, body.model_dump(), actor=actor, ip=ip, request_id=request_id)
    except DuplicateKeyError:
        raise ApiError(409, "store_code_taken", f"a store with code {body.code} already exists",
                       {"field": "code"}) from None
    return store_view(store)


def update_store(db: Database, *, store_id: str, body: StoreUpdate, actor: str, ip: str | None,
                 request_id: str | None) -> dict[str, Any]:
    """Apply the given fields if ``body.version`` is still current (409 otherwise)."""
    before = require_store(db, store_id)
    changes = body.model_dump(exclude_none=True, exclude={"version"})
    if not changes:
        raise ApiError(422, "validation_error", "nothing to change", {"field": None})
    audit_id, now = str(uuid.uuid4()), now_ms()

    def work(session: ClientSession) -> bool:  # the change and its audit entry, or neither
        if not repo.update_store_if_version(db, store_id, body.version, changes, now, session):
            return False
        audit.record(db, actor=actor, action="store.updated", target=store_id, ip=ip,
                     request_id=request_id, details={"from": {k: before.get(k) for k in changes},
                                                     "to": changes},
                     session=session, audit_id=audit_id)
        return True

    if not in_transaction(db, work):
        current = require_store(db, store_id)
        raise ApiError(409, "version_conflict", "the store was changed by someone else: reload "
                       "and try again", {"current_version": current.get("version", 1)})
    return get_store(db, store_id=store_id)


def store_for_pairing(db: Database, store_code: str | None, *, actor: str,
                      ip: str | None) -> dict[str, Any]:
    """The store a command-line pairing code is for: the named one; or, unnamed, the only
    one; or, on a fresh server with no store at all, a default "S01" created now."""
    if store_code:
        store = repo.store_by_code(db, store_code.strip().upper())
        if store is None:
            raise ApiError(404, "not_found", f"no store with code {store_code.strip().upper()}",
                           {"field": "store"})
        return store
    stores = repo.stores_page(db, skip=0, limit=2)
    if len(stores) == 1:
        return stores[0]
    if stores:
        codes = ", ".join(s["code"] for s in repo.stores_page(db, skip=0, limit=20))
        raise ApiError(400, "store_required", f"there are several stores ({codes}): name one "
                       "with --store", {"field": "store"})
    try:
        return _insert(db, dict(DEFAULT_STORE), actor=actor, ip=ip, request_id=None)
    except DuplicateKeyError:  # another command created it a moment ago
        return repo.store_by_code(db, DEFAULT_STORE["code"])

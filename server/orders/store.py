"""The store online carts and orders belong to: ``settings.online_store_code``, or the first
store by code, or (on a fresh server) the default store, created the way pairing creates it."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from server.config import ServerSettings
from server.devices import repository as stores_repo
from server.devices.stores import store_for_pairing
from server.errors import ApiError


def online_store(db: Database, settings: ServerSettings) -> dict[str, Any]:
    """The online store's document (``currency``, ``prices_include_tax``, ``code`` …)."""
    code = settings.online_store_code.strip().upper()
    if code:
        store = stores_repo.store_by_code(db, code)
        if store is None:
            raise ApiError(409, "no_online_store", f"the online store {code} (TILLPOINT_ONLINE_STORE) "
                           "does not exist: create it or change the setting", {"field": "store"})
        return store
    first = stores_repo.stores_page(db, skip=0, limit=1)
    if first:
        return first[0]
    # A fresh server: the same default store a first pairing would create (race-safe there).
    return store_for_pairing(db, None, actor="system:online-store", ip=None)

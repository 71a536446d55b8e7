"""The commerce domains the API is assembled from, in one list: each is a package
``server/<name>/`` with ``router.py`` (``router``) and ``indexes.py`` (``ensure_indexes``)."""

from __future__ import annotations

import importlib
from types import ModuleType

from fastapi import APIRouter
from pymongo.database import Database

COMMERCE = ("catalog", "media", "search", "carts", "coupons", "orders", "inventory",
            "customers", "reports", "recommendations", "sync", "payments")


def _module(domain: str, name: str) -> ModuleType:
    return importlib.import_module(f"server.{domain}.{name}")


def routers() -> list[APIRouter]:
    return [_module(d, "router").router for d in COMMERCE]


def ensure_indexes(db: Database) -> None:
    for domain in COMMERCE:
        _module(domain, "indexes").ensure_indexes(db)

"""Stores, registers, pairing and device credentials.

Permissions: reading stores and registers is back-office work (BACK_OFFICE); creating and
editing stores is the owner's (STORES_MANAGE); registers, pairing codes and devices are
DEVICES_MANAGE; a till reads its own identity with its device credential (DEVICE_SYNC); the
code exchange itself is public, limited per IP.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pymongo.database import Database

from app.domain.permissions import Permission
from server.devices import service, stores
from server.devices.schemas import PairRequest, RegisterCreate, StoreCreate, StoreUpdate
from server.security import ratelimit
from server.security.deps import Principal, client_ip, get_db, public, request_context, require

router = APIRouter(tags=["devices"])
READ = require(Permission.BACK_OFFICE)
STORES = require(Permission.STORES_MANAGE)
DEVICES = require(Permission.DEVICES_MANAGE)
PAIR_WINDOW_SECONDS = 60
Page = Query(1, ge=1, le=10_000)
PerPage = Query(50, ge=1, le=100)


@router.get("/stores", tags=["stores"])
def list_stores(page: int = Page, per_page: int = PerPage, db: Database = Depends(get_db),
                _: Principal = Depends(READ)) -> dict[str, Any]:
    return stores.list_stores(db, page=page, per_page=per_page)


@router.post("/stores", status_code=201, tags=["stores"])
def create_store(body: StoreCreate, request: Request, db: Database = Depends(get_db),
                 principal: Principal = Depends(STORES)) -> dict[str, Any]:
    return stores.create_store(db, body=body, **request_context(request, principal))


@router.get("/stores/{store_id}", tags=["stores"])
def get_store(store_id: str, db: Database = Depends(get_db),
              _: Principal = Depends(READ)) -> dict[str, Any]:
    return stores.get_store(db, store_id=store_id)


@router.patch("/stores/{store_id}", tags=["stores"])
def update_store(store_id: str, body: StoreUpdate, request: Request,
                 db: Database = Depends(get_db),
                 principal: Principal = Depends(STORES)) -> dict[str, Any]:
    """Edit a store; 409 when ``version`` is stale. The code cannot change."""
    return stores.update_store(db, store_id=store_id, body=body,
                               **request_context(request, principal))


@router.post("/stores/{store_id}/registers", status_code=201)
def create_register(store_id: str, body: RegisterCreate, request: Request,
                    db: Database = Depends(get_db),
                    principal: Principal = Depends(DEVICES)) -> dict[str, Any]:
    return service.create_register(db, store_id=store_id, body=body,
                                   **request_context(request, principal))


@router.get("/stores/{store_id}/registers")
def list_registers(store_id: str, db: Database = Depends(get_db),
                   _: Principal = Depends(READ)) -> dict[str, Any]:
    return service.list_registers(db, store_id=store_id)


@router.post("/registers/{register_id}/pairing-code", status_code=201)
def issue_pairing_code(register_id: str, request: Request, db: Database = Depends(get_db),
                       principal: Principal = Depends(DEVICES)) -> dict[str, Any]:
    """A one-time code, valid for the configured minutes, that pairs one till to this register."""
    return service.issue_code_for_register(
        db, register_id=register_id, minutes=request.app.state.settings.pairing_code_minutes,
        **request_context(request, principal))


@router.post("/devices/pair")
def pair(body: PairRequest, request: Request, db: Database = Depends(get_db),
         _: Principal = Depends(public("a till has no credential until it pairs"))) -> dict[str, Any]:
    """Exchange a pairing code for ``{device_id, device_key, store_id, register_id, …}``; the key
    is shown only here. Attempts are limited per IP, so codes cannot be guessed."""
    ratelimit.enforce(db, "devices.pair.ip", client_ip(request),
                      request.app.state.settings.auth_rate_per_minute_ip, PAIR_WINDOW_SECONDS)
    return service.pair_device(db, code=body.code, ip=client_ip(request),
                               request_id=getattr(request.state, "request_id", None))


@router.get("/devices")
def list_devices(page: int = Page, per_page: int = PerPage, include_revoked: bool = False,
                 register_id: str | None = Query(None, max_length=64),
                 db: Database = Depends(get_db), _: Principal = Depends(DEVICES)) -> dict[str, Any]:
    return service.list_devices(db, include_revoked=include_revoked, register_id=register_id,
                                page=page, per_page=per_page)


@router.get("/devices/me")
def my_device(db: Database = Depends(get_db),
              principal: Principal = Depends(require(Permission.DEVICE_SYNC))) -> dict[str, Any]:
    """The calling till's ids (a device credential only: no role holds DEVICE_SYNC)."""
    return service.whoami(db, principal=principal)


@router.delete("/devices/{device_id}")
def revoke_device(device_id: str, request: Request, db: Database = Depends(get_db),
                  principal: Principal = Depends(DEVICES)) -> dict[str, Any]:
    """Revoke a till's credential; its next request is a 401. Idempotent."""
    return service.revoke_device(db, device_id=device_id, **request_context(request, principal))

"""HTTP routes of the stock ledger (thin: validation in schemas, rules in the services)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pymongo.database import Database

from app.domain.permissions import Permission
from server.common.paging import MAX_PAGE, MAX_PER_PAGE, reject_unknown_filters
from server.errors import ApiError
from server.inventory import operations
from server.inventory.schemas import LevelUpdate, MovementCreate, TransferCreate
from server.inventory.service import KINDS
from server.security.deps import Principal, get_db, request_context, require

router = APIRouter(prefix="/inventory", tags=["inventory"])
READ = require(Permission.STOCK_READ)
WRITE = require(Permission.STOCK_WRITE)
Kind = Literal[KINDS]  # type: ignore[valid-type]
IdParam = Annotated[str | None, Query(min_length=1, max_length=64)]
_PAGING = ("page", "per_page")


def _utc(value: datetime | None, field: str) -> datetime | None:
    """Naive times are UTC; an offset that pushes the time out of range is refused."""
    if value is None:
        return None
    try:
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise ApiError(422, "validation_error", f"{field}: out of range",
                       {"field": field}) from None


@router.get("/levels")
def list_levels(request: Request, store_id: IdParam = None,
                product_id: IdParam = None, variant_id: IdParam = None,
                low_stock: bool | None = None, sort: str | None = Query(None, max_length=100),
                page: int = Query(1, ge=1, le=MAX_PAGE),
                per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
                db: Database = Depends(get_db), _: Principal = Depends(READ)) -> dict[str, Any]:
    """Stock levels (on hand, reserved, available) by store, product, variant or low stock."""
    reject_unknown_filters(request.query_params.keys(),
                           ("store_id", "product_id", "variant_id", "low_stock", "sort",
                            *_PAGING))
    return operations.list_levels(db, store_id=store_id, product_id=product_id,
                                  variant_id=variant_id, low_stock=low_stock, sort=sort,
                                  page=page, per_page=per_page)


@router.get("/levels/{level_id}")
def get_level(level_id: str, db: Database = Depends(get_db),
              _: Principal = Depends(READ)) -> dict[str, Any]:
    return operations.get_level(db, level_id)


@router.patch("/levels/{level_id}")
def update_level(level_id: str, body: LevelUpdate, request: Request,
                 db: Database = Depends(get_db),
                 principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Set the level's low-stock threshold (``null``: the product's); 409 on a stale version."""
    return operations.update_level(db, level_id=level_id, body=body, principal=principal,
                                   **request_context(request))


@router.get("/movements")
def list_movements(request: Request, store_id: IdParam = None,
                   product_id: IdParam = None, variant_id: IdParam = None,
                   kind: Kind | None = None,
                   start: datetime | None = Query(None, alias="from"),
                   end: datetime | None = Query(None, alias="to"),
                   page: int = Query(1, ge=1, le=MAX_PAGE),
                   per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
                   db: Database = Depends(get_db),
                   _: Principal = Depends(READ)) -> dict[str, Any]:
    """The ledger, newest first (``from`` inclusive, ``to`` exclusive)."""
    reject_unknown_filters(request.query_params.keys(),
                           ("store_id", "product_id", "variant_id", "kind", "from", "to",
                            *_PAGING))
    return operations.list_movements(db, store_id=store_id, product_id=product_id,
                                     variant_id=variant_id, kind=kind,
                                     start=_utc(start, "from"), end=_utc(end, "to"),
                                     page=page, per_page=per_page)


@router.post("/movements", status_code=201)
def post_movement(body: MovementCreate, request: Request,
                  db: Database = Depends(get_db),
                  principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """An adjustment (signed, with a reason), a receipt or a count; idempotent by
    ``movement_id``."""
    return operations.post_movement(db, body=body, principal=principal, **request_context(request))


@router.post("/transfers", status_code=201)
def post_transfer(body: TransferCreate, request: Request, db: Database = Depends(get_db),
                  principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Move stock between two stores in one transaction; idempotent by ``transfer_id``."""
    return operations.post_transfer(db, body=body, principal=principal, **request_context(request))

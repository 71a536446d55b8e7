"""Coupons for the back office: ``/coupons`` (COUPONS_WRITE for every route, reads included:
codes not yet announced are secrets). Thin: types in schemas, rules in ``manage``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pymongo.database import Database

from app.domain.permissions import Permission
from server.common.paging import MAX_PAGE, MAX_PER_PAGE, reject_unknown_filters
from server.coupons import manage
from server.coupons.schemas import CouponCreate, CouponUpdate
from server.security.deps import Principal, get_db, request_context, require

router = APIRouter(prefix="/coupons", tags=["coupons"])
WRITE = require(Permission.COUPONS_WRITE)
LIST_PARAMS = ("active", "code", "sort", "page", "per_page")


@router.get("")
def list_coupons(request: Request, active: bool | None = None,
                 code: str | None = Query(None, max_length=64),
                 sort: str | None = Query(None, max_length=100),
                 page: int = Query(1, ge=1, le=MAX_PAGE),
                 per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
                 db: Database = Depends(get_db), _: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Coupons by code (``code`` matches the beginning of one), a page at a time."""
    reject_unknown_filters(request.query_params.keys(), LIST_PARAMS)
    return manage.list_coupons(db, active=active, code=code, sort=sort, page=page,
                               per_page=per_page)


@router.post("", status_code=201)
def create_coupon(body: CouponCreate, request: Request, db: Database = Depends(get_db),
                  principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """A coupon: percent (``value`` as decimal text) or amount (minor units, with currency)."""
    return manage.create(db, body=body, actor=principal.actor, **request_context(request))


@router.get("/{coupon_id}")
def get_coupon(coupon_id: str, db: Database = Depends(get_db),
               _: Principal = Depends(WRITE)) -> dict[str, Any]:
    return manage.get(db, coupon_id=coupon_id)


@router.patch("/{coupon_id}")
def update_coupon(coupon_id: str, body: CouponUpdate, request: Request,
                  db: Database = Depends(get_db),
                  principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Edit any field but the code; 409 when ``version`` is stale."""
    return manage.update(db, coupon_id=coupon_id, body=body, actor=principal.actor,
                         **request_context(request))


@router.delete("/{coupon_id}")
def deactivate_coupon(coupon_id: str, request: Request, db: Database = Depends(get_db),
                      principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Deactivate (never deleted: redemptions refer to it); idempotent."""
    return manage.deactivate(db, coupon_id=coupon_id, actor=principal.actor,
                             **request_context(request))


@router.get("/{coupon_id}/redemptions")
def list_redemptions(coupon_id: str, page: int = Query(1, ge=1, le=MAX_PAGE),
                     per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
                     db: Database = Depends(get_db),
                     _: Principal = Depends(WRITE)) -> dict[str, Any]:
    """The orders that used the coupon, newest first."""
    return manage.redemptions(db, coupon_id=coupon_id, page=page, per_page=per_page)

"""Sales reports (REPORTS_READ): ``/reports/sales`` and ``/reports/top-products``, served from
the rollups. Thin: parsing and rules in ``server.reports.service``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pymongo.database import Database

from app.domain.permissions import Permission
from server.common.paging import reject_unknown_filters
from server.reports import service
from server.security.deps import Principal, get_db, require

router = APIRouter(prefix="/reports", tags=["reports"])
READ = require(Permission.REPORTS_READ)


@router.get("/sales")
def sales_report(request: Request, start: str | None = Query(None, alias="from", max_length=20),
                 end: str | None = Query(None, alias="to", max_length=20),
                 store_id: str | None = Query(None, max_length=64),
                 group_by: str = Query("day", max_length=40), db: Database = Depends(get_db),
                 _: Principal = Depends(READ)) -> dict[str, Any]:
    """Sales from ``from`` to ``to`` (days, both included, in each store's timezone) grouped by
    day, week, month, product, category, cashier, payment, store or channel, net of refunds."""
    reject_unknown_filters(request.query_params.keys(), ("from", "to", "store_id", "group_by"))
    first, last = service.parse_range(start, end)
    return service.sales(db, start=first, end=last, store_id=store_id, group_by=group_by)


@router.get("/top-products")
def top_products(request: Request, start: str | None = Query(None, alias="from", max_length=20),
                 end: str | None = Query(None, alias="to", max_length=20),
                 store_id: str | None = Query(None, max_length=64),
                 limit: int = Query(10, ge=1, le=100), by: str = Query("total", max_length=40),
                 db: Database = Depends(get_db), _: Principal = Depends(READ)) -> dict[str, Any]:
    """The best-selling products of a range of days, by net takings or net quantity."""
    reject_unknown_filters(request.query_params.keys(),
                           ("from", "to", "store_id", "limit", "by"))
    first, last = service.parse_range(start, end)
    return service.top_products(db, start=first, end=last, store_id=store_id, limit=limit,
                                by=by)

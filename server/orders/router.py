"""Order routes: staff (``/orders``: list, detail, status, payments, refunds) and the signed-in
customer's own (``/account/orders``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pymongo.database import Database

from app.domain.permissions import Permission
from server.common.paging import MAX_PAGE, MAX_PER_PAGE, reject_unknown_filters
from server.customers import service as customers
from server.errors import ApiError
from server.orders import service
from server.orders.schemas import PaymentCreate, RefundCreate, StatusChange, StatusName
from server.security.deps import Principal, get_db, request_context, require

router = APIRouter(tags=["orders"])
OrderId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
IdFilter = Annotated[str | None, Query(min_length=1, max_length=64,
                                       pattern=r"^[A-Za-z0-9_.:-]+$")]


@router.get("/orders")
def list_orders(request: Request, status: StatusName | None = None,
                channel: Literal["online", "till"] | None = None, store_id: IdFilter = None,
                customer_id: IdFilter = None,
                from_: Annotated[date | None, Query(alias="from")] = None,
                to: date | None = None,
                sort: Annotated[str | None, Query(max_length=100)] = None,
                page: int = Query(1, ge=1, le=MAX_PAGE),
                per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
                db: Database = Depends(get_db),
                _: Principal = Depends(require(Permission.ORDERS_READ))) -> dict[str, Any]:
    """Orders, newest first by default; ``sort`` one of created_at, number, total, status
    (``-`` for descending)."""
    reject_unknown_filters(request.query_params.keys(), service.FILTERS)
    filters = {"status": status, "channel": channel, "store_id": store_id,
               "customer_id": customer_id, "from": from_, "to": to}
    return service.list_orders(db, filters=filters, sort=sort, page=page, per_page=per_page)


@router.get("/orders/{order_id}")
def get_order(order_id: OrderId, db: Database = Depends(get_db),
              _: Principal = Depends(require(Permission.ORDERS_READ))) -> dict[str, Any]:
    """One order, with its refunds."""
    return service.get_order(db, order_id)


@router.post("/orders/{order_id}/status")
def change_status(order_id: OrderId, body: StatusChange, request: Request,
                  db: Database = Depends(get_db),
                  principal: Principal = Depends(require(Permission.ORDERS_UPDATE))
                  ) -> dict[str, Any]:
    """Move along the order state machine (409 with the allowed moves otherwise, 409 for a
    stale ``version``); audited with who and why."""
    return service.change_status(db, order_id=order_id, status=body.status, reason=body.reason,
                                 version=body.version, tracking_number=body.tracking_number,
                                 principal=principal, **request_context(request))


@router.post("/orders/{order_id}/payments", status_code=201)
def add_payment(order_id: OrderId, body: PaymentCreate, request: Request,
                db: Database = Depends(get_db),
                principal: Principal = Depends(require(Permission.ORDERS_UPDATE))
                ) -> dict[str, Any]:
    """Record a payment; a pending order paid in full becomes confirmed."""
    return service.add_payment(db, order_id=order_id, method=body.method, amount=body.amount,
                               provider_ref=body.provider_ref, principal=principal,
                               **request_context(request))


@router.post("/orders/{order_id}/refunds", status_code=201)
def refund(order_id: OrderId, body: RefundCreate, request: Request,
           db: Database = Depends(get_db),
           principal: Principal = Depends(require(Permission.REFUND))) -> dict[str, Any]:
    """Give money back for returned lines, never more than was paid."""
    return service.refund(db, order_id=order_id, wanted=body.wanted(), reason=body.reason,
                          principal=principal, **request_context(request))


@router.get("/account/orders")
def my_orders(page: int = Query(1, ge=1, le=MAX_PAGE),
              per_page: int = Query(20, ge=1, le=MAX_PER_PAGE),
              db: Database = Depends(get_db),
              principal: Principal = Depends(require(Permission.OWN_ACCOUNT))) -> dict[str, Any]:
    """The signed-in customer's own orders, newest first."""
    user = db.users.find_one({"_id": principal.id}) if principal.kind == "user" else None
    if user is None:
        raise ApiError(404, "not_found", "only a person's account has orders")
    customer = customers.customer_for_user(db, user)
    return service.orders_of_customer(db, customer["_id"], page=page, per_page=per_page)

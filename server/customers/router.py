"""HTTP routes of the customers (thin: validation in schemas, rules in the services)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pymongo.database import Database

from app.domain.permissions import Permission
from server.common.paging import MAX_PAGE, MAX_PER_PAGE, reject_unknown_filters
from server.customers import gdpr, service
from server.customers.schemas import (AddressCreate, AddressUpdate, CustomerCreate,
                                      CustomerUpdate)
from server.orders.service import orders_of_customer
from server.security.deps import Principal, get_db, request_context, require

router = APIRouter(prefix="/customers", tags=["customers"])
READ = require(Permission.CUSTOMERS_READ)
WRITE = require(Permission.CUSTOMERS_WRITE)
GDPR = require(Permission.CUSTOMERS_GDPR)
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]


@router.get("")
def list_customers(request: Request,
                   email: Annotated[str | None, Query(max_length=254)] = None,
                   name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
                   page: Page = 1, per_page: PerPage = 50, db: Database = Depends(get_db),
                   _: Principal = Depends(READ)) -> dict[str, Any]:
    """Customers by exact email or name prefix (case-insensitive), by name."""
    reject_unknown_filters(request.query_params.keys(), ("email", "name", "page", "per_page"))
    return service.list_customers(db, email=email, name=name, page=page, per_page=per_page)


@router.post("", status_code=201)
def create_customer(body: CustomerCreate, request: Request, db: Database = Depends(get_db),
                    principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """A customer; 409 when another one has the email."""
    return service.create(db, body=body, principal=principal, **request_context(request))


@router.get("/{customer_id}")
def get_customer(customer_id: str, db: Database = Depends(get_db),
                 _: Principal = Depends(READ)) -> dict[str, Any]:
    return service.get(db, customer_id)


@router.patch("/{customer_id}")
def update_customer(customer_id: str, body: CustomerUpdate, request: Request,
                    db: Database = Depends(get_db),
                    principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Change the given fields; 409 on a stale ``version`` or a taken email."""
    return service.update(db, customer_id=customer_id, body=body, principal=principal,
                          **request_context(request))


@router.post("/{customer_id}/addresses", status_code=201)
def add_address(customer_id: str, body: AddressCreate, request: Request,
                db: Database = Depends(get_db),
                principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Add an address; returns the customer."""
    return service.add_address(db, customer_id=customer_id, body=body, principal=principal,
                               **request_context(request))


@router.patch("/{customer_id}/addresses/{address_id}")
def update_address(customer_id: str, address_id: str, body: AddressUpdate, request: Request,
                   db: Database = Depends(get_db),
                   principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return service.update_address(db, customer_id=customer_id, address_id=address_id,
                                  body=body, principal=principal, **request_context(request))


@router.delete("/{customer_id}/addresses/{address_id}")
def delete_address(customer_id: str, address_id: str, request: Request,
                   db: Database = Depends(get_db),
                   principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return service.delete_address(db, customer_id=customer_id, address_id=address_id,
                                  principal=principal, **request_context(request))


@router.get("/{customer_id}/orders")
def customer_orders(customer_id: str, page: Page = 1, per_page: PerPage = 50,
                    db: Database = Depends(get_db),
                    _: Principal = Depends(READ)) -> dict[str, Any]:
    """Purchase history, newest first."""
    service.require(db, customer_id)
    return orders_of_customer(db, customer_id, page=page, per_page=per_page)


@router.get("/{customer_id}/export")
def export_customer(customer_id: str, db: Database = Depends(get_db),
                    _: Principal = Depends(GDPR)) -> dict[str, Any]:
    """GDPR: everything held about the customer, as JSON."""
    return gdpr.export(db, customer_id)


@router.post("/{customer_id}/erase")
def erase_customer(customer_id: str, request: Request, db: Database = Depends(get_db),
                   principal: Principal = Depends(GDPR)) -> dict[str, Any]:
    """GDPR: anonymise the customer's orders and delete the rest; leaves a tombstone."""
    return gdpr.erase(db, customer_id=customer_id, principal=principal, **request_context(request))

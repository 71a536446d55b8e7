"""HTTP routes of the catalogue: ``/products``, ``/categories``, ``/tax-classes``, ``/brands``
(thin: validation in schemas, rules in the services). Reads are public and cached by ETag;
staff holding CATALOG_READ get the staff view (with cost)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pymongo.database import Database

from app.domain.permissions import Permission
from server.catalog import categories, listing, repository, service, taxes
from server.catalog.schemas import (CategoryCreate, CategoryPatch, ProductCreate, ProductPatch,
                                    ProductReplace, TaxClassCreate, TaxClassPatch)
from server.catalog.views import category_view, product_view, tax_class_view
from server.common.http_cache import cached_json
from server.common.paging import MAX_PAGE, MAX_PER_PAGE, reject_unknown_filters
from server.security.deps import Principal, get_db, public, request_context, require

router = APIRouter(tags=["catalog"])
PUBLIC = public("the online shop's catalogue is public")
WRITE = require(Permission.CATALOG_WRITE)
MAX_AGE = 30  # seconds a client may reuse a read before revalidating it by ETag
MAX_VERSION = 2**31


def _staff(principal: Principal) -> bool:
    return Permission.CATALOG_READ in principal.permissions()


def _cached(request: Request, payload: Any, principal: Principal) -> Response:
    staff = _staff(principal)
    response = cached_json(request, payload, max_age=MAX_AGE, private=staff)
    response.headers["Vary"] = "Authorization"  # the staff view must never be served to others
    return response


# --- products -------------------------------------------------------------------------------

@router.get("/products")
def list_products(request: Request, category_id: str | None = Query(None, max_length=64),
                  brand: str | None = Query(None, max_length=200),
                  tag: str | None = Query(None, max_length=50), archived: bool = False,
                  updated_since: datetime | None = None,
                  currency: str | None = Query(None, max_length=3),
                  sort: str | None = Query(None, max_length=100),
                  page: int = Query(1, ge=1, le=MAX_PAGE),
                  per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
                  db: Database = Depends(get_db), principal: Principal = Depends(PUBLIC)) -> Response:
    """Products, a page at a time; filters: category (with its subcategories), brand, tag,
    archived, updated_since; sort by name, updated_at, created_at or price (in ``currency``)."""
    reject_unknown_filters(request.query_params.keys(), listing.FILTERS)
    staff = _staff(principal)
    payload = listing.list_products(
        db, category_id=category_id, brand=brand, tag=tag, archived=archived,
        updated_since=updated_since, currency=listing.currency_param(currency), sort=sort,
        page=page, per_page=per_page, view=lambda p: product_view(p, staff=staff))
    return _cached(request, payload, principal)


@router.post("/products", status_code=201)
def create_product(body: ProductCreate, request: Request, db: Database = Depends(get_db),
                   principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """A product with its variants; 409 ``code_taken`` when a barcode or SKU is someone else's."""
    return product_view(service.create_product(db, body=body,
                                               **request_context(request, principal)))


@router.get("/products/by-code/{code:path}")
def product_by_code(code: str, request: Request, db: Database = Depends(get_db),
                    principal: Principal = Depends(PUBLIC)) -> Response:
    """The product whose barcode or SKU is ``code`` (a scan), with the variant it names."""
    product, variant_id = service.product_by_code(db, code)
    payload = {**product_view(product, staff=_staff(principal)), "variant_id": variant_id}
    return _cached(request, payload, principal)


@router.get("/products/{product_id}")
def get_product(product_id: str, request: Request, db: Database = Depends(get_db),
                principal: Principal = Depends(PUBLIC)) -> Response:
    product = service.require_product(db, product_id)
    return _cached(request, product_view(product, staff=_staff(principal)), principal)


@router.put("/products/{product_id}")
def replace_product(product_id: str, body: ProductReplace, request: Request,
                    db: Database = Depends(get_db),
                    principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """The whole product, based on ``version`` (409 with ``current_version`` if stale)."""
    return product_view(service.replace_product(db, product_id=product_id, body=body,
                                                **request_context(request, principal)))


@router.patch("/products/{product_id}")
def patch_product(product_id: str, body: ProductPatch, request: Request,
                  db: Database = Depends(get_db),
                  principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """The fields sent, based on ``version``; ``archived: false`` unarchives."""
    return product_view(service.patch_product(db, product_id=product_id, body=body,
                                              **request_context(request, principal)))


@router.delete("/products/{product_id}")
def archive_product(product_id: str, request: Request,
                    version: int | None = Query(None, ge=1, le=MAX_VERSION),
                    db: Database = Depends(get_db),
                    principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Archive (products are never deleted; their codes stay reserved); idempotent."""
    return product_view(service.archive_product(db, product_id=product_id, version=version,
                                                **request_context(request, principal)))


# --- categories -----------------------------------------------------------------------------

@router.get("/categories")
def list_categories(request: Request, format: str = Query("list", pattern="^(list|tree)$"),
                    archived: bool | None = False, db: Database = Depends(get_db),
                    principal: Principal = Depends(PUBLIC)) -> Response:
    """Every category (``archived`` false by default), flat or nested (``format=tree``)."""
    reject_unknown_filters(request.query_params.keys(), ("format", "archived"))
    payload = categories.list_categories(db, archived=archived, tree=format == "tree")
    return _cached(request, payload, principal)


@router.post("/categories", status_code=201)
def create_category(body: CategoryCreate, request: Request, db: Database = Depends(get_db),
                    principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return category_view(categories.create_category(db, body=body,
                                                    **request_context(request, principal)))


@router.get("/categories/{category_id}")
def get_category(category_id: str, request: Request, db: Database = Depends(get_db),
                 principal: Principal = Depends(PUBLIC)) -> Response:
    category = categories.require_category(db, category_id)
    return _cached(request, category_view(category), principal)


@router.patch("/categories/{category_id}")
def update_category(category_id: str, body: CategoryPatch, request: Request,
                    db: Database = Depends(get_db),
                    principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Rename, reorder, move (refusing a cycle) or (un)archive, based on ``version``."""
    return category_view(categories.update_category(db, category_id=category_id, body=body,
                                                    **request_context(request, principal)))


@router.delete("/categories/{category_id}")
def archive_category(category_id: str, request: Request, db: Database = Depends(get_db),
                     principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return category_view(categories.archive_category(db, category_id=category_id,
                                                     **request_context(request, principal)))


# --- tax classes and brands -----------------------------------------------------------------

@router.get("/tax-classes")
def list_tax_classes(request: Request, db: Database = Depends(get_db),
                     principal: Principal = Depends(PUBLIC)) -> Response:
    payload = {"items": [tax_class_view(t) for t in taxes.list_tax_classes(db)]}
    return _cached(request, payload, principal)


@router.post("/tax-classes", status_code=201)
def create_tax_class(body: TaxClassCreate, request: Request, db: Database = Depends(get_db),
                     principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return tax_class_view(taxes.create_tax_class(db, body=body,
                                                 **request_context(request, principal)))


@router.get("/tax-classes/{tax_class_id}")
def get_tax_class(tax_class_id: str, request: Request, db: Database = Depends(get_db),
                  principal: Principal = Depends(PUBLIC)) -> Response:
    return _cached(request, tax_class_view(taxes.require_tax_class(db, tax_class_id)), principal)


@router.patch("/tax-classes/{tax_class_id}")
def update_tax_class(tax_class_id: str, body: TaxClassPatch, request: Request,
                     db: Database = Depends(get_db),
                     principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    return tax_class_view(taxes.update_tax_class(db, tax_class_id=tax_class_id, body=body,
                                                 **request_context(request, principal)))


@router.delete("/tax-classes/{tax_class_id}", status_code=204)
def delete_tax_class(tax_class_id: str, request: Request,
                     version: int | None = Query(None, ge=1, le=MAX_VERSION),
                     db: Database = Depends(get_db),
                     principal: Principal = Depends(WRITE)) -> Response:
    """Delete a class no product uses (409 ``tax_class_in_use`` otherwise)."""
    taxes.delete_tax_class(db, tax_class_id=tax_class_id, version=version,
                           **request_context(request, principal))
    return Response(status_code=204)


@router.get("/brands")
def list_brands(request: Request, db: Database = Depends(get_db),
                principal: Principal = Depends(PUBLIC)) -> Response:
    """The brands of active products, with how many each has (kept up to date by each write)."""
    rows = repository.brands(db, limit=5000)
    payload = {"items": [{"name": b["_id"], "product_count": int(b["count"])} for b in rows]}
    return _cached(request, payload, principal)

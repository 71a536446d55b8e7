"""Cart routes (``/carts``): public, with ownership inside — a guest cart opens by its id while
it has no owner, a customer's cart only for that customer (404 for anyone else)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pymongo.database import Database

from server.carts import service
from server.carts.schemas import Checkout, CouponApply, ItemAdd, ItemUpdate
from server.carts.views import cart_view
from server.errors import ApiError
from server.orders import service as orders
from server.security.deps import Principal, get_db, public

router = APIRouter(prefix="/carts", tags=["carts"])
SHOPPERS = public("online shoppers, guests included; ownership is checked inside")
CartId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
LineId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


def _settings(request: Request) -> Any:
    return request.app.state.settings


@router.post("", status_code=201)
def create_cart(request: Request, db: Database = Depends(get_db),
                principal: Principal = Depends(SHOPPERS)) -> dict[str, Any]:
    """A new guest cart, or the signed-in customer's one active cart (created if needed)."""
    return cart_view(db, _settings(request), service.create(db, principal))


@router.get("/{cart_id}")
def get_cart(cart_id: CartId, request: Request, db: Database = Depends(get_db),
             principal: Principal = Depends(SHOPPERS)) -> dict[str, Any]:
    """The cart, priced now."""
    return cart_view(db, _settings(request), service.reachable(db, cart_id, principal))


@router.post("/{cart_id}/items", status_code=201)
def add_item(cart_id: CartId, body: ItemAdd, request: Request, db: Database = Depends(get_db),
             principal: Principal = Depends(SHOPPERS)) -> dict[str, Any]:
    """Add ``quantity`` pieces (or ``quantity_milli`` of a weighed item) by product or code."""
    settings = _settings(request)
    cart = service.add_item(db, settings, service.reachable(db, cart_id, principal), body)
    return cart_view(db, settings, cart)


@router.patch("/{cart_id}/items/{line}")
def update_item(cart_id: CartId, line: LineId, body: ItemUpdate, request: Request,
                db: Database = Depends(get_db),
                principal: Principal = Depends(SHOPPERS)) -> dict[str, Any]:
    """Set a line's quantity."""
    settings = _settings(request)
    cart = service.update_item(db, settings, service.reachable(db, cart_id, principal), line, body)
    return cart_view(db, settings, cart)


@router.delete("/{cart_id}/items/{line}")
def remove_item(cart_id: CartId, line: LineId, request: Request,
                db: Database = Depends(get_db),
                principal: Principal = Depends(SHOPPERS)) -> dict[str, Any]:
    settings = _settings(request)
    cart = service.remove_item(db, settings, service.reachable(db, cart_id, principal), line)
    return cart_view(db, settings, cart)


@router.post("/{cart_id}/coupon")
def set_coupon(cart_id: CartId, body: CouponApply, request: Request,
               db: Database = Depends(get_db),
               principal: Principal = Depends(SHOPPERS)) -> dict[str, Any]:
    """Apply a coupon: an unknown or unusable one is a 422 naming ``code``; one that stops
    applying later (expired, minimum spend) is shown in the cart's ``coupon.problem``."""
    settings = _settings(request)
    cart = service.reachable(db, cart_id, principal)
    service.check_coupon(db, settings, cart, body.code)
    return cart_view(db, settings, service.set_coupon(db, settings, cart, body.code))


@router.delete("/{cart_id}/coupon")
def remove_coupon(cart_id: CartId, request: Request, db: Database = Depends(get_db),
                  principal: Principal = Depends(SHOPPERS)) -> dict[str, Any]:
    settings = _settings(request)
    cart = service.remove_coupon(db, settings, service.reachable(db, cart_id, principal))
    return cart_view(db, settings, cart)


@router.post("/{cart_id}/checkout", status_code=201)
def checkout(cart_id: CartId, body: Checkout, request: Request, db: Database = Depends(get_db),
             principal: Principal = Depends(SHOPPERS)) -> dict[str, Any]:
    """Turn the cart into a ``pending`` order (stock reserved, coupon counted); a repeated
    checkout of the same cart answers the same order."""
    settings = _settings(request)
    cart = service.reachable(db, cart_id, principal)
    email = body.email
    if cart.get("user_id") is None:
        if email is None:
            raise ApiError(422, "validation_error", "email: a guest checkout needs an e-mail "
                           "address", {"field": "email"})
        email = email.strip().lower()
        cart = service.remember_email(db, settings, cart, email)
    return orders.create_online_order(
        db, settings=settings, cart=cart, principal=principal, email=email,
        shipping_address=body.shipping_address.model_dump(),
        request_id=getattr(request.state, "request_id", None))

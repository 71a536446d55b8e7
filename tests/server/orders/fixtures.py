"""Shared set-up for the cart and order tests: products through the real catalogue routes,
stock through the real inventory service, coupons through the real coupon routes, shoppers
as real accounts. Everything goes through the owning domain's code, never around it."""

from __future__ import annotations

import uuid
from typing import Any

from server.database import in_transaction
from server.inventory import service as inventory
from server.orders.store import online_store
from tests.server.test_users import PASSWORD, auth, make_user

API = "/api/v1"
ADDRESS = {"name": "Ada Shopper", "line1": "1 High Street", "city": "Leeds",
           "postcode": "LS1 1AA", "country": "GB"}


def store_of(client) -> dict[str, Any]:
    """The online store (the default S01, EUR, prices include tax, on a fresh database)."""
    return online_store(client.app.state.mongo.db, client.app.state.settings)


def staff(client, role: str = "owner") -> dict[str, str]:
    return auth(client, make_user(client, role))


def shopper(client, *, email: str | None = None) -> tuple[dict, dict[str, str]]:
    """A verified customer account and its bearer header."""
    user = make_user(client, "customer", email=email)
    return user, auth(client, user)


def tax_class(client, owner: dict[str, str], ppm: int = 200_000) -> str:
    response = client.post(f"{API}/tax-classes", headers=owner, json={
        "name": f"VAT {ppm} {uuid.uuid4().hex[:4]}", "rates": [{"name": "VAT", "rate_ppm": ppm}]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def product(client, owner: dict[str, str], *, price: int = 1000, stock: int | None = 10,
            tax_class_id: str | None = None, sold_by_weight: bool = False,
            barcode: str | None = None, variants: int = 1) -> dict[str, Any]:
    """A product on sale at ``price`` EUR minor units with ``stock`` pieces (milli×1000) in
    the online store; returns its API view plus ``variant_id`` (the first variant)."""
    store_of(client)
    tag = uuid.uuid4().hex[:8]
    body = {"name": f"Thing {tag}", "prices": {"EUR": price}, "cost": {"EUR": price // 2},
            "tax_class_id": tax_class_id, "sold_by_weight": sold_by_weight,
            "variants": [{"sku": f"SKU-{tag}-{i}", "name": f"v{i}" if variants > 1 else "",
                          "barcodes": [barcode] if barcode and i == 0 else []}
                         for i in range(variants)]}
    response = client.post(f"{API}/products", headers=owner, json=body)
    assert response.status_code == 201, response.text
    view = response.json()
    view["variant_id"] = view["variants"][0]["id"]
    if stock:
        restock(client, view, stock * 1000)
    return view


def restock(client, view: dict[str, Any], quantity_milli: int, variant: int = 0) -> None:
    db = client.app.state.mongo.db
    store_id = store_of(client)["_id"]
    in_transaction(db, lambda s: inventory.record_movement(
        db, session=s, store_id=store_id, product_id=view["id"],
        variant_id=view["variants"][variant]["id"], kind="receipt",
        quantity_milli=quantity_milli, actor="test"))


def level(client, variant_id: str) -> dict[str, Any]:
    db = client.app.state.mongo.db
    return inventory.levels_for(db, store_id=store_of(client)["_id"],
                                variant_ids=[variant_id])[variant_id]


def coupon(client, owner: dict[str, str], **fields) -> dict[str, Any]:
    body = {"code": f"C{uuid.uuid4().hex[:8].upper()}", "kind": "percent", "value": "10",
            **fields}
    response = client.post(f"{API}/coupons", headers=owner, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def new_cart(client, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post(f"{API}/carts", headers=headers or {})
    assert response.status_code == 201, response.text
    return response.json()


def add(client, cart_id: str, view: dict[str, Any], quantity: int = 1,
        headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post(f"{API}/carts/{cart_id}/items", headers=headers or {},
                           json={"product_id": view["id"], "quantity": quantity})
    assert response.status_code == 201, response.text
    return response.json()


def checkout(client, cart_id: str, headers: dict[str, str] | None = None,
             email: str | None = "guest@example.com"):
    body: dict[str, Any] = {"shipping_address": ADDRESS}
    if email is not None and not headers:
        body["email"] = email
    return client.post(f"{API}/carts/{cart_id}/checkout", headers=headers or {}, json=body)


def pay(client, order: dict[str, Any], headers: dict[str, str], amount: int | None = None):
    response = client.post(f"{API}/orders/{order['id']}/payments", headers=headers, json={
        "method": "card", "amount": amount if amount is not None else order["total"],
        "provider_ref": f"pi_{uuid.uuid4().hex[:10]}"})
    assert response.status_code == 201, response.text
    return response.json()


def move(client, order: dict[str, Any], status: str, headers: dict[str, str], **extra):
    return client.post(f"{API}/orders/{order['id']}/status", headers=headers, json={
        "status": status, "reason": f"test: {status}", "version": order["version"], **extra})


__all__ = ["PASSWORD"]

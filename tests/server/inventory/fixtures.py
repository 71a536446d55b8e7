"""Helpers for the inventory tests (no tests of their own): stores and products through their
real services, staff with tokens, and the stock routes called the short way."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.database import Database

from server.catalog.schemas import ProductCreate, VariantIn
from server.catalog.service import create_product
from server.devices.schemas import StoreCreate
from server.devices.stores import create_store
from tests.server.test_users import auth, make_user

API = "/api/v1"


def new_store(db: Database, code: str | None = None, currency: str = "EUR") -> dict[str, Any]:
    code = code or f"S{uuid.uuid4().int % 90 + 10}"
    while db.stores.find_one({"code": code}):
        code = f"S{uuid.uuid4().int % 900 + 100}"
    return create_store(db, body=StoreCreate(code=code, name=f"Store {code}", currency=currency),
                        actor="test", ip=None, request_id=None)


def new_product(db: Database, *, name: str = "T-shirt", variants: int = 1,
                threshold: int | None = None, sold_by_weight: bool = False) -> dict[str, Any]:
    """A product made by the real catalogue service; returns its stored document."""
    body = ProductCreate(
        name=name, prices={"EUR": 1299}, cost={"EUR": 500}, sold_by_weight=sold_by_weight,
        low_stock_threshold_milli=threshold,
        variants=[VariantIn(sku=f"SKU-{uuid.uuid4().hex[:10]}",
                            name=f"V{n}" if variants > 1 else "") for n in range(variants)])
    return create_product(db, body=body, actor="test")


def variant_of(product: dict[str, Any], n: int = 0) -> str:
    return product["variants"][n]["id"]


def headers_for(client, role: str, **fields: Any) -> dict[str, str]:
    return auth(client, make_user(client, role, **fields))


def level(client, headers, store_id: str, variant_id: str) -> dict[str, Any] | None:
    response = client.get(f"{API}/inventory/levels", params={"store_id": store_id,
                                                              "variant_id": variant_id},
                          headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return items[0] if items else None


def adjust(client, headers, store_id: str, variant_id: str, quantity: int,
           reason: str = "correction", **extra: Any):
    return client.post(f"{API}/inventory/movements", headers=headers,
                       json={"kind": "adjustment", "store_id": store_id,
                             "variant_id": variant_id, "quantity_milli": quantity,
                             "reason": reason, **extra})


def receive(client, headers, store_id: str, variant_id: str, quantity: int, **extra: Any):
    return client.post(f"{API}/inventory/movements", headers=headers,
                       json={"kind": "receipt", "store_id": store_id, "variant_id": variant_id,
                             "quantity_milli": quantity, **extra})

"""Helpers for the inventory tests (no tests of their own): stores through their service,
products written in the catalogue's documented stored shape with pymongo (the catalogue
service is built in parallel; ``server.catalog.lookup`` reads exactly this shape), staff."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.database import Database

from server.common.versioning import now_ms
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
    """A product in the stored shape of ``server.catalog`` (``products`` and ``codes``)."""
    now = now_ms()
    product_id = str(uuid.uuid4())
    variant_docs = [{"id": str(uuid.uuid4()), "sku": f"SKU-{uuid.uuid4().hex[:8]}",
                     "name": f"V{n}" if variants > 1 else "", "attributes": {},
                     "barcodes": [], "prices": None, "cost": None, "archived": False}
                    for n in range(variants)]
    product = {"_id": product_id, "name": name, "description": "", "brand": "",
               "category_id": None, "tags": [], "tax_class_id": None, "prices": {"EUR": 1299},
               "cost": {"EUR": 500}, "sold_by_weight": sold_by_weight,
               "low_stock_threshold_milli": threshold, "variants": variant_docs, "images": [],
               "archived": False, "version": 1, "created_at": now, "updated_at": now}
    db.products.insert_one(product)
    db.codes.insert_many([{"_id": v["sku"], "kind": "sku", "product_id": product_id,
                           "variant_id": v["id"]} for v in variant_docs])
    return product


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

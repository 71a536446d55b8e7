"""Shared helpers of the catalogue tests: staff callers and small valid bodies."""

from __future__ import annotations

import itertools
import uuid

from app.domain.barcodes import in_store_ean13
from tests.server.test_users import API, as_role

_numbers = itertools.count(int(uuid.uuid4().int % 10**8))


def ean() -> str:
    """A fresh, valid in-store EAN-13."""
    return in_store_ean13(next(_numbers) % 10**9)


def writer(client) -> dict[str, str]:
    """Headers of a manager (CATALOG_WRITE and CATALOG_READ)."""
    return as_role(client, "manager")[1]


def product_body(**overrides) -> dict:
    body = {"name": "Crew T-shirt", "description": "Soft cotton", "brand": "Fjord",
            "tags": ["clothing"], "prices": {"EUR": 1999}, "cost": {"EUR": 800},
            "variants": [{"sku": f"SKU-{uuid.uuid4().hex[:10]}", "name": "M / Navy",
                          "attributes": {"size": "M", "colour": "Navy"}, "barcodes": [ean()]}]}
    return body | overrides


def create(client, headers, **overrides) -> dict:
    response = client.post(f"{API}/products", json=product_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()

"""Who may touch stock, and bad input: 401/403 before anything is read, 422/404 naming the
field, and nothing written."""

from __future__ import annotations

import uuid

import pytest

from tests.server.inventory.fixtures import (API, adjust, headers_for, new_product, new_store,
                                             receive, variant_of)


@pytest.fixture
def shop(client):
    db = client.app.state.mongo.db
    store_id = new_store(db)["id"]
    product = new_product(db)
    return db, store_id, variant_of(product)


def test_a_stock_clerk_writes_a_cashier_reads_and_support_sees_nothing(client, shop):
    db, store_id, variant_id = shop
    clerk, cashier, support = (headers_for(client, r) for r in
                               ("stock_clerk", "cashier", "support"))
    assert receive(client, clerk, store_id, variant_id, 1_000).status_code == 201
    assert receive(client, cashier, store_id, variant_id, 1_000).status_code == 403
    assert client.get(f"{API}/inventory/levels", headers=cashier).status_code == 200
    assert client.get(f"{API}/inventory/movements", headers=cashier).status_code == 200
    assert client.get(f"{API}/inventory/levels", headers=support).status_code == 403
    assert client.post(f"{API}/inventory/transfers", headers=cashier, json={}).status_code == 403
    assert client.get(f"{API}/inventory/levels").status_code == 401
    assert db.stock_movements.count_documents({}) == 1


def _field(response) -> str:
    body = response.json()["error"]
    details = body["details"]
    return details[0]["field"] if isinstance(details, list) else details["field"]


@pytest.mark.parametrize("quantity, field", [
    (0, "adjustment.quantity_milli"), (1.5, "adjustment.quantity_milli"),
    ("1000", "adjustment.quantity_milli"), (10**12, "adjustment.quantity_milli"),
    (True, "adjustment.quantity_milli"), (1_500, "quantity_milli")])
def test_a_nonsense_quantity_is_refused_naming_the_field(client, shop, quantity, field):
    db, store_id, variant_id = shop
    r = adjust(client, headers_for(client, "stock_clerk"), store_id, variant_id, quantity)
    assert r.status_code == 422, r.text
    assert _field(r) == field
    assert db.stock_movements.count_documents({}) == 0


def test_fractions_are_fine_for_goods_sold_by_weight(client, shop):
    db, store_id, _ = shop
    cheese = variant_of(new_product(db, name="Comté", sold_by_weight=True))
    r = receive(client, headers_for(client, "stock_clerk"), store_id, cheese, 1_250)
    assert r.status_code == 201 and r.json()["quantity_milli"] == 1_250


def test_unknown_things_are_refused_naming_the_field(client, shop):
    db, store_id, variant_id = shop
    clerk = headers_for(client, "stock_clerk")
    r = adjust(client, clerk, str(uuid.uuid4()), variant_id, 1_000)
    assert r.status_code == 404 and _field(r) == "store_id"
    r = adjust(client, clerk, store_id, str(uuid.uuid4()), 1_000)
    assert r.status_code == 404 and _field(r) == "variant_id"
    r = adjust(client, clerk, store_id, variant_id, 1_000, reason="gift")
    assert r.status_code == 422 and _field(r) == "adjustment.reason"
    r = client.post(f"{API}/inventory/movements", headers=clerk,
                    json={"kind": "sale", "store_id": store_id, "variant_id": variant_id,
                          "quantity_milli": -1_000})
    assert r.status_code == 422 and _field(r) == "kind"
    r = client.post(f"{API}/inventory/movements", headers=clerk,
                    json={"kind": "count", "store_id": store_id, "variant_id": variant_id,
                          "counted_milli": -1})
    assert r.status_code == 422 and _field(r) == "count.counted_milli"
    r = adjust(client, clerk, store_id, variant_id, 1_000, movement_id="not-a-uuid")
    assert r.status_code == 422 and _field(r) == "adjustment.movement_id"
    r = adjust(client, clerk, store_id, variant_id, 1_000, colour="red")
    assert r.status_code == 422 and _field(r) == "adjustment.colour"
    assert db.stock_movements.count_documents({}) == 0


def test_unknown_filters_and_sorts_are_refused(client, shop):
    _, store_id, _ = shop
    clerk = headers_for(client, "stock_clerk")
    r = client.get(f"{API}/inventory/levels", headers=clerk, params={"colour": "red"})
    assert r.status_code == 422 and _field(r) == "colour"
    r = client.get(f"{API}/inventory/levels", headers=clerk, params={"sort": "$where"})
    assert r.status_code == 422 and _field(r) == "sort"
    r = client.get(f"{API}/inventory/movements", headers=clerk, params={"kind": "gift"})
    assert r.status_code == 422 and _field(r) == "query.kind"
    r = client.get(f"{API}/inventory/movements", headers=clerk,
                   params={"store_id[$ne]": "x"})
    assert r.status_code == 422
    r = client.get(f"{API}/inventory/levels", headers=clerk, params={"store_id": "nope"})
    assert r.status_code == 404 and _field(r) == "store_id"
    r = client.get(f"{API}/inventory/movements", headers=clerk,
                   params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
    assert r.status_code == 422 and _field(r) == "to"
    r = client.get(f"{API}/inventory/movements", headers=clerk,
                   params={"from": "0001-01-01T00:00:00+05:00"})
    assert r.status_code == 422 and _field(r) == "from"


def test_a_bad_transfer_is_refused_naming_the_field(client, shop):
    db, store_id, variant_id = shop
    clerk = headers_for(client, "stock_clerk")
    line = {"variant_id": variant_id, "quantity_milli": 1_000}
    r = client.post(f"{API}/inventory/transfers", headers=clerk,
                    json={"from_store_id": store_id, "to_store_id": store_id, "lines": [line]})
    assert r.status_code == 422 and _field(r) == "to_store_id"
    r = client.post(f"{API}/inventory/transfers", headers=clerk,
                    json={"from_store_id": store_id, "to_store_id": "nope", "lines": [line]})
    assert r.status_code == 404 and _field(r) == "to_store_id"
    other = new_store(db)["id"]
    r = client.post(f"{API}/inventory/transfers", headers=clerk,
                    json={"from_store_id": store_id, "to_store_id": other, "lines": []})
    assert r.status_code == 422 and _field(r) == "lines"
    r = client.post(f"{API}/inventory/transfers", headers=clerk,
                    json={"from_store_id": store_id, "to_store_id": other,
                          "lines": [line, line]})
    assert r.status_code == 422 and _field(r) == "lines.1.variant_id"
    r = client.post(f"{API}/inventory/transfers", headers=clerk,
                    json={"from_store_id": store_id, "to_store_id": other,
                          "lines": [{**line, "quantity_milli": 0}]})
    assert r.status_code == 422 and _field(r) == "lines.0.quantity_milli"
    assert db.stock_movements.count_documents({}) == 0

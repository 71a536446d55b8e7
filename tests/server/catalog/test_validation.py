"""Bad input to the catalogue is refused with 422 naming the field and writes nothing; a
barcode is unique across the catalogue even under two concurrent creates; a write that fails
inside its transaction leaves no change-log entry behind."""

from __future__ import annotations

import threading

import pytest

from server.catalog import service
from server.catalog.schemas import ProductCreate
from server.changes import log as change_log
from server.errors import ApiError
from tests.server.catalog.helpers import create, ean, product_body, writer
from tests.server.test_users import API

VARIANT = {"sku": "V-1"}


@pytest.mark.parametrize("override, field", [
    ({"prices": {"EUR": -1}}, "prices.EUR"),
    ({"prices": {"EUR": 12.5}}, "prices.EUR"),
    ({"prices": {"EUR": "12"}}, "prices.EUR"),
    ({"prices": {"EUR": 10**15}}, "prices.EUR"),
    ({"prices": {"EURO": 100}}, "prices.EURO"),
    ({"cost": {"E1R": 100}}, "cost.E1R"),
    ({"variants": [{"sku": "V-1", "barcodes": ["4006381333932"]}]}, "variants.0.barcodes.0"),
    ({"variants": [{"sku": "   "}]}, "variants.0.sku"),
    ({"variants": [{"sku": "x" * 65}]}, "variants.0.sku"),
    ({"variants": []}, "variants"),
    ({"name": ""}, "name"),
    ({"low_stock_threshold_milli": -5}, "low_stock_threshold_milli"),
    ({"sold_by_weight": "yes"}, "sold_by_weight"),
    ({"colour": "red"}, "colour"),
    ({"category_id": "no-such-category"}, "category_id"),
    ({"tax_class_id": "no-such-class"}, "tax_class_id"),
    ({"variants": [{"sku": "DUP"}, {"sku": "DUP"}]}, "variants.1.sku"),
    ({"variants": [{"sku": "A-1", "attributes": {"a\u0000b": "x"}}]}, "variants.0.attributes"),
    ({"variants": [{"sku": "A-1", "attributes": {"$where": "x"}}]}, "variants.0.attributes"),
])
def test_bad_product_bodies_are_422_naming_the_field(client, override, field):
    staff = writer(client)
    db = client.app.state.mongo.db
    before = change_log.state(db, change_log.CATALOG_FEED).seq
    response = client.post(f"{API}/products", json=product_body(**override), headers=staff)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    fields = [d["field"] for d in error["details"]] if isinstance(error["details"], list) \
        else [error["details"]["field"]]
    assert any(f.startswith(field) for f in fields), (fields, field)
    assert db.products.count_documents({}) == 0 and db.codes.count_documents({}) == 0
    assert change_log.state(db, change_log.CATALOG_FEED).seq == before


@pytest.mark.parametrize("query, field", [
    ("colour=red", "colour"), ("sort=cost", "sort"), ("sort=-password_hash", "sort"),
    ("per_page=100000", "per_page"), ("page=0", "page"), ("page=99999999", "page"),
    ("currency=EURO", "currency"), ("brand[$ne]=x", "brand[$ne]"),
])
def test_unknown_filters_sorts_and_huge_pages_are_422(client, query, field):
    response = client.get(f"{API}/products?{query}")
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    fields = [d["field"] for d in details] if isinstance(details, list) else [details["field"]]
    assert any(field in f for f in fields), (fields, field)


def test_a_version_is_required_and_must_be_a_whole_number(client):
    staff = writer(client)
    made = create(client, staff)
    for body in ({"name": "x"}, {"version": "1", "name": "x"}, {"version": 1.0, "name": "x"}):
        response = client.patch(f"{API}/products/{made['id']}", json=body, headers=staff)
        assert response.status_code == 422 and "version" in response.text


def test_a_taken_barcode_or_sku_is_409_naming_field_and_holder(client):
    staff = writer(client)
    code = ean()
    holder = create(client, staff, variants=[{"sku": "HOLD-1", "barcodes": [code]}])
    taken = client.post(f"{API}/products", headers=staff,
                        json=product_body(variants=[{"sku": "NEW-1", "barcodes": [code]}]))
    assert taken.status_code == 409
    error = taken.json()["error"]
    assert error["code"] == "code_taken" and error["details"]["field"] == "barcodes"
    assert error["details"]["product_id"] == holder["id"]
    sku = client.post(f"{API}/products", headers=staff,
                      json=product_body(variants=[{"sku": " HOLD-1 "}]))
    assert sku.status_code == 409 and sku.json()["error"]["details"]["field"] == "sku"


def test_two_concurrent_creates_with_the_same_barcode_exactly_one_wins(client):
    staff = writer(client)
    code = ean()
    results: list[int] = []
    start = threading.Barrier(2)

    def attempt(n: int) -> None:
        start.wait()
        body = product_body(variants=[{"sku": f"RACE-{n}", "barcodes": [code]}])
        results.append(client.post(f"{API}/products", json=body, headers=staff).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    db = client.app.state.mongo.db
    assert db.products.count_documents({"variants.barcodes": code}) == 1
    entry = db.codes.find_one({"_id": code})
    assert db.products.find_one({"_id": entry["product_id"]}) is not None


def test_a_write_that_fails_in_its_transaction_leaves_no_feed_entry(client):
    """The code is reserved by a ``codes`` entry written directly (as another writer would
    have, between the service's friendly check and its commit): the insert into ``codes``
    fails inside the transaction, and the product and its feed entry are rolled back too."""
    db = client.app.state.mongo.db
    code = ean()
    body = ProductCreate.model_validate(product_body(variants=[{"sku": "TX-1", "barcodes": [code]}]))
    before = change_log.state(db, change_log.CATALOG_FEED).seq
    original = service._taken
    calls = []

    def late_check(*args, **kwargs):  # skip the early check only: reach the transaction
        calls.append(1)
        return None if len(calls) == 1 else original(*args, **kwargs)

    service._taken = late_check
    try:
        db.codes.insert_one({"_id": code, "kind": "barcode", "product_id": "elsewhere",
                             "variant_id": "v"})
        with pytest.raises(ApiError) as refused:
            service.create_product(db, body=body, actor="test")
        assert refused.value.status == 409 and refused.value.details["product_id"] == "elsewhere"
    finally:
        service._taken = original
    assert db.products.count_documents({"name": body.name}) == 0
    assert db.codes.find_one({"_id": "TX-1"}) is None
    assert change_log.state(db, change_log.CATALOG_FEED).seq == before
    assert db.change_log.count_documents({}) == 0

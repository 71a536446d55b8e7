"""Products bought together: orders fed through ``record_order`` in real transactions (order
documents in the documented stored shape, written by the test), products in the catalogue's
stored shape, and ``GET /api/v1/products/{id}/recommendations`` over the real database."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from server.database import in_transaction
from server.recommendations import service

API = "/api/v1/products"
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def put_product(db, name: str, *, archived: bool = False) -> str:
    product_id = str(uuid.uuid4())
    db.products.insert_one({
        "_id": product_id, "name": name, "description": "", "brand": "Acme",
        "category_id": None, "tags": ["kitchen"], "tax_class_id": None,
        "prices": {"EUR": 1299}, "cost": {"EUR": 700}, "sold_by_weight": False,
        "low_stock_threshold_milli": None,
        "variants": [{"id": str(uuid.uuid4()), "sku": f"SKU-{product_id[:8]}", "name": "",
                      "attributes": {}, "barcodes": [], "prices": None, "cost": {"EUR": 650},
                      "archived": False}],
        "images": [], "archived": archived, "version": 1, "created_at": NOW, "updated_at": NOW})
    return product_id


def buy(db, *product_ids: str) -> None:
    order = {"_id": str(uuid.uuid4()), "lines": [
        {"index": i, "product_id": p, "variant_id": p + "-v", "quantity_milli": 1000}
        for i, p in enumerate(product_ids)]}
    in_transaction(db, lambda s: service.record_order(db, session=s, order=order))


def test_pairs_are_counted_both_ways_once_per_order(client):
    db = client.app.state.mongo.db
    a, b, c = "pa", "pb", "pc"
    buy(db, a, b, b, c)  # b twice in one order still counts one pair
    buy(db, a, b)
    counts = {d["_id"]: d["count"] for d in db.co_purchases.find()}
    assert counts == {"pa|pb": 2, "pb|pa": 2, "pa|pc": 1, "pc|pa": 1, "pb|pc": 1, "pc|pb": 1}
    assert db.co_purchases.find_one({"_id": "pa|pb"})["a"] == "pa"
    buy(db, a)  # a single product makes no pair
    assert db.co_purchases.count_documents({}) == 6


def test_a_huge_basket_counts_only_its_first_products(client):
    db = client.app.state.mongo.db
    products = [f"p{i:03d}" for i in range(service.MAX_PRODUCTS + 15)]
    buy(db, *products)
    n = service.MAX_PRODUCTS
    assert db.co_purchases.count_documents({}) == n * (n - 1)
    assert db.co_purchases.find_one({"a": products[n]}) is None


def test_recommendations_rank_active_products_with_public_summaries(client):
    db = client.app.state.mongo.db
    mug, tea, spoon, kettle, gone = (put_product(db, n) for n in ("Mug", "Tea", "Spoon",
                                                                   "Kettle", "Old"))
    db.products.update_one({"_id": gone}, {"$set": {"archived": True}})
    for _ in range(3):
        buy(db, mug, tea)
    for _ in range(4):
        buy(db, mug, gone)
    buy(db, mug, spoon)
    buy(db, mug, spoon, kettle)
    response = client.get(f"{API}/{mug}/recommendations")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["product"]["name"], i["count"]) for i in items] == \
        [("Tea", 3), ("Spoon", 2), ("Kettle", 1)]
    assert "cost" not in str(items) and items[0]["product"]["prices"] == {"EUR": 1299}
    limited = client.get(f"{API}/{mug}/recommendations", params={"limit": 1}).json()
    assert [i["product"]["id"] for i in limited["items"]] == [tea]
    assert client.get(f"{API}/{kettle}/recommendations").json()["items"][0]["count"] == 1


def test_answers_are_cached_by_etag(client):
    db = client.app.state.mongo.db
    a, b = put_product(db, "A"), put_product(db, "B")
    buy(db, a, b)
    first = client.get(f"{API}/{a}/recommendations")
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    tag = first.headers["ETag"]
    again = client.get(f"{API}/{a}/recommendations", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    buy(db, a, b)  # the answer changed, so the old copy is no longer current
    changed = client.get(f"{API}/{a}/recommendations", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["items"][0]["count"] == 2


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 51}, {"limit": "many"}])
def test_unknown_products_and_bad_limits_are_refused(client, params):
    db = client.app.state.mongo.db
    assert client.get(f"{API}/{uuid.uuid4()}/recommendations").status_code == 404
    archived = put_product(db, "Gone", archived=True)
    assert client.get(f"{API}/{archived}/recommendations").status_code == 404
    live = put_product(db, "Live")
    refused = client.get(f"{API}/{live}/recommendations", params=params)
    assert refused.status_code == 422 and "limit" in refused.text

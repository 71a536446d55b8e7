"""Till sales arriving by sync, through ``record_till_order`` on the real database: stored as
they are (never rejected), problems as flags, idempotent per order id, on the store's feed and
the rollups."""

from __future__ import annotations

import uuid

from server.database import in_transaction
from server.orders.service import record_till_order
from tests.server.orders.fixtures import API, coupon, staff, store_of


def _sale(store, **overrides):
    order_id = str(uuid.uuid4())
    sale = {"id": order_id, "number": f"{store['code']}-R01-000042", "store_id": store["_id"],
            "register_id": "r1", "cashier_id": "u1", "currency": "EUR",
            "prices_include_tax": True, "created_at": "2026-11-30T10:00:00+00:00",
            "lines": [{"product_id": "p1", "variant_id": "v1", "sku": "S1", "name": "Tea",
                       "quantity_milli": 2000, "unit_price": 250, "gross": 500, "discount": 0,
                       "tax": 83, "total": 500}],
            "subtotal": 500, "discount_total": 0, "tax_total": 83, "total": 500,
            "payments": [{"id": "pay1", "method": "cash", "amount": 500}]}
    return {**sale, **overrides}


def test_a_till_sale_is_recorded_once_and_flags_what_does_not_add_up(client, mongo):
    db = mongo.db
    store = store_of(client)
    sale = _sale(store)
    assert in_transaction(db, lambda s: record_till_order(db, session=s, order=sale)) == "applied"
    assert in_transaction(db, lambda s: record_till_order(db, session=s, order=sale)) == "duplicate"
    stored = db.orders.find_one({"_id": sale["id"]})
    assert stored["status"] == "delivered" and stored["channel"] == "till"
    assert stored["flags"] == [] and stored["paid_total"] == 500
    assert stored["created_at"].isoformat().startswith("2026-11-30T10:00:00")
    assert db.change_log.count_documents({"entity_id": sale["id"]}) == 1
    assert db.sales_rollups.count_documents({"store_id": store["_id"]}) > 0
    odd = _sale(store, total=450, payments=[{"method": "cash", "amount": 400}],
                lines=[{"name": "Mystery", "quantity_milli": "2", "total": 500}],
                created_at="yesterday")
    assert in_transaction(db, lambda s: record_till_order(db, session=s, order=odd)) == "applied"
    flags = db.orders.find_one({"_id": odd["id"]})["flags"]
    assert "total differs from the sum of the lines" in flags
    assert "paid less than the total" in flags
    assert any(f.startswith("lines[0].quantity_milli") for f in flags)
    assert any(f.startswith("lines[0]: no variant") for f in flags)
    assert any(f.startswith("created_at") for f in flags)
    listed = client.get(f"{API}/orders?channel=till", headers=staff(client, "manager")).json()
    assert {o["id"] for o in listed["items"]} == {sale["id"], odd["id"]}


def test_a_till_sale_counts_its_coupon_and_flags_a_limit_it_broke_offline(client, mongo):
    db = mongo.db
    store = store_of(client)
    owner = staff(client, "owner")
    coupon(client, owner, code="ONCE", kind="amount", value=100, currency="EUR", usage_limit=1)
    first, second = _sale(store, coupon_code="once"), _sale(store, coupon_code="ONCE")
    unknown = _sale(store, coupon_code="NOSUCH")
    for sale in (first, second, second, unknown):  # the repeat of the second is a duplicate
        in_transaction(db, lambda s, sale=sale: record_till_order(db, session=s, order=sale))
    flags = {o["_id"]: o["flags"] for o in db.orders.find({})}
    assert flags[first["id"]] == []
    assert flags[second["id"]] == ["coupon_over_limit"]  # the sale stands, the problem is kept
    assert flags[unknown["id"]] == ["coupon_unknown"]
    assert db.coupons.find_one({"code": "ONCE"})["used"] == 2
    assert db.coupon_redemptions.count_documents({}) == 2

"""``POST /sync/push`` with till sales and refunds, in-process over the real database: a sale is
stored as the till made it with the catalogue's product facts, its stock posted once however
often it arrives, overselling allowed and flagged, refunds append-only (also before their
order), and nothing of a foreign store or unknown kind gets in."""

from __future__ import annotations

import uuid

from tests.server.sync.test_push_helpers import (mutation, new_store, on_hand, pair, push,
                                                 pushed, stocked_product, till_order,
                                                 till_refund, variant_of)


def _state(db) -> dict[str, object]:
    """Everything a push writes, to compare before and after a replay."""
    return {name: sorted(map(repr, db[name].find({}, {"at": 0, "updated_at": 0,
                                                       "received_at": 0})))
            for name in ("orders", "refunds", "stock_movements", "stock_levels", "change_log",
                         "sales_rollups", "co_purchases", "sync_mutations")}


def test_a_till_sale_is_stored_with_catalogue_facts_and_its_stock_moves_once(client, mongo):
    db = mongo.db
    till = pair(db)
    tea, cups = (stocked_product(db, till.store_id, name=n) for n in ("Tea", "Cups"))
    sale = till_order(till, [(tea, 2), (cups, 1)], staff_id="staff-7")
    sale["lines"][0].update(line_discount=100, order_discount=20, coupon_discount=5)
    batch = [mutation(till, "order.created", sale)]
    assert pushed(client, till, batch) == [{"id": batch[0]["id"], "status": "applied"}]
    order = db.orders.find_one({"_id": sale["id"]})
    assert order["flags"] == [] and order["channel"] == "till" and order["total"] == sale["total"]
    assert order["cashier_id"] == "staff-7" and order["register_id"] == till.register_id
    assert [ln["product_id"] for ln in order["lines"]] == [tea["_id"], cups["_id"]]
    assert order["lines"][0]["discount"] == 125 and order["lines"][0]["brand"] == tea["brand"]
    assert order["payments"][0]["provider_ref"] == "pi_test_1"
    assert on_hand(db, till.store_id, variant_of(tea)) == 8_000
    moved = db.stock_movements.find_one({"_id": sale["stock_movements"][0]["id"]})
    assert moved["kind"] == "sale" and moved["reference"] == {"type": "order", "id": sale["id"]}
    before = _state(db)
    again = pushed(client, till, batch)
    assert again == [{"id": batch[0]["id"], "status": "duplicate", "original_status": "applied"}]
    assert _state(db) == before
    # the same sale under another mutation id (an outbox rebuilt after a crash): once
    assert pushed(client, till, [mutation(till, "order.created", sale)])[0]["status"] == "applied"
    del before["sync_mutations"]
    after = _state(db)
    del after["sync_mutations"]
    assert after == before
    assert db.sync_devices.find_one({"_id": till.device_id})["last_seq"] == 2


def test_two_tills_oversell_offline_and_the_level_is_exactly_start_minus_sales(client, mongo):
    db = mongo.db
    store = new_store(db)
    first, second = pair(db, store, "R01"), pair(db, store, "R02")
    scarf = stocked_product(db, store["id"], 5_000, name="Scarf")
    for till, pieces in ((first, [3, 1]), (second, [2, 2])):  # 8 sold of 5
        results = pushed(client, till, [mutation(till, "order.created",
                                                 till_order(till, [(scarf, n)]))
                                        for n in pieces])
        assert {r["status"] for r in results} == {"applied"}
    assert on_hand(db, store["id"], variant_of(scarf)) == 5_000 - 8_000
    flagged = [o for o in db.orders.find({"store_id": store["id"]}) if o["flags"]]
    sku = scarf["variants"][0]["sku"]
    assert len(flagged) == 2  # the orders that took it below zero: the 2nd till's two
    assert all(f.startswith(f"oversold {sku}") for o in flagged for f in o["flags"])


def test_an_unknown_variant_is_flagged_and_its_movement_skipped(client, mongo):
    db = mongo.db
    till = pair(db)
    tea = stocked_product(db, till.store_id, name="Tea")
    sale = till_order(till, [(tea, 1)])
    ghost = str(uuid.uuid4())
    sale["lines"][0]["variant_id"] = ghost
    sale["stock_movements"][0]["variant_id"] = ghost
    assert pushed(client, till, [mutation(till, "order.created", sale)])[0]["status"] == "applied"
    order = db.orders.find_one({"_id": sale["id"]})
    assert any(f.startswith(f"lines[0]: unknown variant {ghost}") for f in order["flags"])
    assert any("not posted" in f for f in order["flags"])
    assert db.stock_movements.count_documents({"variant_id": ghost}) == 0


def test_foreign_stores_and_unknown_kinds_are_rejected_and_the_batch_goes_on(client, mongo):
    db = mongo.db
    till = pair(db)
    other = new_store(db)
    tea = stocked_product(db, till.store_id, name="Tea")
    foreign = till_order(till, [(tea, 1)])
    foreign["store_id"] = other["id"]
    good = till_order(till, [(tea, 1)])
    batch = [mutation(till, "order.created", foreign), mutation(till, "gift.wrapped", {}),
             mutation(till, "order.created", good)]
    results = pushed(client, till, batch)
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert "is not this device's store" in results[0]["reason"]
    assert results[1]["reason"].startswith("kind: 'gift.wrapped' is not a mutation kind")
    assert db.orders.count_documents({}) == 1
    assert pushed(client, till, batch[:2])[0] == {
        "id": batch[0]["id"], "status": "duplicate", "original_status": "rejected",
        "reason": results[0]["reason"]}


def test_a_refund_moves_its_order_and_returns_the_stock(client, mongo):
    db = mongo.db
    till = pair(db)
    tea, cups = (stocked_product(db, till.store_id, name=n) for n in ("Tea", "Cups"))
    sale = till_order(till, [(tea, 2), (cups, 1)])
    back = till_refund(sale, [(0, 1)])
    results = pushed(client, till, [mutation(till, "order.created", sale),
                                    mutation(till, "refund.created", back)])
    assert [r["status"] for r in results] == ["applied", "applied"]
    order = db.orders.find_one({"_id": sale["id"]})
    assert order["refunded_total"] == back["refund"]["amount"] and order["version"] == 2
    assert order["lines"][0]["refunded_quantity_milli"] == 1000
    assert order["payments"][0]["refunded"] == back["refund"]["amount"]
    refund = db.refunds.find_one({"_id": back["refund"]["id"]})
    assert refund["flags"] == [] and refund["lines"][0]["index"] == 0
    assert refund["tenders"][0]["method"] == "card"
    assert on_hand(db, till.store_id, variant_of(tea)) == 10_000 - 2_000 + 1_000
    rollup = db.sales_rollups.find_one({"dimension": "total", "store_id": till.store_id,
                                        "day": "2026-03-03"})
    assert rollup["refunded_amount"] == back["refund"]["amount"]
    rest = till_refund(sale, [(0, 1), (1, 1)])
    assert pushed(client, till, [mutation(till, "refund.created", rest)])[0]["status"] == "applied"
    assert db.orders.find_one({"_id": sale["id"]})["status"] == "refunded"


def test_a_refund_that_arrives_before_its_order_waits_for_it(client, mongo):
    db = mongo.db
    store = new_store(db)
    seller, returner = pair(db, store, "R01"), pair(db, store, "R02")
    tea = stocked_product(db, store["id"], name="Tea")
    sale = till_order(seller, [(tea, 3)])
    back = till_refund(sale, [(0, 1)])
    assert pushed(client, returner, [mutation(returner, "refund.created", back)])[0][
        "status"] == "applied"
    waiting = db.refunds.find_one({"_id": back["refund"]["id"]})
    assert waiting["flags"] == ["order_unknown"] and waiting["applied_to_order"] is False
    assert on_hand(db, store["id"], variant_of(tea)) == 11_000  # the goods came back already
    assert pushed(client, seller, [mutation(seller, "order.created", sale)])[0][
        "status"] == "applied"
    order = db.orders.find_one({"_id": sale["id"]})
    assert order["refunded_total"] == back["refund"]["amount"]
    assert order["lines"][0]["refunded_quantity_milli"] == 1000
    assert db.refunds.find_one({"_id": back["refund"]["id"]})["applied_to_order"] is True
    assert on_hand(db, store["id"], variant_of(tea)) == 8_000


def test_a_push_needs_a_device_and_a_well_formed_batch(client, mongo):
    db = mongo.db
    till = pair(db)
    one = mutation(till, "order.created", {})
    assert client.post("/api/v1/sync/push", json={"mutations": [one]}).status_code == 401
    for body in ({"mutations": []}, {"mutations": [{**one, "id": "not-a-uuid"}]},
                 {"mutations": [{**one, "seq": 2}, {**one, "id": str(uuid.uuid4()), "seq": 1}]},
                 {"mutations": [one, {**one, "seq": one["seq"] + 1}]},
                 {"mutations": [{**one, "payload": []}]}, {"mutations": [one], "more": 1}):
        response = client.post("/api/v1/sync/push", headers=till.headers, json=body)
        assert response.status_code == 422, (body, response.text)
    blob = "x" * 1_100_000
    response = push(client, till, [mutation(till, "order.created", {"blob": blob})])
    assert response.status_code == 413
    assert db.sync_mutations.count_documents({}) == 0

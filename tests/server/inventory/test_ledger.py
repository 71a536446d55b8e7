"""The stock ledger over HTTP and through the service contract, on the real database:
levels always equal the sum of their movements, counts, transfers, idempotent retries."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict

from server.changes.log import read, state, store_feed
from server.database import in_transaction
from server.inventory import service
from server.inventory.service import StockLine
from tests.server.inventory.fixtures import (API, adjust, headers_for, level, new_product,
                                             new_store, receive, variant_of)


def _sum_of_movements(db, store_id: str, variant_id: str) -> int:
    return sum(m["quantity_milli"] for m in db.stock_movements.find(
        {"store_id": store_id, "variant_id": variant_id}))


def test_levels_always_equal_the_sum_of_random_movements(client):
    """Property style: a seeded random walk of adjustments, receipts, counts, transfers and
    online reservations; after each step every level equals the sum of its movements, its
    reserved the sum of held reservations, and the feed's last entry is the level."""
    db = client.app.state.mongo.db
    clerk = headers_for(client, "stock_clerk")
    stores = [new_store(db)["id"] for _ in range(2)]
    product = new_product(db, variants=2)
    variants = [variant_of(product, 0), variant_of(product, 1)]
    rng = random.Random(20261201)
    reserved: dict[tuple[str, str], int] = defaultdict(int)
    open_orders: list[tuple[str, str, str, int]] = []
    for step in range(60):
        store_id, variant_id = rng.choice(stores), rng.choice(variants)
        action = rng.choice(["adjust", "receive", "count", "transfer", "reserve", "settle"])
        if action == "adjust":
            q = rng.choice([-1, 1]) * rng.randint(1, 5) * 1000
            assert adjust(client, clerk, store_id, variant_id, q).status_code == 201
        elif action == "receive":
            assert receive(client, clerk, store_id, variant_id,
                           rng.randint(1, 9) * 1000).status_code == 201
        elif action == "count":
            r = client.post(f"{API}/inventory/movements", headers=clerk, json={
                "kind": "count", "store_id": store_id, "variant_id": variant_id,
                "counted_milli": rng.randint(0, 20) * 1000})
            assert r.status_code == 201, r.text
        elif action == "transfer":
            other = stores[1] if store_id == stores[0] else stores[0]
            r = client.post(f"{API}/inventory/transfers", headers=clerk, json={
                "from_store_id": store_id, "to_store_id": other,
                "lines": [{"variant_id": variant_id, "quantity_milli": rng.randint(1, 3) * 1000}]})
            assert r.status_code == 201, r.text
        elif action == "reserve":
            order_id, q = str(uuid.uuid4()), rng.randint(1, 2) * 1000
            try:
                in_transaction(db, lambda s: service.reserve(
                    db, session=s, store_id=store_id, order_id=order_id,
                    lines=[StockLine(product["_id"], variant_id, q)], actor="test"))
                open_orders.append((order_id, store_id, variant_id, q))
                reserved[(store_id, variant_id)] += q
            except Exception as exc:  # refused: nothing may have changed
                assert getattr(exc, "code", None) == "out_of_stock", exc
        elif open_orders:
            order_id, s_id, v_id, q = open_orders.pop(rng.randrange(len(open_orders)))
            settle = rng.choice([service.release, service.fulfil])
            in_transaction(db, lambda s: settle(db, session=s, order_id=order_id, actor="t"))
            reserved[(s_id, v_id)] -= q
        for s_id in stores:
            for v_id in variants:
                doc = db.stock_levels.find_one({"_id": f"{s_id}:{v_id}"})
                if doc is None:
                    assert _sum_of_movements(db, s_id, v_id) == 0
                    continue
                assert doc["on_hand_milli"] == _sum_of_movements(db, s_id, v_id), step
                assert doc["reserved_milli"] == reserved[(s_id, v_id)], step
                assert doc["reserved_milli"] == sum(r["quantity_milli"] for r in
                                                    db.stock_reservations.find(
                                                        {"store_id": s_id, "variant_id": v_id}))
            feed = store_feed(s_id)
            entries = read(db, feed, after=0, limit=100_000)
            assert [e["seq"] for e in entries] == list(range(1, state(db, feed).seq + 1))
            latest = {}
            for entry in entries:
                latest[entry["entity_id"]] = entry
            for entity_id, entry in latest.items():
                doc = db.stock_levels.find_one({"_id": entity_id})
                assert entry["data"]["on_hand_milli"] == doc["on_hand_milli"]
                assert entry["data"]["reserved_milli"] == doc["reserved_milli"]
                assert entry["version"] == doc["version"]
    assert db.stock_movements.count_documents({}) > 30


def test_a_count_records_the_difference_to_the_ledger(client):
    db = client.app.state.mongo.db
    clerk = headers_for(client, "stock_clerk")
    store_id, variant_id = new_store(db)["id"], variant_of(new_product(db))
    assert receive(client, clerk, store_id, variant_id, 12_000).status_code == 201
    assert adjust(client, clerk, store_id, variant_id, -2_000, "damage").status_code == 201
    r = client.post(f"{API}/inventory/movements", headers=clerk, json={
        "kind": "count", "store_id": store_id, "variant_id": variant_id, "counted_milli": 7_000})
    assert r.status_code == 201, r.text
    movement = r.json()
    assert movement["kind"] == "count" and movement["quantity_milli"] == -3_000
    assert movement["details"]["counted_milli"] == 7_000
    assert movement["details"]["expected_milli"] == 10_000
    assert level(client, clerk, store_id, variant_id)["on_hand_milli"] == 7_000
    # a count of a never-stocked variant starts from zero
    other = variant_of(new_product(db))
    r = client.post(f"{API}/inventory/movements", headers=clerk, json={
        "kind": "count", "store_id": store_id, "variant_id": other, "counted_milli": 4_000})
    assert r.json()["quantity_milli"] == 4_000


def test_a_retried_movement_with_its_id_is_recorded_once(client):
    db = client.app.state.mongo.db
    clerk = headers_for(client, "stock_clerk")
    store_id, variant_id = new_store(db)["id"], variant_of(new_product(db))
    movement_id = str(uuid.uuid4())
    first = receive(client, clerk, store_id, variant_id, 5_000, movement_id=movement_id)
    again = receive(client, clerk, store_id, variant_id, 5_000, movement_id=movement_id)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["id"] == movement_id
    assert level(client, clerk, store_id, variant_id)["on_hand_milli"] == 5_000
    assert db.audit_log.count_documents({"details.movement_id": movement_id}) == 1
    other = adjust(client, clerk, store_id, variant_id, 1_000, movement_id=movement_id)
    assert other.status_code == 409 and other.json()["error"]["details"]["field"] == "movement_id"


def test_a_transfer_moves_both_sides_in_one_go_and_is_idempotent(client):
    db = client.app.state.mongo.db
    clerk = headers_for(client, "stock_clerk")
    source, target = new_store(db)["id"], new_store(db)["id"]
    product = new_product(db, variants=2)
    a, b = variant_of(product, 0), variant_of(product, 1)
    receive(client, clerk, source, a, 10_000)
    receive(client, clerk, source, b, 4_000)
    body = {"from_store_id": source, "to_store_id": target, "note": "weekend event",
            "transfer_id": str(uuid.uuid4()),
            "lines": [{"variant_id": a, "quantity_milli": 3_000},
                      {"variant_id": b, "quantity_milli": 4_000}]}
    before = state(db, store_feed(target)).seq
    r = client.post(f"{API}/inventory/transfers", headers=clerk, json=body)
    assert r.status_code == 201, r.text
    kinds = sorted((m["kind"], m["store_id"], m["quantity_milli"]) for m in r.json()["movements"])
    assert kinds == sorted([("transfer_out", source, -3_000), ("transfer_in", target, 3_000),
                            ("transfer_out", source, -4_000), ("transfer_in", target, 4_000)])
    assert level(client, clerk, source, a)["on_hand_milli"] == 7_000
    assert level(client, clerk, source, b)["on_hand_milli"] == 0
    assert level(client, clerk, target, a)["on_hand_milli"] == 3_000
    assert level(client, clerk, target, b)["on_hand_milli"] == 4_000
    assert state(db, store_feed(target)).seq == before + 2
    again = client.post(f"{API}/inventory/transfers", headers=clerk, json=body)
    assert again.status_code == 201
    assert level(client, clerk, target, a)["on_hand_milli"] == 3_000  # not moved twice
    entry = db.audit_log.find_one({"action": "stock.transfer", "target": body["transfer_id"]})
    assert entry["actor"].startswith("user:") and entry["details"]["note"] == "weekend event"
    # a line naming an unknown variant moves nothing at all
    bad = {**body, "transfer_id": str(uuid.uuid4()),
           "lines": [{"variant_id": a, "quantity_milli": 1_000},
                     {"variant_id": str(uuid.uuid4()), "quantity_milli": 1_000}]}
    r = client.post(f"{API}/inventory/transfers", headers=clerk, json=bad)
    assert r.status_code == 404 and r.json()["error"]["details"]["field"] == "lines.1.variant_id"
    assert level(client, clerk, source, a)["on_hand_milli"] == 7_000


def test_adjustments_are_audited_with_who_and_why(client):
    db = client.app.state.mongo.db
    clerk = headers_for(client, "stock_clerk")
    store_id, variant_id = new_store(db)["id"], variant_of(new_product(db))
    r = adjust(client, clerk, store_id, variant_id, -1_000, "theft", note="shelf 4")
    assert r.status_code == 201
    entry = db.audit_log.find_one({"action": "stock.adjustment",
                                   "details.movement_id": r.json()["id"]})
    assert entry["actor"] == r.json()["actor"] and entry["details"]["reason"] == "theft"
    assert entry["details"]["note"] == "shelf 4"


def test_movements_are_listed_newest_first_with_filters(client):
    db = client.app.state.mongo.db
    clerk = headers_for(client, "stock_clerk")
    store_id = new_store(db)["id"]
    a, b = variant_of(new_product(db)), variant_of(new_product(db))
    ids = [receive(client, clerk, store_id, a, 1_000).json()["id"],
           adjust(client, clerk, store_id, a, -1_000).json()["id"],
           receive(client, clerk, store_id, b, 2_000).json()["id"]]
    r = client.get(f"{API}/inventory/movements", headers=clerk, params={"store_id": store_id})
    assert [m["id"] for m in r.json()["items"]] == ids[::-1]
    r = client.get(f"{API}/inventory/movements", headers=clerk,
                   params={"store_id": store_id, "variant_id": a, "kind": "receipt"})
    assert [m["id"] for m in r.json()["items"]] == ids[:1]
    r = client.get(f"{API}/inventory/movements", headers=clerk,
                   params={"store_id": store_id, "per_page": 2})
    assert len(r.json()["items"]) == 2 and r.json()["has_more"]
    cut = db.stock_movements.find_one({"_id": ids[2]})["at"].isoformat()
    r = client.get(f"{API}/inventory/movements", headers=clerk,
                   params={"store_id": store_id, "to": cut})
    assert {m["id"] for m in r.json()["items"]} <= set(ids[:2])
    r = client.get(f"{API}/inventory/movements", headers=clerk,
                   params={"store_id": store_id, "from": cut})
    assert [m["id"] for m in r.json()["items"]][-1] == ids[2]


def test_a_level_threshold_is_versioned_and_feeds_the_low_stock_filter(client):
    db = client.app.state.mongo.db
    clerk = headers_for(client, "stock_clerk")
    store_id, variant_id = new_store(db)["id"], variant_of(new_product(db))
    receive(client, clerk, store_id, variant_id, 3_000)
    current = level(client, clerk, store_id, variant_id)
    assert current["low_stock"] is False and current["low_stock_threshold_milli"] is None
    r = client.patch(f"{API}/inventory/levels/{current['id']}", headers=clerk,
                     json={"low_stock_threshold_milli": 5_000, "version": current["version"]})
    assert r.status_code == 200, r.text
    assert r.json()["low_stock"] is True and r.json()["version"] == current["version"] + 1
    stale = client.patch(f"{API}/inventory/levels/{current['id']}", headers=clerk,
                         json={"low_stock_threshold_milli": 1_000, "version": current["version"]})
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["current_version"] == current["version"] + 1
    low = client.get(f"{API}/inventory/levels", headers=clerk,
                     params={"store_id": store_id, "low_stock": "true"}).json()["items"]
    assert [x["id"] for x in low] == [current["id"]]
    missing = client.patch(f"{API}/inventory/levels/nope", headers=clerk,
                           json={"low_stock_threshold_milli": 1, "version": 1})
    assert missing.status_code == 404

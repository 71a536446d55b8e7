"""``POST /sync/push`` when things go wrong, in-process over the real database: a poison mutation
in the middle of a batch, two pushes of the same batch at once, a till restored from a backup
(old sequence numbers), and tills whose clocks are hours apart."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.server.sync.test_push_helpers import (mutation, on_hand, pair, push, pushed, staff,
                                                 stocked_product, till_order, variant_of)


def test_a_poison_mutation_is_rejected_and_the_rest_of_its_batch_applies(client, mongo, caplog):
    db = mongo.db
    till = pair(db)
    tea = stocked_product(db, till.store_id, name="Tea")
    sales = [till_order(till, [(tea, 1)]) for _ in range(3)]
    sales[1]["lines"][0]["name"] = "Tea \ud800"  # valid JSON, but no database stores it
    batch = [mutation(till, "order.created", sale) for sale in sales]
    with caplog.at_level(logging.ERROR, logger="server.sync.push"):
        results = pushed(client, till, batch)
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["reason"] == "internal error: UnicodeEncodeError"
    assert any(r.exc_info and batch[1]["id"] in r.getMessage() for r in caplog.records)
    assert {o["_id"] for o in db.orders.find({})} == {sales[0]["id"], sales[2]["id"]}
    assert on_hand(db, till.store_id, variant_of(tea)) == 8_000
    assert db.sync_mutations.find_one({"_id": batch[1]["id"]})["status"] == "rejected"
    replay = pushed(client, till, batch)
    assert [r["status"] for r in replay] == ["duplicate"] * 3
    assert replay[1]["original_status"] == "rejected"


def test_the_same_batch_pushed_twice_at_once_is_applied_once(client, mongo):
    db = mongo.db
    till = pair(db)
    tea = stocked_product(db, till.store_id, 50_000, name="Tea")
    batch = [mutation(till, "order.created", till_order(till, [(tea, 1)])) for _ in range(20)]
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: push(client, till, batch), range(2)))
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    statuses = sorted({r["status"] for r in resp.json()["results"]} == {"applied"}
                      for resp in responses)
    assert statuses == [False, True]  # one applied it all, the other found it all done
    assert db.orders.count_documents({}) == 20
    assert db.stock_movements.count_documents({"kind": "sale"}) == 20
    assert on_hand(db, till.store_id, variant_of(tea)) == 30_000


def test_a_till_restored_from_a_backup_still_gets_its_new_mutations_applied(client, mongo):
    db = mongo.db
    till = pair(db)
    tea = stocked_product(db, till.store_id, name="Tea")
    first = [mutation(till, "order.created", till_order(till, [(tea, 1)]), seq=n)
             for n in (1, 2, 3)]
    assert {r["status"] for r in pushed(client, till, first)} == {"applied"}
    # the backup knew seq 1 only: it numbers its new sales 2, 3 again, under new ids
    restored = [first[0]] + [mutation(till, "order.created", till_order(till, [(tea, 2)]),
                                      seq=n) for n in (2, 3, 4)]
    results = pushed(client, till, restored)
    assert [r["status"] for r in results] == ["duplicate", "applied", "applied", "applied"]
    records = {r["seq"]: r["out_of_order"] for r in db.sync_mutations.find(
        {"_id": {"$in": [m["id"] for m in restored[1:]]}})}
    assert records == {2: True, 3: True, 4: False}
    assert db.sync_devices.find_one({"_id": till.device_id})["last_seq"] == 4
    assert on_hand(db, till.store_id, variant_of(tea)) == 10_000 - 3_000 - 6_000


def test_hours_of_clock_skew_between_tills_change_nothing(client, mongo):
    db = mongo.db
    ahead, behind = pair(db, register="R01"), pair(db, register="R02")
    cashier = staff(db, "cashier")
    customer_id = str(uuid.uuid4())

    def edit(till, phone: str, created_at: str, base):
        one = mutation(till, "customer.upsert", {"id": customer_id, "base": base,
                                                 "fields": {"name": "Lin", "phone": phone}},
                       staff_id=cashier)
        return {**one, "created_at": created_at}

    pushed(client, ahead, [edit(ahead, "111", "2026-03-02T18:00:00+00:00", None)])
    # the other till's clock is six hours behind: its later edit still wins, by arrival
    result = pushed(client, behind, [edit(behind, "222", "2026-03-02T12:00:00+00:00",
                                          {"name": "Lin", "phone": "111"})])
    assert result[0]["status"] == "applied" and "overridden" not in result[0]
    assert db.customers.find_one({"_id": customer_id})["phone"] == "222"

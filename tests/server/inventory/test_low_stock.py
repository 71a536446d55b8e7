"""Low-stock mails: queued once per falling crossing to the store's managers and owners,
delivered by the real mail worker to the real SMTP sink."""

from __future__ import annotations

import time
import uuid

from server.mail.worker import EmailWorker
from tests.server.inventory.fixtures import (adjust, headers_for, new_product, new_store,
                                             receive, variant_of)
from tests.server.test_users import make_user


def _address(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"  # the sink is shared by the session


def _received(sink, to: str) -> list[str]:
    return [m["Subject"] for m in sink.messages if (m["To"] or "").lower() == to]


def test_one_mail_per_crossing_to_managers_and_owners_only(client, settings, smtp_sink):
    db = client.app.state.mongo.db
    store, elsewhere = new_store(db), new_store(db)
    owner, manager, everywhere, other_manager, cashier = (
        _address("owner"), _address("manager"), _address("all"), _address("other"),
        _address("cashier"))
    make_user(client, "owner", email=owner)
    make_user(client, "manager", email=manager, store_ids=[store["id"]])
    make_user(client, "manager", email=everywhere)
    make_user(client, "manager", email=other_manager, store_ids=[elsewhere["id"]])
    make_user(client, "cashier", email=cashier, store_ids=[store["id"]])
    clerk = headers_for(client, "stock_clerk")
    product = new_product(db, name="Oat milk", threshold=5_000)
    variant_id = variant_of(product)
    steps = [receive(client, clerk, store["id"], variant_id, 10_000),   # 10: above
             adjust(client, clerk, store["id"], variant_id, -3_000),    # 7: above
             adjust(client, clerk, store["id"], variant_id, -2_000),    # 5: crossing -> mail
             adjust(client, clerk, store["id"], variant_id, -1_000),    # 4: still low, no mail
             adjust(client, clerk, store["id"], variant_id, -4_000),    # 0: still low
             receive(client, clerk, store["id"], variant_id, 10_000),   # 10: above again
             adjust(client, clerk, store["id"], variant_id, -6_000)]    # 4: crossing -> mail
    assert [r.status_code for r in steps] == [201] * len(steps)
    queued = list(db.email_outbox.find({"kind": "low_stock"}))
    assert sorted(m["to"] for m in queued) == sorted([owner, manager, everywhere] * 2)
    worker = EmailWorker(db, settings)
    while worker.run_once():
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(_received(smtp_sink, owner)) < 2:
        time.sleep(0.05)
    time.sleep(0.2)  # a duplicate would arrive now
    for to in (owner, manager, everywhere):
        subjects = _received(smtp_sink, to)
        assert len(subjects) == 2, (to, subjects)
        assert all("Low stock: Oat milk" in s and store["code"] in s for s in subjects)
    assert _received(smtp_sink, other_manager) == [] and _received(smtp_sink, cashier) == []


def test_a_level_threshold_overrides_the_products_and_receipts_never_alert(client):
    db = client.app.state.mongo.db
    store = new_store(db)
    make_user(client, "owner", email=_address("owner"))
    clerk = headers_for(client, "stock_clerk")
    variant_id = variant_of(new_product(db, threshold=None))
    receive(client, clerk, store["id"], variant_id, 2_000)
    adjust(client, clerk, store["id"], variant_id, -1_000)  # no threshold anywhere: no mail
    assert db.email_outbox.count_documents({"kind": "low_stock"}) == 0
    level = db.stock_levels.find_one({"variant_id": variant_id})
    r = client.patch(f"/api/v1/inventory/levels/{level['_id']}", headers=clerk,
                     json={"low_stock_threshold_milli": 3_000, "version": level["version"]})
    assert r.status_code == 200 and r.json()["low_stock"] is True
    receive(client, clerk, store["id"], variant_id, 1_000)  # 2: low, but nothing fell
    assert db.email_outbox.count_documents({"kind": "low_stock"}) == 0
    adjust(client, clerk, store["id"], variant_id, -1_000)  # fell while low: the first mail
    assert db.email_outbox.count_documents({"kind": "low_stock"}) == 1

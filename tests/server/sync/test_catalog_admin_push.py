"""``product.create`` from the back office over ``POST /sync/push``, in-process over the real
database: a product created at a till (its ids born there, an in-house EAN-13 generated) is
pushed by the real ``sync.push`` and stands in the server's catalogue with the same ids, its
codes reserved and its price in the store's currency; a replay answers ``applied`` without a
second product; a SKU another product holds, or staff without ``catalog:write``, is rejected
with the reason (the till shows it as a sync issue)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.back_office.products.service import NewVariant, create_product
from app.sync_issues import list_issues
from db.models import OutboxEntry, StaffUser, TaxClass
from server.catalog.schemas import TaxClassCreate, TaxRateIn
from server.catalog.taxes import create_tax_class
from sync.push import push
from tests.server.sync.test_online_label_push import InProcess
from tests.server.sync.test_push_helpers import (local_till, mutation, pair, pushed, staff,
                                                 stocked_product)


@pytest.fixture
def office(client, mongo, store):
    db = mongo.db
    device = pair(db)
    manager = staff(db, "manager")
    vat = create_tax_class(db, body=TaxClassCreate(name="VAT 21%", rates=[
        TaxRateIn(name="VAT 21%", rate_ppm=210_000)]), actor="test")
    with store.write() as s:
        local_till(s, device)
        s.add(StaffUser(id=manager, name="Manager", email="manager@till", role="manager"))
        s.add(TaxClass(id=vat["_id"], name="VAT 21%"))
    return store, db, device, manager, vat["_id"]


def test_a_product_made_at_the_till_is_created_on_the_server_with_its_ids(client, office):
    store, db, device, manager, vat = office
    with store.write() as s:
        made = create_product(s, staff_id=manager, name="Linen Shirt", tax_class_id=vat,
                              variants=[NewVariant("SH-M", "29.90", cost=1200,
                                                   attributes=(("size", "M"),),
                                                   generate_ean13=True),
                                        NewVariant("SH-L", 3190, attributes=(("size", "L"),))])
        pid = made.id
        local = {v.sku: (v.id, [b.code for b in v.barcodes]) for v in made.variants}
        entry = s.scalar(select(OutboxEntry))
        replay = mutation(device, entry.kind, json.loads(entry.payload),
                          entity_id=entry.entity_id, staff_id=manager)
    pusher = InProcess(client, device)
    push(store, pusher)
    assert pusher.sent == [[("product.create", "applied")]]
    stored = db.products.find_one({"_id": pid})
    assert stored["version"] == 1 and stored["tax_class_id"] == vat
    assert {v["sku"]: (v["id"], v["barcodes"]) for v in stored["variants"]} == local
    assert {v["sku"]: v["prices"] for v in stored["variants"]} == {"SH-M": {"EUR": 2990},
                                                                   "SH-L": {"EUR": 3190}}
    assert db.codes.find_one({"_id": local["SH-M"][1][0]})["product_id"] == pid
    with store.read() as s:
        assert s.scalar(select(OutboxEntry)) is None
    # a replay under a new mutation id (a till that lost the answer and re-queued)
    assert [r["status"] for r in pushed(client, device, [replay])] == ["applied"]
    assert db.products.count_documents({"name": "Linen Shirt"}) == 1


def test_a_taken_sku_or_staff_without_catalog_write_is_rejected(client, office):
    store, db, device, manager, vat = office
    stocked_product(db, device.store_id, 0, name="Server Lamp")
    taken = db.products.find_one({"name": "Server Lamp"})["variants"][0]["sku"]
    with store.write() as s:
        create_product(s, staff_id=manager, name="Till Lamp", tax_class_id=vat,
                       variants=[NewVariant(taken, 1500)])
        entry = s.scalar(select(OutboxEntry))
        payload = json.loads(entry.payload)
    pusher = InProcess(client, device)
    push(store, pusher)
    assert pusher.sent == [[("product.create", "rejected")]]
    assert db.products.count_documents({"name": "Till Lamp"}) == 0
    with store.read() as s:
        issues = list_issues(s)
    assert any(taken in json.dumps(issue) for issue in issues), issues
    clerk = staff(db, "stock_clerk")
    other = {**payload, "id": "till-born-1", "staff_id": clerk,
             "variants": [{**payload["variants"][0], "id": "till-born-v1", "sku": "NEW-1"}]}
    result = pushed(client, device, [mutation(device, "product.create", other)])[0]
    assert result["status"] == "rejected" and "catalog:write" in result["reason"]
    assert db.products.find_one({"_id": "till-born-1"}) is None

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


def test_categories_made_and_moved_at_the_till_reach_the_server_tree(client, office):
    from app.back_office.products.categories import save_category
    from app.domain.errors import RuleViolation
    from server.catalog.categories import update_category
    from server.catalog.schemas import CategoryPatch

    store, db, device, manager, _ = office
    with store.write() as s:
        drinks = save_category(s, staff_id=manager, name="Drinks").id
        tea = save_category(s, staff_id=manager, name="Tea", parent_id=drinks).id
        hot = save_category(s, staff_id=manager, name="Hot", parent_id=tea).id
    with pytest.raises(RuleViolation) as cycle, store.write() as s:
        save_category(s, staff_id=manager, name="Drinks", parent_id=hot, category_id=drinks)
    assert cycle.value.field == "parent_id"
    pusher = InProcess(client, device)
    push(store, pusher)
    assert pusher.sent == [[("category.upsert", "applied")] * 3]
    assert db.categories.find_one({"_id": hot})["path"] == [drinks, tea]
    # Tea moves to the top at the till: its subtree's paths follow on the server
    with store.write() as s:
        save_category(s, staff_id=manager, name="Tea & Infusions", category_id=tea)
        save_category(s, staff_id=manager, name="Tea & Infusions", category_id=tea,
                      parent_id=None)
    push(store, pusher)
    # the second change of Tea counts the first, so it waits for the first's answer
    assert pusher.sent[1:] == [[("category.upsert", "applied")]] * 2, pusher.sent
    stored = db.categories.find_one({"_id": tea})
    assert (stored["name"], stored["parent_id"], stored["version"]) == ("Tea & Infusions",
                                                                        None, 3)
    assert db.categories.find_one({"_id": hot})["path"] == [tea]
    # the server renames Drinks meanwhile: the till's rename, based on version 1, conflicts
    update_category(db, category_id=drinks, body=CategoryPatch(version=1, name="Beverages"),
                    actor="test")
    with store.write() as s:
        save_category(s, staff_id=manager, name="Soft drinks", category_id=drinks)
    push(store, pusher)
    assert pusher.sent[-1] == [("category.upsert", "conflict")]
    assert db.categories.find_one({"_id": drinks})["name"] == "Beverages"
    # a cycle made by hand (not through the service) is refused by the server too
    looped = pushed(client, device, [mutation(device, "category.upsert", {
        "id": tea, "name": "Tea", "parent_id": hot, "position": 0, "base_version": 3,
        "staff_id": manager})])[0]
    assert looped["status"] == "rejected" and "cannot move under itself" in looped["reason"]


def test_an_image_added_at_the_till_reaches_the_image_store(client, office):
    from app.back_office.products.images import add_image
    from app.catalog_edit import update_product
    from server.media.service import blob_key
    from server.media.storage import image_store
    from tests.app.back_office.products.test_images import photo

    store, db, device, manager, vat = office
    with store.write() as s:
        pid = create_product(s, staff_id=manager, name="Lamp", tax_class_id=vat,
                             variants=[NewVariant("LAMP-1", 1500)]).id
        image = add_image(s, staff_id=manager, product_id=pid, data=photo())
        update_product(s, staff_id=manager, product_id=pid, changes={"name": "Desk Lamp"})
    pusher = InProcess(client, device)
    push(store, pusher)
    # the edit counts the image in its base version: it waits for the image's answer
    assert pusher.sent == [[("product.create", "applied"), ("product.image", "applied")],
                           [("product.update", "applied")]]
    stored = db.products.find_one({"_id": pid})
    assert stored["name"] == "Desk Lamp" and stored["version"] == 3
    assert [(i["id"], i["width"], i["height"]) for i in stored["images"]] == [
        (image.image_id, 1200, 800)]
    assert image_store(db).get(blob_key(pid, image.image_id, "thumb")) is not None
    not_an_image = pushed(client, device, [mutation(device, "product.image", {
        "product_id": pid, "image_id": "x", "content_type": "image/png",
        "data": "R0lGODlhAQABAAAAACw=", "staff_id": manager})])[0]
    assert not_an_image["status"] == "rejected" and "not an image" in not_an_image["reason"]

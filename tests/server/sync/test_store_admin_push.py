"""``store.update`` and ``tax_class.upsert`` over ``POST /sync/push``, in-process over the real
database, queued by the back office's own services on a paired local till: the owner's store
details reach the server's store (last writer wins per field, what they overwrote kept in the
audit entry); a tax class born at the till is created with its id and goes on the catalog feed,
an edit on the version it was based on is applied, a stale one comes back as a conflict that
the till shows; whatever the staff member may not do, or the server's rules refuse, is
rejected with its reason."""

from __future__ import annotations

from itertools import count

import pytest

from app.back_office.settings import store_details as details
from app.back_office.settings import taxes
from app.sync_issues import list_issues
from db.models import StaffUser
from server.catalog import taxes as server_taxes
from server.catalog.schemas import TaxClassPatch
from tests.server.sync.test_push_helpers import local_till, mutation, pair, pushed, staff
from tests.support.hand_push import push_outbox


@pytest.fixture
def till(client, mongo, store):
    db = mongo.db
    device = pair(db)
    people = {role: staff(db, role=role) for role in ("owner", "manager")}
    with store.write() as s:
        local_till(s, device)
        for role, staff_id in people.items():
            s.add(StaffUser(id=staff_id, name=role.title(), email=f"{role}@till", role=role))
    return store, db, device, people, count(1)


def test_the_owners_store_details_reach_the_server(client, till):
    store, db, device, people, seq = till
    db.stores.update_one({"_id": device.store_id}, {"$set": {"address": "set at the server"}})
    before = db.stores.find_one({"_id": device.store_id})
    with store.write() as s:
        details.update_store_details(s, staff_id=people["owner"], values={
            "name": "Corner Shop Bristol", "address": "2 High Street\nBristol BS1 1AA",
            "timezone": "Europe/London"})
    _, results = push_outbox(client, store, device.headers, seq)
    assert [r["status"] for r in results] == ["applied"]
    after = db.stores.find_one({"_id": device.store_id})
    assert (after["name"], after["address"], after["timezone"], after["code"]) == (
        "Corner Shop Bristol", "2 High Street\nBristol BS1 1AA", "Europe/London",
        before["code"])
    assert after["version"] == before.get("version", 1) + 1
    entry = db.audit_log.find_one({"action": "store.updated", "target": device.store_id})
    assert entry["actor"] == f"user:{people['owner']}"
    # the till had its own name and address, not the server's: both overwritten, both kept
    assert entry["details"]["overwrote"] == {"address": "set at the server",
                                             "name": before["name"]}

    # a manager's (forged: the back office never queues one) and a bad time zone: refused
    forged = {"id": device.store_id, "fields": {"name": "Mine"}, "staff_id": people["manager"]}
    bad = {"id": device.store_id, "fields": {"timezone": "Mars/Olympus"},
           "staff_id": people["owner"]}
    other = {"id": "another-store", "fields": {"name": "Theirs"}, "staff_id": people["owner"]}
    results = pushed(client, device, [mutation(device, "store.update", p, entity_id=p["id"])
                                      for p in (forged, bad, other)])
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert results[0]["reason"] == "staff_id: a manager may not do this (stores:manage)"
    assert results[1]["reason"].startswith("payload.fields.timezone:")
    assert "is not this device's store" in results[2]["reason"]
    assert db.stores.find_one({"_id": device.store_id})["name"] == "Corner Shop Bristol"


def test_a_tax_class_made_at_the_till_is_created_edited_and_a_stale_edit_conflicts(client,
                                                                                   till):
    store, db, device, people, seq = till
    manager = people["manager"]
    with store.write() as s:
        made = taxes.save_tax_class(s, staff_id=manager, name="Reduced", rates=[
            taxes.RateInput("State", "6.25"), taxes.RateInput("City", "2.625")])
    _, results = push_outbox(client, store, device.headers, seq)
    assert [r["status"] for r in results] == ["applied"]
    server_class = db.tax_classes.find_one({"_id": made.id})
    assert (server_class["name"], server_class["version"], server_class["rates"]) == (
        "Reduced", 1, [{"name": "State", "rate_ppm": 62_500}, {"name": "City", "rate_ppm": 26_250}])
    feed = db.change_log.find_one({"entity_id": made.id}, sort=[("seq", -1)])
    assert feed["entity"] == "tax_class" and feed["data"]["version"] == 1  # every till pulls it

    with store.write() as s:  # edited on the version the till has: applied
        taxes.save_tax_class(s, staff_id=manager, name="Reduced", tax_class_id=made.id,
                             rates=[taxes.RateInput("State", "7")])
    _, results = push_outbox(client, store, device.headers, seq)
    assert [r["status"] for r in results] == ["applied"]
    assert db.tax_classes.find_one({"_id": made.id})["rates"] == [
        {"name": "State", "rate_ppm": 70_000}]

    server_taxes.update_tax_class(db, tax_class_id=made.id, actor="web",  # changed there
                                  body=TaxClassPatch(version=2, name="Reduced rate"))
    with store.write() as s:
        taxes.save_tax_class(s, staff_id=manager, name="Reduced", tax_class_id=made.id,
                             rates=[taxes.RateInput("State", "9")])
    _, results = push_outbox(client, store, device.headers, seq)
    assert [r["status"] for r in results] == ["conflict"]
    assert results[0]["current"]["name"] == "Reduced rate"
    kept = db.tax_classes.find_one({"_id": made.id})
    assert (kept["name"], kept["version"], kept["rates"][0]["rate_ppm"]) == (
        "Reduced rate", 3, 70_000)
    with store.read() as s:
        [issue] = list_issues(s)
    assert issue["kind"] == "conflict"
    assert issue["message"].startswith("Your change to tax class Reduced was not kept")


def test_tax_classes_the_server_refuses(client, till):
    store, db, device, people, seq = till

    def upsert(staff_id: str, **fields) -> dict:
        payload = {"id": fields.pop("id", "tc-1"), "base_version": 0, "name": "Zero",
                   "rates": [], "staff_id": staff_id, **fields}
        return mutation(device, "tax_class.upsert", payload, entity_id=payload["id"])

    owner = people["owner"]
    results = pushed(client, device, [
        upsert(owner, rates=[{"name": "VAT", "rate_ppm": 1_000_001}]),
        upsert(owner, base_version=3),
        upsert(owner, name="   "),
        upsert(owner, id="tc-2"),
        upsert(owner, id="tc-3"),  # the name tc-2 took
    ])
    assert [r["status"] for r in results] == ["rejected"] * 3 + ["applied", "rejected"]
    assert results[0]["reason"].startswith("payload.rates.0.rate_ppm:")
    assert results[1]["reason"] == "payload.id: no tax class tc-1 on the server (deleted there?)"
    assert results[2]["reason"].startswith("payload.name:")
    assert results[4]["reason"] == "payload.name: another tax class on the server is called 'Zero'"
    db.users.update_one({"_id": owner}, {"$set": {"role": "moderator"}})
    [refused] = pushed(client, device, [upsert(owner, id="tc-4", name="Other")])
    assert refused["reason"] == "staff_id: a moderator may not do this (settings:manage)"
    assert db.tax_classes.count_documents({}) == 1

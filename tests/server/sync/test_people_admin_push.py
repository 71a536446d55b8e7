"""``staff.create``, ``staff.update`` and ``customer.erase`` over ``POST /sync/push``, in-process
over the real database, from a real local store's outbox: staff made and changed at a till
reach the server's accounts (no password, the PIN's hash only) and its staff feed, which a
second till applies; the server keeps the rules whatever a till sends (owners only by owners,
never oneself, never the last active owner, no customers, one email, the permission); an edit
based on a value changed meanwhile is a conflict; a till's GDPR erase runs the server's erase
(its orders anonymised), once, and only for customers:gdpr."""

from __future__ import annotations

from itertools import count

import pytest

from app import customers
from app.back_office.customers.gdpr import erase_customer
from app.back_office.staff import service as staff_service
from app.domain.sync_protocol import STAFF_FEED
from app.domain.tenders import TenderMethod
from app.local_auth import hash_pin, verify_pin
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sync_issues import list_issues
from db.engine import LocalStore
from db.models import StaffUser
from server.catalog.views import product_view
from server.changes import log as change_log
from sync.apply import apply_entity
from tests.support.hand_push import push_outbox
from tests.server.sync.test_push_helpers import (local_till, mutation, pair, pushed, staff,
                                                 stocked_product)

PIN_HASH = hash_pin("2468", iterations=1000)


@pytest.fixture
def till(client, mongo, store):
    """A local store paired with the server, knowing the server's owner, manager, support and
    cashier (same ids, PIN 1234)."""
    db = mongo.db
    device = pair(db)
    ids = {role: staff(db, role) for role in ("owner", "manager", "support", "cashier")}
    with store.write() as s:
        local_till(s, device)
        for role, user_id in ids.items():
            user = db.users.find_one({"_id": user_id})
            s.add(StaffUser(id=user_id, name=role, email=user["email"], role=role,
                            pin_hash=hash_pin("1234", iterations=1000)))
    return store, db, device, ids, count(1)


def push(client, store, device, seq) -> list[tuple[str, str, str | None]]:
    mutations, results = push_outbox(client, store, device.headers, seq)
    return [(m["kind"], r["status"], r.get("reason")) for m, r in zip(mutations, results)]


def feed_of(db, user_id: str) -> list[dict]:
    return [e["data"] for e in change_log.read(db, STAFF_FEED, after=0, limit=1000)
            if e["entity_id"] == user_id]


def test_staff_made_and_changed_at_a_till_reach_the_server_and_the_other_tills(client, till,
                                                                              tmp_path):
    store, db, device, ids, seq = till
    with store.write() as s:
        new_id = staff_service.create_staff(s, staff_id=ids["manager"], name="Grace Hopper",
                                            email="grace@shop.example", role="cashier",
                                            pin="4711").id
    assert push(client, store, device, seq) == [("staff.create", "applied", None)]
    user = db.users.find_one({"_id": new_id})
    assert (user["email"], user["role"], user["password_hash"], user["active"],
            user["store_ids"]) == ("grace@shop.example", "cashier", None, True,
                                   [device.store_id])
    assert verify_pin("4711", user["pin_hash"])
    with store.write() as s:
        staff_service.change_role(s, staff_id=ids["manager"], target_id=new_id,
                                  role="stock_clerk")
        staff_service.reset_pin(s, staff_id=ids["manager"], target_id=new_id, pin="8642")
        staff_service.set_active(s, staff_id=ids["manager"], target_id=new_id, active=False)
    assert [r[1] for r in push(client, store, device, seq)] == ["applied"] * 3
    user = db.users.find_one({"_id": new_id})
    assert (user["role"], user["active"], user["version"]) == ("stock_clerk", False, 4)
    assert verify_pin("8642", user["pin_hash"])
    views = feed_of(db, new_id)
    assert [(v["role"], v["active"], v["version"]) for v in views] == [
        ("cashier", True, 1), ("stock_clerk", True, 2), ("stock_clerk", True, 3),
        ("stock_clerk", False, 4)]
    # another till of the chain applies the feed: Grace is there, deactivated, new PIN
    other = LocalStore.open(tmp_path / "other-till.sqlite3")
    try:
        with other.write() as s:
            for view in views:
                apply_entity(s, "staff_user", new_id, "upsert", view,
                             store_id=device.store_id, currency="EUR")
        with other.read() as s:
            there = s.get(StaffUser, new_id)
            assert (there.role, there.active, verify_pin("8642", there.pin_hash)) == (
                "stock_clerk", False, True)
    finally:
        other.close()
    with store.read() as s:
        assert list_issues(s) == []


def update(till_, target: str, changes: dict, by: str, base: dict | None = None) -> dict:
    _, _, device, ids, _ = till_
    return mutation(device, "staff.update", {"id": target, "changes": changes,
                                             "base": base or {}, "staff_id": ids[by]},
                    entity_id=target)


def test_the_server_keeps_the_rules_whatever_a_till_sends(client, till):
    store, db, device, ids, _ = till
    before = {u["_id"]: (u["role"], u["active"], u["version"]) for u in db.users.find()}
    create = {"id": "made-at-a-till", "name": "Eve", "email": "eve@shop.example",
              "role": "cashier", "pin_hash": PIN_HASH}
    owner_email = db.users.find_one({"_id": ids["owner"]})["email"]
    sent = [
        update(till, ids["cashier"], {"role": "owner"}, "manager"),
        update(till, ids["owner"], {"active": False}, "manager"),
        update(till, ids["owner"], {"pin_hash": PIN_HASH}, "manager"),
        update(till, ids["owner"], {"active": False}, "owner"),
        update(till, ids["manager"], {"role": "support"}, "manager"),
        update(till, ids["cashier"], {"role": "customer"}, "manager"),
        update(till, ids["cashier"], {"role": "manager"}, "support"),
        update(till, ids["cashier"], {"pin_hash": "1234"}, "manager"),
        mutation(device, "staff.create", {**create, "role": "owner", "staff_id": ids["manager"]}),
        mutation(device, "staff.create", {**create, "email": owner_email.upper(),
                                          "staff_id": ids["manager"]}),
        mutation(device, "staff.create", {**create, "staff_id": ids["support"]}),
    ]
    results = pushed(client, device, sent)
    reasons = [(r["status"], r.get("reason", "")) for r in results]
    assert all(status == "rejected" for status, _ in reasons), reasons
    for n, words in enumerate(["only an owner", "only an owner", "only an owner",
                               "last active owner", "their own role", "customers are not staff",
                               "may not do this (users:manage)", "not a till PIN hash",
                               "only an owner", "already exists",
                               "may not do this (users:manage)"]):
        assert words in reasons[n][1], (n, reasons[n])
    assert {u["_id"]: (u["role"], u["active"], u["version"]) for u in db.users.find()} == before
    assert db.users.find_one({"_id": "made-at-a-till"}) is None


def test_a_change_based_on_a_value_changed_meanwhile_is_a_conflict_and_a_replay_is_kept_once(
        client, till):
    store, db, device, ids, _ = till
    # someone at another till made the cashier a stock clerk; this till saw a cashier
    [moved] = pushed(client, device, [update(till, ids["cashier"], {"role": "stock_clerk"},
                                             "manager", {"role": "cashier"})])
    assert moved["status"] == "applied"
    [stale] = pushed(client, device, [update(till, ids["cashier"], {"role": "support"},
                                             "manager", {"role": "cashier"})])
    assert stale["status"] == "conflict" and "role was changed" in stale["reason"]
    assert stale["current"]["role"] == "stock_clerk" and "pin_hash" not in stale["current"]
    assert db.users.find_one({"_id": ids["cashier"]})["role"] == "stock_clerk"
    with store.write() as s:  # the same from this till's own outbox: told as a sync issue
        staff_service.change_role(s, staff_id=ids["manager"], target_id=ids["cashier"],
                                  role="support")
    assert [r[1] for r in push(client, store, device, count(100))] == ["conflict"]
    with store.read() as s:
        [issue] = list_issues(s)
        assert (issue["kind"], issue["entity_id"]) == ("conflict", ids["cashier"])
    assert db.users.find_one({"_id": ids["cashier"]})["role"] == "stock_clerk"
    made = {"id": "made-at-a-till", "name": "Eve", "email": "eve@shop.example",
            "role": "cashier", "pin_hash": PIN_HASH, "staff_id": ids["manager"]}
    create = mutation(device, "staff.create", made)
    assert pushed(client, device, [create])[0]["status"] == "applied"
    assert pushed(client, device, [{**create, "seq": device.next_seq()}])[0]["status"] \
        == "duplicate"  # the answer was lost: the same mutation again
    # an outbox rebuilt after a crash: a new mutation for the account already made
    assert pushed(client, device, [mutation(device, "staff.create", made)])[0]["status"] \
        == "applied"
    assert db.users.count_documents({"email": "eve@shop.example"}) == 1
    assert len(feed_of(db, "made-at-a-till")) == 1


def test_a_tills_gdpr_erase_runs_the_servers_erase_once_and_only_for_customers_gdpr(client,
                                                                                    till):
    store, db, device, ids, seq = till
    product = stocked_product(db, device.store_id, name="Desk Lamp")
    with store.write() as s:
        assert apply_entity(s, "product", product["_id"], "upsert", product_view(product),
                            store_id=device.store_id, currency="EUR")
        ada = customers.create_customer(s, staff_id=ids["cashier"], name="Ada Lovelace",
                                        email="ada@example.com", phone="+44 20 7946 0000")
        cart = Cart(customer_id=ada.id)
        cart.add(product["variants"][0]["id"], 1000)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                         staff_id=ids["cashier"],
                         ship_to="Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH")
        ada_id, order_id = ada.id, order.id
    assert [r[1] for r in push(client, store, device, seq)] == ["applied", "applied"]
    assert db.orders.find_one({"_id": order_id})["shipping_address"]["name"] == "Ada Lovelace"
    refused = pushed(client, device, [mutation(device, "customer.erase", {
        "id": ada_id, "staff_id": ids["support"]}, entity_id=ada_id)])
    assert refused[0]["status"] == "rejected" and "customers:gdpr" in refused[0]["reason"]
    assert db.customers.find_one({"_id": ada_id})["name"] == "Ada Lovelace"
    with store.write() as s:
        erase_customer(s, staff_id=ids["manager"], customer_id=ada_id)
    assert push(client, store, device, seq) == [("customer.erase", "applied", None)]
    tombstone = db.customers.find_one({"_id": ada_id})
    assert tombstone["erased"] is True and "name" not in tombstone and "email" not in tombstone
    anonymised = db.orders.find_one({"_id": order_id})
    assert anonymised["shipping_address"] is None and anonymised["total"] == order.total
    erased_at = db.audit_log.count_documents({"action": "customer.erased", "target": ada_id})
    again = pushed(client, device, [mutation(device, "customer.erase", {
        "id": ada_id, "staff_id": ids["manager"]}, entity_id=ada_id)])
    assert again[0]["status"] == "applied"  # a second erase (another till's): nothing more
    assert db.audit_log.count_documents({"action": "customer.erased", "target": ada_id}) \
        == erased_at == 1

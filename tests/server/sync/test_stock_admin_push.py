"""``stock.transfer`` over ``POST /sync/push``, in-process over the real database: a transfer
made in the back office leaves the till's store and arrives at the other store (both levels
on the server, both stores' feeds), once however often it is pushed; the server re-checks
stock:write and the receiving store, and a refusal books nothing there and gives the stock
back here."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.back_office.stock import transfers
from app import inventory
from app.domain.sync_protocol import store_feed
from app.inventory import level
from app.sync_issues import list_issues
from db.models import OutboxEntry, StaffUser, StockMovement, Store
from server.catalog.views import product_view
from server.sync.handlers.stock_admin import inbound_id
from sync.apply import apply_entity
from tests.server.inventory.fixtures import new_store
from tests.server.sync.test_push_helpers import (local_till, mutation, on_hand, pair, pushed,
                                                 staff, stocked_product)
from tests.server.sync.test_shipped_push import push_outbox


@pytest.fixture
def chain(client, mongo, store):
    """A till's store with 10 desk lamps, a second store of the chain known on both sides,
    a stock clerk and a cashier (server users, mirrored locally)."""
    db = mongo.db
    device = pair(db)
    harbour = new_store(db)
    product = stocked_product(db, device.store_id, name="Desk Lamp")
    clerk, cashier = staff(db, "stock_clerk"), staff(db, "cashier")
    with store.write() as s:
        local_till(s, device)
        s.add(Store(id=harbour["id"], code=harbour["code"], name=harbour["name"],
                    currency="EUR"))
        for user_id, role in ((clerk, "stock_clerk"), (cashier, "cashier")):
            s.add(StaffUser(id=user_id, name=role, email=f"{user_id}@till", role=role))
        assert apply_entity(s, "product", product["_id"], "upsert", product_view(product),
                            store_id=device.store_id, currency="EUR")
        variant_id = product["variants"][0]["id"]
        inventory.record_movement(s, store_id=device.store_id, variant_id=variant_id,
                        quantity_milli=10_000, kind="receipt")
        s.execute(StockMovement.__table__.update().values(synced=True))  # as pulled
    return store, db, device, harbour["id"], variant_id, clerk, cashier


def test_a_transfer_arrives_at_the_other_store_once(client, chain):
    store, db, device, harbour, variant_id, clerk, _ = chain
    with store.write() as s:
        transfers.transfer(s, staff_id=clerk, to_store_id=harbour, lines=[(variant_id, "4")])
        sent = [(e.kind, e.mutation_id, json.loads(e.payload), e.entity_id)
                for e in s.scalars(select(OutboxEntry))]
    results = push_outbox(client, store, device)
    assert [(r["kind"], r["status"]) for r in results] == [("stock.transfer", "applied")]
    assert on_hand(db, device.store_id, variant_id) == 6_000
    assert on_hand(db, harbour, variant_id) == 4_000
    [(kind, mutation_id, payload, entity_id)] = sent
    out_id = payload["stock_movements"][0]["id"]
    arrived = db.stock_movements.find_one({"_id": inbound_id(out_id)})
    assert arrived["kind"] == "transfer_in" and arrived["store_id"] == harbour
    assert arrived["details"]["from_store_id"] == device.store_id
    assert db.stock_movements.find_one({"_id": out_id})["kind"] == "transfer_out"
    # both stores' feeds carry the new level
    for store_id, expected in ((device.store_id, 6_000), (harbour, 4_000)):
        entries = db.change_log.find({"feed": store_feed(store_id), "entity": "stock_level",
                                      "entity_id": f"{store_id}:{variant_id}"}).sort("seq", -1)
        assert next(entries)["data"]["on_hand_milli"] == expected
    # the till's movement is now counted by the server; its level stays 6
    with store.read() as s:
        assert s.get(StockMovement, out_id).synced
        assert level(s, store_id=device.store_id, variant_id=variant_id) == 6_000
    # the same mutation again (a lost reply) and the same transfer under a new mutation id
    again = pushed(client, device, [mutation(device, kind, payload, entity_id=entity_id,
                                             mutation_id=mutation_id)])
    assert again[0]["status"] == "duplicate"
    resent = pushed(client, device, [mutation(device, kind, payload, entity_id=entity_id)])
    assert resent[0]["status"] == "applied"
    assert on_hand(db, device.store_id, variant_id) == 6_000
    assert on_hand(db, harbour, variant_id) == 4_000


def test_the_server_refuses_a_cashier_and_an_unknown_store_and_books_nothing(client, chain):
    store, db, device, harbour, variant_id, clerk, cashier = chain
    with store.write() as s:
        transfers.transfer(s, staff_id=clerk, to_store_id=harbour, lines=[(variant_id, "2")])
        payload = json.loads(s.scalar(select(OutboxEntry.payload)))
    as_cashier = pushed(client, device, [mutation(device, "stock.transfer",
                                                  {**payload, "staff_id": cashier})])
    assert as_cashier[0]["status"] == "rejected"
    assert "stock:write" in as_cashier[0]["reason"]
    nowhere = pushed(client, device, [mutation(device, "stock.transfer",
                                               {**payload, "to_store_id": "no-such-store"})])
    assert nowhere[0]["status"] == "rejected" and "to_store_id" in nowhere[0]["reason"]
    assert on_hand(db, device.store_id, variant_id) == 10_000
    assert on_hand(db, harbour, variant_id) == 0
    # the till's own push with the clerk's id, refused by the server once the clerk is gone:
    db.users.update_one({"_id": clerk}, {"$set": {"active": False}})
    results = push_outbox(client, store, device)
    assert results[0]["status"] == "rejected"
    with store.read() as s:
        # the server will never count the movement: the level here gives the 2 back
        assert level(s, store_id=device.store_id, variant_id=variant_id) == 10_000
        [issue] = list_issues(s)
    assert issue["kind"] == "rejected" and issue["mutation_kind"] == "stock.transfer"
    assert "no active staff member" in issue["message"]

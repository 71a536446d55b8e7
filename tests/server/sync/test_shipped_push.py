"""``order.shipped`` over ``POST /sync/push``, in-process over the real database: a till sale to
ship (born ``processing``) whose label is printed reaches the server with its sale in one push
and is ``shipped`` there with its tracking number; a replay changes nothing, and what the state
machine or the store does not allow is rejected with its reason, which the till shows."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.shipping import HouseCarrier, create_shipment, mark_printed
from app.sync_issues import list_issues
from db.models import OutboxEntry, StaffUser
from server.catalog.views import product_view
from sync.apply import apply_entity
from sync.resolution import record_outcome
from tests.server.sync.test_push_helpers import (local_till, mutation, pair, pushed,
                                                 stocked_product, till_order)

ADDRESS = "Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH"
NOW = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)


@pytest.fixture
def till(client, mongo, store):
    """A local store paired with the server (same store and register ids both sides) that
    has the server's product."""
    db = mongo.db
    device = pair(db)
    product = stocked_product(db, device.store_id, name="Desk Lamp")
    with store.write() as s:
        local_till(s, device)
        s.add(StaffUser(id="cashier-1", name="Cashier", email="cashier@till", role="cashier"))
        assert apply_entity(s, "product", product["_id"], "upsert", product_view(product),
                            store_id=device.store_id, currency="EUR")
    return store, db, device, product["variants"][0]["id"]


def push_outbox(client, store, device) -> list[dict]:
    """One push round of everything queued, its answers recorded as ``sync.push`` does."""
    with store.read() as s:
        entries = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
        batch = [mutation(device, e.kind, json.loads(e.payload), entity_id=e.entity_id,
                          mutation_id=e.mutation_id) for e in entries]
    results = pushed(client, device, batch)
    with store.write() as s:
        for result in results:
            entry = s.scalar(select(OutboxEntry).where(OutboxEntry.mutation_id == result["id"]))
            record_outcome(s, entry, result)
            s.delete(entry)
    return [{"kind": m["kind"], **r} for m, r in zip(batch, results)]


def sell_and_print(store, variant_id: str) -> tuple[str, str, dict]:
    with store.write() as s:
        cart = Cart()
        cart.add(variant_id, 1000)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                         staff_id="cashier-1", ship_to=ADDRESS, now=NOW)
        shipment = create_shipment(s, order.id, weight_grams=1800, parcels=2,
                                   service="express", carrier=HouseCarrier())
        mark_printed(s, shipment.id, NOW)
        shipped = json.loads(s.scalar(select(OutboxEntry.payload)
                                      .where(OutboxEntry.kind == "order.shipped")))
        return order.id, shipment.tracking_number, shipped


def test_a_printed_label_ships_the_sale_on_the_server_with_its_tracking_number(client, till):
    store, db, device, variant_id = till
    order_id, tracking, shipped = sell_and_print(store, variant_id)
    results = push_outbox(client, store, device)
    assert [(r["kind"], r["status"]) for r in results] == [("order.created", "applied"),
                                                           ("order.shipped", "applied")]
    order = db.orders.find_one({"_id": order_id})
    assert (order["status"], order["tracking_number"], order["version"]) == (
        "shipped", tracking, 2)
    assert [(h["from"], h["to"]) for h in order["history"]] == [(None, "processing"),
                                                                ("processing", "shipped")]
    assert order["history"][1]["reason"] == (f"label printed at register {device.register_id} "
                                             "(house express, 2 parcels)")
    assert order["shipping_address"]["name"] == "Ada Lovelace"
    assert order["shipping_address"]["city"] == "London SW1Y 4JH"
    feed = db.change_log.find_one({"entity_id": order_id}, sort=[("seq", -1)])
    assert feed["data"]["status"] == "shipped"  # the store's other tills see it too
    with store.read() as s:
        assert list_issues(s) == []
    # the same shipment sent again (an outbox rebuilt after a crash): nothing moves
    again = pushed(client, device, [mutation(device, "order.shipped", shipped,
                                             entity_id=order_id)])
    assert again[0]["status"] == "applied"
    assert db.orders.find_one({"_id": order_id})["version"] == 2


def test_what_cannot_be_shipped_is_rejected_and_the_till_is_told(client, till):
    store, db, device, variant_id = till
    product = db.products.find_one({})
    collected = till_order(device, [(product, 1)])
    to_ship = {**till_order(device, [(product, 1)]), "status": "processing",
               "fulfilment": "ship", "ship_to": ADDRESS}
    assert [r["status"] for r in pushed(client, device, [
        mutation(device, "order.created", collected),
        mutation(device, "order.created", to_ship)])] == ["applied", "applied"]
    assert db.orders.find_one({"_id": to_ship["id"]})["status"] == "processing"

    def shipped(order: dict, tracking: str = "TPS01R01000099015") -> dict:
        return {"order_id": order["id"], "number": order["number"], "from": "processing",
                "version": 2, "carrier": "house", "service": "standard",
                "tracking_number": tracking, "parcels": 1, "weight_grams": 500}

    unknown = {**shipped(to_ship), "order_id": "no-such-order"}
    results = pushed(client, device, [
        mutation(device, "order.shipped", shipped(collected), entity_id=collected["id"]),
        mutation(device, "order.shipped", unknown, entity_id="no-such-order"),
        mutation(device, "order.shipped", {**shipped(to_ship), "tracking_number": "TP·1"},
                 entity_id=to_ship["id"]),
        mutation(device, "order.shipped", shipped(to_ship), entity_id=to_ship["id"]),
        mutation(device, "order.shipped", shipped(to_ship, "TPOTHER0"),
                 entity_id=to_ship["id"])])
    assert [r["status"] for r in results] == ["rejected"] * 3 + ["applied", "rejected"]
    assert "cannot go from delivered to shipped" in results[0]["reason"]
    assert results[1]["reason"] == "payload.order_id: no order no-such-order on the server"
    assert results[2]["reason"] == "payload.tracking_number: must be printable ASCII"
    assert results[4]["reason"] == (f"payload.tracking_number: order {to_ship['number']} was "
                                    "shipped with tracking number TPS01R01000099015")
    assert db.orders.find_one({"_id": collected["id"]})["status"] == "delivered"
    # an online order's status travels as order.status, with its version check
    db.orders.update_one({"_id": collected["id"]}, {"$set": {"channel": "online",
                                                            "status": "processing"}})
    [online] = pushed(client, device, [mutation(device, "order.shipped", shipped(collected),
                                                entity_id=collected["id"])])
    assert online["status"] == "rejected" and "is an online order" in online["reason"]

    # a refusal lands at the till as a sync issue that says what was refused
    with store.write() as s:
        entry = OutboxEntry(mutation_id=results[0]["id"], kind="order.shipped",
                            entity_id=collected["id"], payload=json.dumps(shipped(collected)))
        s.add(entry)
        s.flush()
        record_outcome(s, entry, results[0])
        [issue] = list_issues(s)
    assert issue["message"].startswith(f"The server refused shipping order "
                                       f"{collected['number']} (tracking TPS01R01000099015): ")

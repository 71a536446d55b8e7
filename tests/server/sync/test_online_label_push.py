"""An online order labelled at a till, over ``POST /sync/push`` on the in-process app and the
real database: the web shop's order (checked out, paid) is pulled as the store feed shows it,
its label made from its shipping address and printed, and the till's ``order.status`` moves
(confirmed → processing → shipped, the last with the tracking number) ship it on the server —
stock taken from the reservation, the customer's mail naming the tracking number. A replay of
the same shipping is applied without a change; a tracking number on another move, or a move
based on a version the server has left, is refused or a conflict with the server's view."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.shipping import HouseCarrier, create_shipment, mark_printed
from app.sync_issues import list_issues
from db.models import RemoteOrder
from server.orders.views import order_view
from sync.apply import apply_entity
from tests.server.orders.fixtures import (add, checkout, level, new_cart, pay, product, staff,
                                          store_of)
from tests.server.sync.test_push_helpers import local_till, mutation, pair, pushed
from sync.push import push

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)


@pytest.fixture
def web_order(client, mongo, store):
    """A paid online order of the store, and a till of that store that has pulled it."""
    db = mongo.db
    shop = store_of(client)
    device = pair(db, shop)
    owner = staff(client)
    item = product(client, owner, stock=5)
    cart = new_cart(client)["id"]
    add(client, cart, item, 2)
    placed = checkout(client, cart)
    assert placed.status_code == 201, placed.text
    paid = pay(client, placed.json(), owner)
    assert (paid["status"], paid["version"]) == ("confirmed", 2)
    with store.write() as s:
        local_till(s, device)
        assert apply_entity(s, "order", paid["id"], "upsert",
                            order_view(db.orders.find_one({"_id": paid["id"]})),
                            store_id=device.store_id, currency="EUR")
    return store, db, device, paid, item


class InProcess:
    """``sync.push``'s client, posting to the in-process app as the till's device."""

    def __init__(self, client, device) -> None:
        self.client, self.device = client, device
        self.sent: list[list[tuple[str, str]]] = []

    def push(self, mutations: list[dict]) -> dict:
        response = self.client.post("/api/v1/sync/push", headers=self.device.headers,
                                    json={"mutations": mutations})
        assert response.status_code == 200, response.text
        self.sent.append([(m["kind"], r["status"]) for m, r in
                          zip(mutations, response.json()["results"])])
        return response.json()


def push_all(client, store, device) -> list[list[tuple[str, str]]]:
    """The real ``sync.push`` until the outbox is empty; each request's (kind, status)s."""
    pusher = InProcess(client, device)
    for _ in range(5):
        if not push(store, pusher).sent:
            break
    return pusher.sent


def label(store, order_id: str) -> str:
    with store.write() as s:
        shipment = create_shipment(s, order_id, weight_grams=1200, parcels=1,
                                   service="standard", carrier=HouseCarrier(), now=NOW)
        mark_printed(s, shipment.id, NOW)
        return shipment.tracking_number


def test_a_label_printed_at_the_till_ships_the_online_order(client, web_order):
    store, db, device, paid, item = web_order
    assert level(client, item["variant_id"])["reserved_milli"] == 2000
    tracking = label(store, paid["id"])
    # two requests: a second status change of one order waits for the first one's answer
    assert push_all(client, store, device) == [[("order.status", "applied")]] * 2
    order = db.orders.find_one({"_id": paid["id"]})
    assert (order["status"], order["version"], order["tracking_number"]) == (
        "shipped", 4, tracking)
    assert [h["to"] for h in order["history"]][-2:] == ["processing", "shipped"]
    assert order["history"][-1]["reason"] == (f"label printed at register "
                                              f"{device.register_id} (house standard, 1 parcel)")
    stock = level(client, item["variant_id"])
    assert (stock["on_hand_milli"], stock["reserved_milli"]) == (3000, 0)
    mail = db.email_outbox.find_one({"_id": f"order-shipped:{paid['id']}"})
    assert tracking in mail["text"] and mail["to"] == paid["email"]
    with store.read() as s:
        assert list_issues(s) == []
        assert (s.get(RemoteOrder, paid["id"]).status, s.get(RemoteOrder, paid["id"]).version) \
            == ("shipped", 4)
    # the same shipping sent again under a new mutation id (an outbox rebuilt): applied, no change
    again = {"order_id": paid["id"], "number": paid["number"], "from": "processing",
             "to": "shipped", "version": 4, "tracking_number": tracking, "carrier": "house"}
    [replay] = pushed(client, device, [mutation(device, "order.status", again,
                                                entity_id=paid["id"])])
    assert replay["status"] == "applied"
    assert db.orders.find_one({"_id": paid["id"]})["version"] == 4


def test_a_tracking_number_only_goes_with_shipping_and_must_be_printable(client, web_order):
    _, db, device, paid, _ = web_order
    move = {"order_id": paid["id"], "number": paid["number"], "from": "confirmed",
            "to": "processing", "version": 3}
    results = pushed(client, device, [
        mutation(device, "order.status", {**move, "tracking_number": "TP1"},
                 entity_id=paid["id"]),
        mutation(device, "order.status", {**move, "to": "shipped", "tracking_number": "TP·1"},
                 entity_id=paid["id"])])
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[0]["reason"] == ("payload.tracking_number: only a move to shipped has one, "
                                    "not to processing")
    assert results[1]["reason"] == "payload.tracking_number: must be printable ASCII"
    assert db.orders.find_one({"_id": paid["id"]})["version"] == 2


def test_an_order_cancelled_online_before_the_push_is_a_conflict_the_till_shows(client,
                                                                                 web_order):
    store, db, device, paid, _ = web_order
    owner = staff(client)
    cancelled = client.post(f"/api/v1/orders/{paid['id']}/status", headers=owner, json={
        "status": "cancelled", "reason": "customer asked", "version": paid["version"]})
    assert cancelled.status_code == 200, cancelled.text
    label(store, paid["id"])
    # the first step is a conflict, so the second, made on top of it, is never sent
    assert push_all(client, store, device) == [[("order.status", "conflict")]]
    assert db.orders.find_one({"_id": paid["id"]})["status"] == "cancelled"
    with store.read() as s:
        assert s.get(RemoteOrder, paid["id"]).status == "cancelled"
        messages = sorted(i["message"] for i in list_issues(s))
    assert len(messages) == 2
    assert all(m.startswith(f"Your change to order {paid['number']} was not kept")
               for m in messages)
    assert any("made on top of an earlier change" in m for m in messages)

"""A status change made in the back office reaches the server through the real push, on the
in-process app over the real database: support starts picking a paid online order (the
till's copy moves, the order.status names them) and the server applies it after checking
their orders:update again; a change naming someone without it is refused there too, and one
based on a version the server has left comes back a conflict."""

from __future__ import annotations

import pytest

from app.back_office.orders.status import change_order_status
from db.models import StaffUser
from server.orders.views import order_view
from sync.apply import apply_entity
from tests.server.orders.fixtures import add, checkout, new_cart, pay, product, staff, store_of
from tests.server.sync.test_online_label_push import push_all
from tests.server.sync.test_push_helpers import local_till, mutation, pair, pushed
from tests.server.sync.test_push_helpers import staff as server_staff


@pytest.fixture
def web_order(client, mongo, store):
    db = mongo.db
    device = pair(db, store_of(client))
    owner = staff(client)
    item = product(client, owner, stock=5)
    cart = new_cart(client)["id"]
    add(client, cart, item, 1)
    paid = pay(client, checkout(client, cart).json(), owner)
    people = {role: server_staff(db, role) for role in ("support", "stock_clerk")}
    with store.write() as s:
        local_till(s, device)
        for role, staff_id in people.items():  # as the staff feed brings them
            s.add(StaffUser(id=staff_id, name=role, email=f"{staff_id}@x.test", role=role))
        assert apply_entity(s, "order", paid["id"], "upsert",
                            order_view(db.orders.find_one({"_id": paid["id"]})),
                            store_id=device.store_id, currency="EUR")
    return store, db, device, paid, people


def test_support_starts_picking_and_the_server_checks_them_again(client, web_order):
    store, db, device, paid, people = web_order
    with store.write() as s:
        change_order_status(s, order_id=paid["id"], target="processing",
                            staff_id=people["support"], reason="picking")
    assert push_all(client, store, device) == [[("order.status", "applied")]]
    order = db.orders.find_one({"_id": paid["id"]})
    assert (order["status"], order["version"]) == ("processing", 3)
    assert order["history"][-1]["reason"] == "picking"

    move = {"order_id": paid["id"], "number": paid["number"], "from": "processing",
            "to": "cancelled", "version": 4}
    [clerk, stale] = pushed(client, device, [
        mutation(device, "order.status", {**move, "staff_id": people["stock_clerk"]},
                 entity_id=paid["id"]),
        mutation(device, "order.status", {**move, "version": 3, "staff_id": people["support"]},
                 entity_id=paid["id"])])
    assert clerk["status"] == "rejected" and "orders:update" in clerk["reason"]
    assert stale["status"] == "conflict"
    assert db.orders.find_one({"_id": paid["id"]})["status"] == "processing"


def _label_printed_by_the_queue(store, order_id: str, staff_id: str) -> list[dict]:
    """Book the label in the back office, then print it as the print worker does (nobody is
    signed in there: the job is just done); the order.status payloads it queued."""
    import json

    from sqlalchemy import select

    from app.back_office.orders.fulfilment import book_label
    from app.printing.documents import DocumentSettings, draw
    from app.printing.queue import PrintQueue
    from db.models import OutboxEntry

    with store.write() as s:
        shipment = book_label(s, order_id=order_id, staff_id=staff_id, weight_grams=800)
    with store.read() as s:
        drawn = draw(s, "label", shipment, DocumentSettings())
    queue = PrintQueue(store)
    job = queue.enqueue("file:/labels", "label", shipment, drawn)
    queue.take("file:/labels")
    queue.done(job)
    with store.read() as s:
        return [json.loads(p) for p in s.scalars(select(OutboxEntry.payload).where(
            OutboxEntry.kind == "order.status").order_by(OutboxEntry.seq))]


def test_a_printed_label_moves_the_order_in_the_name_of_who_booked_it(client, web_order):
    store, db, device, paid, people = web_order
    moves = _label_printed_by_the_queue(store, paid["id"], people["support"])
    assert [(m["to"], m.get("staff_id")) for m in moves] == [
        ("processing", people["support"]), ("shipped", people["support"])]
    assert push_all(client, store, device) == [[("order.status", "applied")]] * 2
    assert db.orders.find_one({"_id": paid["id"]})["status"] == "shipped"


def test_a_label_booked_by_someone_demoted_on_the_server_is_refused_there(client, web_order):
    store, db, device, paid, people = web_order
    _label_printed_by_the_queue(store, paid["id"], people["support"])
    db.users.update_one({"_id": people["support"]}, {"$set": {"role": "stock_clerk"}})
    [first, *_rest] = push_all(client, store, device)[0]
    assert first == ("order.status", "rejected")  # checked again, not the device's say-so
    assert db.orders.find_one({"_id": paid["id"]})["status"] == "confirmed"

"""Checkouts of one store racing on the real database: with the per-process queue taken away
(as for orders arriving through several server processes) their transactions conflict on
the store's counters and are retried, and still every order is numbered without a gap, the
feed stays a gap-free sequence with each entry once, and the rollups count every order. A
cart edited between checkout's first read and its claim is read again and priced as it is."""

from __future__ import annotations

import threading

from server.changes import log as change_log
from server.changes.log import store_feed
from server.orders import checkout as checkout_module
from tests.server.orders.fixtures import (add, checkout, level, new_cart, product, staff,
                                          store_of)

ORDERS = 6


def test_conflicting_checkouts_of_one_store_stay_gap_free(client, mongo, monkeypatch):
    owner = staff(client)
    items = [product(client, owner, stock=50) for _ in range(2)]
    carts = []
    for _ in range(ORDERS):
        cart = new_cart(client)["id"]
        for item in items:
            add(client, cart, item, 1)
        carts.append(cart)
    # a lock of its own for each checkout: nothing queues them, so they really conflict
    monkeypatch.setattr(checkout_module, "_store_lock", lambda store_id: threading.Lock())
    attempts = []
    real_claim = checkout_module._claim

    def counted_claim(*args, **kwargs):
        attempts.append(1)
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(checkout_module, "_claim", counted_claim)
    answers, barrier = [], threading.Barrier(ORDERS)

    def go(cart_id):
        barrier.wait()
        answers.append(checkout(client, cart_id))

    threads = [threading.Thread(target=go, args=(c,)) for c in carts]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert [a.status_code for a in answers] == [201] * ORDERS, [a.text for a in answers]
    store = store_of(client)
    numbers = sorted(a.json()["number"] for a in answers)
    assert numbers == [f"{store['code']}-WEB-{n:06d}" for n in range(1, ORDERS + 1)]
    feed = store_feed(store["_id"])
    entries = change_log.read(mongo.db, feed, after=0, limit=1000)
    assert [e["seq"] for e in entries] == list(range(1, change_log.state(mongo.db, feed).seq + 1))
    orders = [e["entity_id"] for e in entries if e["entity"] == "order"]
    assert sorted(orders) == sorted(a.json()["id"] for a in answers)
    # each order's level entries sit just before its own entry, in the same transaction
    for index, entry in enumerate(entries):
        if entry["entity"] == "order":
            before = entries[index - len(items):index]
            assert {e["entity"] for e in before} == {"stock_level"}
    totals = mongo.db.sales_rollups.find_one({"dimension": "total", "key": "all"})
    assert totals["orders"] == ORDERS
    assert totals["total"] == sum(a.json()["total"] for a in answers)
    for item in items:
        assert level(client, item["variant_id"])["reserved_milli"] == ORDERS * 1000
    print(f"{len(attempts)} attempts for {ORDERS} orders")  # more than ORDERS: they conflicted


def test_a_cart_changed_after_the_first_read_is_read_again(client, mongo, monkeypatch):
    owner = staff(client)
    item = product(client, owner, price=1000, stock=10)
    cart = new_cart(client)["id"]
    add(client, cart, item, 1)
    real_variants = checkout_module.variants_of
    edited = []

    def edit_once(db, store, lines, session=None):
        if not edited:  # the shopper adds a second piece while checkout is under way
            edited.append(add(client, cart, item, 1))
        return real_variants(db, store, lines, session)

    monkeypatch.setattr(checkout_module, "variants_of", edit_once)
    response = checkout(client, cart)
    assert response.status_code == 201, response.text
    order = response.json()
    assert edited and order["lines"][0]["quantity_milli"] == 2000 and order["subtotal"] == 2000
    assert level(client, item["variant_id"])["reserved_milli"] == 2000

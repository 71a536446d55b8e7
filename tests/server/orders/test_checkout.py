"""Checkout over HTTP on the in-process app and the real database: the order and everything
written with it, idempotence (a repeat and two racing checkouts make one order), out of stock
writes nothing, coupons counted within their limit, gap-free numbers."""

from __future__ import annotations

import threading

from server.orders.checkout import order_id_for
from tests.server.orders.fixtures import (API, add, checkout, coupon, level, new_cart,
                                          product, staff, store_of, tax_class)


def test_a_guest_checkout_makes_a_pending_order_with_stock_held_and_a_mail_queued(client, mongo):
    owner = staff(client)
    vat = tax_class(client, owner, 200_000)
    shirt = product(client, owner, price=1500, tax_class_id=vat, stock=5)
    cart = new_cart(client)
    add(client, cart["id"], shirt, 2)
    response = checkout(client, cart["id"], email="Ada@Example.com")
    assert response.status_code == 201, response.text
    order = response.json()
    store = store_of(client)
    assert order["number"] == f"{store['code']}-WEB-000001" and order["status"] == "pending"
    assert order["channel"] == "online" and order["email"] == "ada@example.com"
    assert order["subtotal"] == 3000 and order["shipping_total"] == 495
    assert order["total"] == 3495 and order["tax_total"] == 500 and order["paid_total"] == 0
    line = order["lines"][0]
    assert line["quantity_milli"] == 2000 and line["variant_id"] == shirt["variant_id"]
    assert order["shipping_address"]["city"] == "Leeds"
    assert order["history"][0]["to"] == "pending"
    assert level(client, shirt["variant_id"])["reserved_milli"] == 2000
    stored_cart = mongo.db.carts.find_one({"_id": cart["id"]})
    assert stored_cart["status"] == "converted" and stored_cart["order_id"] == order["id"]
    mail = mongo.db.email_outbox.find_one({"_id": f"order-confirmation:{order['id']}"})
    assert mail["to"] == "ada@example.com" and order["number"] in mail["subject"]
    feed = list(mongo.db.change_log.find({"feed": f"store:{store['_id']}", "entity": "order"}))
    assert [e["entity_id"] for e in feed] == [order["id"]]
    # a repeat answers the same order; the converted cart takes no more changes
    again = checkout(client, cart["id"])
    assert again.status_code == 201 and again.json()["id"] == order["id"]
    assert mongo.db.orders.count_documents({}) == 1
    closed = client.post(f"{API}/carts/{cart['id']}/items",
                         json={"product_id": shirt["id"], "quantity": 1})
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "cart_closed"
    assert client.get(f"{API}/carts/{cart['id']}").json()["order_id"] == order["id"]


def test_out_of_stock_is_409_and_writes_nothing(client, mongo):
    owner = staff(client)
    scarce = product(client, owner, stock=1)
    plenty = product(client, owner, stock=10)
    offer = coupon(client, owner, usage_limit=5)
    cart = new_cart(client)["id"]
    add(client, cart, plenty, 1)
    add(client, cart, scarce, 2)
    assert client.post(f"{API}/carts/{cart}/coupon", json={"code": offer["code"]}).status_code == 200
    response = checkout(client, cart)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "out_of_stock"
    assert error["details"]["lines"][0]["variant_id"] == scarce["variant_id"]
    assert mongo.db.orders.count_documents({}) == 0
    assert mongo.db.stock_reservations.count_documents({}) == 0
    assert level(client, plenty["variant_id"])["reserved_milli"] == 0
    assert mongo.db.coupons.find_one({"code": offer["code"]})["used"] == 0
    assert mongo.db.coupon_redemptions.count_documents({}) == 0
    assert mongo.db.order_counters.count_documents({}) == 0
    assert mongo.db.email_outbox.count_documents({"kind": "order_confirmation"}) == 0
    assert mongo.db.carts.find_one({"_id": cart})["status"] == "active"
    # with the line fixed, the same cart checks out and takes the first number
    line = [ln for ln in client.get(f"{API}/carts/{cart}").json()["lines"]
            if ln["variant_id"] == scarce["variant_id"]][0]
    client.patch(f"{API}/carts/{cart}/items/{line['line']}", json={"quantity": 1})
    done = checkout(client, cart)
    assert done.status_code == 201, done.text
    assert done.json()["number"].endswith("-WEB-000001") and done.json()["coupon_code"]


def test_two_concurrent_checkouts_of_one_cart_make_one_order(client, mongo):
    item = product(client, staff(client), stock=3)
    cart = new_cart(client)["id"]
    add(client, cart, item, 1)
    answers, barrier = [], threading.Barrier(2)

    def go():
        barrier.wait()
        answers.append(checkout(client, cart))

    threads = [threading.Thread(target=go) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert {a.json()["id"] for a in answers} == {order_id_for(cart)}
    assert mongo.db.orders.count_documents({}) == 1
    assert level(client, item["variant_id"])["reserved_milli"] == 1000


def test_a_coupon_discounts_and_its_usage_limit_holds(client, mongo):
    owner = staff(client)
    item = product(client, owner, price=2000)
    offer = coupon(client, owner, value="25", usage_limit=1)
    first, second = new_cart(client)["id"], new_cart(client)["id"]
    for cart in (first, second):
        add(client, cart, item, 1)
        applied = client.post(f"{API}/carts/{cart}/coupon", json={"code": offer["code"].lower()})
        assert applied.status_code == 200, applied.text
        assert applied.json()["coupon"]["discount"] == 500
        assert applied.json()["total"] == 1500 + 495
    order = checkout(client, first).json()
    assert order["discount_total"] == 500 and order["coupon_code"] == offer["code"]
    # the second cart now shows the problem, and its checkout is refused without writing
    shown = client.get(f"{API}/carts/{second}").json()
    assert shown["coupon"]["applied"] is False and shown["coupon"]["problem"]
    assert shown["total"] == 2000 + 495
    refused = checkout(client, second)
    assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "coupon"
    assert mongo.db.orders.count_documents({}) == 1
    assert mongo.db.coupons.find_one({"code": offer["code"]})["used"] == 1
    # applying a used-up or unknown coupon is a 422 naming the code
    third = new_cart(client)["id"]
    for code in (offer["code"], "NOSUCHCODE", "bad code!"):
        response = client.post(f"{API}/carts/{third}/coupon", json={"code": code})
        assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "code"
    removed = client.delete(f"{API}/carts/{second}/coupon")
    assert removed.status_code == 200 and removed.json()["coupon"] is None


def test_checkout_refuses_an_empty_cart_a_guest_without_email_and_bad_addresses(client, mongo):
    item = product(client, staff(client))
    empty = new_cart(client)["id"]
    response = checkout(client, empty)
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "lines"
    cart = new_cart(client)["id"]
    add(client, cart, item, 1)
    anonymous = client.post(f"{API}/carts/{cart}/checkout",
                            json={"shipping_address": {"name": "A", "line1": "x", "city": "y",
                                                       "postcode": "1", "country": "GB"}})
    assert anonymous.status_code == 422
    assert anonymous.json()["error"]["details"]["field"] == "email"
    bad = client.post(f"{API}/carts/{cart}/checkout", json={
        "email": "a@b.co", "shipping_address": {"name": "A", "line1": "x", "city": "y",
                                                "postcode": "1", "country": "Great Britain"}})
    assert bad.status_code == 422 and "country" in bad.json()["error"]["details"][0]["field"]
    assert mongo.db.orders.count_documents({}) == 0

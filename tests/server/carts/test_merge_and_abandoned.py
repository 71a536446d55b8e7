"""Login with a guest cart's id merges it into the customer's cart (quantities added, coupon
kept while valid, the guest cart closed and no longer reachable by its id); the abandoned-cart
sweep queues one mail per cart even with two workers sweeping at once."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from server.carts.abandoned import sweep
from tests.server.orders.fixtures import (API, PASSWORD, add, coupon, new_cart, product,
                                          shopper, staff)


def _login(client, user, cart_id=None):
    body = {"email": user["email"], "password": PASSWORD}
    if cart_id:
        body["cart_id"] = cart_id
    response = client.post(f"{API}/auth/login", json=body)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_login_with_a_guest_cart_merges_it(client, mongo):
    owner = staff(client)
    a, b = product(client, owner), product(client, owner)
    offer = coupon(client, owner)
    user, headers = shopper(client)
    mine = new_cart(client, headers)["id"]
    add(client, mine, a, 1, headers)
    guest = new_cart(client)["id"]
    add(client, guest, a, 2)
    add(client, guest, b, 1)
    assert client.post(f"{API}/carts/{guest}/coupon", json={"code": offer["code"]}).status_code == 200
    fresh = _login(client, user, guest)
    merged = client.post(f"{API}/carts", headers=fresh).json()
    assert merged["id"] == mine
    assert {ln["product_id"]: ln["quantity"] for ln in merged["lines"]} == {a["id"]: 3, b["id"]: 1}
    assert merged["coupon"]["code"] == offer["code"] and merged["coupon"]["applied"] is True
    stored = mongo.db.carts.find_one({"_id": guest})
    assert stored["status"] == "merged" and stored["merged_into"] == mine
    assert client.get(f"{API}/carts/{guest}").status_code == 404  # owned now: not by its id
    # merging again (or an unknown id) changes nothing and never fails the login
    _login(client, user, guest)
    _login(client, user, "no-such-cart")
    again = client.get(f"{API}/carts/{mine}", headers=fresh).json()
    assert {ln["product_id"]: ln["quantity"] for ln in again["lines"]} == {a["id"]: 3, b["id"]: 1}


def test_a_customer_without_a_cart_gets_the_guest_cart_contents(client):
    item = product(client, staff(client))
    user, _ = shopper(client)
    guest = new_cart(client)["id"]
    add(client, guest, item, 2)
    headers = _login(client, user, guest)
    cart = client.post(f"{API}/carts", headers=headers).json()
    assert cart["id"] != guest and cart["lines"][0]["quantity"] == 2


def test_the_abandoned_cart_mail_goes_once_even_with_two_workers(client, mongo, settings):
    item = product(client, staff(client))
    user, headers = shopper(client)
    mine = new_cart(client, headers)["id"]
    add(client, mine, item, 1, headers)
    quiet = new_cart(client)["id"]  # a guest cart with no address: no mail
    add(client, quiet, item, 1)
    empty = new_cart(client, shopper(client)[1])["id"]  # no items: no mail
    later = datetime.now(timezone.utc) + timedelta(hours=settings.abandoned_cart_hours, minutes=1)
    assert sweep(mongo.db, settings, now=later - timedelta(hours=2)) == 0  # not due yet
    counts, barrier = [], threading.Barrier(2)

    def worker():
        barrier.wait()
        counts.append(sweep(mongo.db, settings, now=later))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(counts) == [0, 1]
    mails = list(mongo.db.email_outbox.find({"kind": "abandoned_cart"}))
    assert [m["to"] for m in mails] == [user["email"]] and mine in mails[0]["text"]
    assert sweep(mongo.db, settings, now=later + timedelta(days=3)) == 0
    # once per cart: a later change does not arm it again
    add(client, mine, item, 1, headers)
    assert sweep(mongo.db, settings, now=later + timedelta(days=3)) == 0
    assert mongo.db.carts.find_one({"_id": empty})["abandon_due_at"] is None
    assert mongo.db.carts.find_one({"_id": quiet})["abandon_due_at"] is None


def test_a_guest_who_gave_an_email_at_checkout_gets_the_mail(client, mongo, settings):
    item = product(client, staff(client), stock=1)
    cart = new_cart(client)["id"]
    add(client, cart, item, 2)  # more than in stock: the checkout fails
    refused = client.post(f"{API}/carts/{cart}/checkout", json={
        "email": "walked.away@example.com",
        "shipping_address": {"name": "W", "line1": "1 Road", "city": "Y", "postcode": "1",
                             "country": "GB"}})
    assert refused.status_code == 409
    now = replace(settings, abandoned_cart_hours=0)
    assert sweep(mongo.db, now, now=datetime.now(timezone.utc) + timedelta(days=2)) == 1
    assert mongo.db.email_outbox.find_one({"kind": "abandoned_cart"})["to"] == \
        "walked.away@example.com"

"""The online shop's story over HTTP against a real ``tillpoint-server`` with two worker
processes, its mail and abandoned-cart workers delivering to the real SMTP sink: a guest fills a
cart, registers and verifies by mail, logs in with the cart's id, the carts merge, checkout
makes an order whose confirmation mail arrives; the abandoned-cart mail arrives once although
both processes sweep; staff pay, ship and refund it."""

from __future__ import annotations

import time
import uuid

import pymongo
import requests

from server.users.service import create_user
from tests.server.test_auth_helpers import PASSWORD, mail_body, token_in

API = "/api/v1"


def test_guest_cart_to_order_on_a_real_server(server_factory, smtp_sink, mongo_uri):
    server = server_factory(workers=2, TILLPOINT_ABANDONED_CART_HOURS="0",
                            TILLPOINT_SEARCH_WORKER="0")
    db = pymongo.MongoClient(mongo_uri, tz_aware=True)[server_factory.database]
    http = requests.Session()

    def call(method, path, body=None, token=None, ok=(200, 201, 204)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = http.request(method, server.url(API + path), json=body, headers=headers,
                                timeout=30)
        assert response.status_code in ok, (path, response.status_code, response.text)
        return response.json() if response.content else None

    tag = uuid.uuid4().hex[:8]
    create_user(db, email=f"boss-{tag}@example.com", role="owner", password=PASSWORD,
                verified=True, actor="test", ip=None, rounds=4)
    boss = call("POST", "/auth/login", {"email": f"boss-{tag}@example.com",
                                        "password": PASSWORD})["access_token"]
    shirt = call("POST", "/products", {"name": "Shirt", "prices": {"EUR": 2000},
                                       "variants": [{"sku": f"SH-{tag}"}]}, boss)
    socks = call("POST", "/products", {"name": "Socks", "prices": {"EUR": 500},
                                       "variants": [{"sku": f"SO-{tag}"}]}, boss)

    guest = call("POST", "/carts")  # the first cart creates the default online store
    store = call("GET", "/stores", token=boss)["items"][0]
    for view in (shirt, socks):
        call("POST", "/inventory/movements", {"kind": "receipt", "store_id": store["id"],
                                              "variant_id": view["variants"][0]["id"],
                                              "quantity_milli": 5000}, boss)
    call("POST", f"/carts/{guest['id']}/items", {"product_id": shirt["id"], "quantity": 1})
    call("POST", f"/carts/{guest['id']}/items", {"product_id": socks["id"], "quantity": 2})

    email = f"shopper-{tag}@example.com"
    call("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "Sam"})
    verify = smtp_sink.wait_for(email, subject_contains="Confirm your e-mail")
    call("POST", "/auth/verify-email", {"token": token_in(mail_body(verify))})
    token = call("POST", "/auth/login", {"email": email, "password": PASSWORD,
                                         "cart_id": guest["id"]})["access_token"]
    cart = call("POST", "/carts", token=token)
    assert cart["owner"] == "customer" and cart["id"] != guest["id"]
    assert {ln["product_id"]: ln["quantity"] for ln in cart["lines"]} == {shirt["id"]: 1,
                                                                        socks["id"]: 2}
    assert cart["subtotal"] == 3000 and cart["total"] == 3000 + 495  # shipping below 50.00
    call("GET", f"/carts/{guest['id']}", ok=(404,))

    # the merged cart has items and a known address: with a zero delay both processes'
    # sweepers find it; the mail arrives once
    abandoned = smtp_sink.wait_for(email, subject_contains="You left something")
    assert cart["id"] in mail_body(abandoned)

    order = call("POST", f"/carts/{cart['id']}/checkout",
                 {"shipping_address": {"name": "Sam", "line1": "2 Lane", "city": "York",
                                       "postcode": "YO1", "country": "GB"}}, token)
    assert order["number"] == f"{store['code']}-WEB-000001" and order["email"] == email
    assert order["subtotal"] == 3000 and order["shipping_total"] == 495
    confirmation = smtp_sink.wait_for(email, subject_contains=f"Your order {order['number']}")
    assert "Total: 34.95 EUR" in mail_body(confirmation)
    assert [o["id"] for o in call("GET", "/account/orders", token=token)["items"]] == [order["id"]]

    order = call("POST", f"/orders/{order['id']}/payments",
                 {"method": "card", "amount": order["total"], "provider_ref": "pi_1"}, boss)
    assert order["status"] == "confirmed"
    for status in ("processing", "shipped"):
        order = call("POST", f"/orders/{order['id']}/status",
                     {"status": status, "reason": "e2e", "version": order["version"],
                      "tracking_number": "TRACK-9"}, boss)
    smtp_sink.wait_for(email, subject_contains="has shipped")
    refund = call("POST", f"/orders/{order['id']}/refunds",
                  {"lines": [{"index": 1, "quantity": 2}], "reason": "too small"}, boss)
    assert refund["refund"]["amount"] == 1000 and refund["order"]["status"] == "shipped"

    # both processes kept sweeping meanwhile: still exactly one abandoned-cart mail
    deadline = time.monotonic() + 20
    while db.email_outbox.count_documents({"kind": "abandoned_cart", "status": "sent"}) < 1:
        assert time.monotonic() < deadline, "the abandoned-cart mail was never marked sent"
        time.sleep(0.2)
    time.sleep(2.5)  # two more sweeps of each process (one a second with a zero delay)
    assert db.email_outbox.count_documents({"kind": "abandoned_cart"}) == 1
    sent = [m for m in smtp_sink.messages
            if m["To"] and email in m["To"] and "You left something" in (m["Subject"] or "")]
    assert len(sent) == 1

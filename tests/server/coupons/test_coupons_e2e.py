"""Coupon limits under concurrent requests on a real ``tillpoint-server`` process (two
workers): guest carts holding the same coupon check out at once over HTTP, and exactly
``usage_limit`` orders get the discount; the rest are refused with 422 naming the coupon and
leave no order, no redemption and no held stock behind."""

from __future__ import annotations

import threading
import uuid

import pymongo
import requests

from server.inventory import service as inventory
from server.users.service import create_user
from tests.server.orders.fixtures import ADDRESS
from tests.server.test_users import PASSWORD

CARTS, LIMIT = 8, 3


def test_concurrent_checkouts_over_http_never_overuse_a_coupon(server_factory, mongo_uri):
    server = server_factory(workers=2)
    db = pymongo.MongoClient(mongo_uri, tz_aware=True)[server_factory.database]
    owner_email = f"owner-{uuid.uuid4().hex[:6]}@example.com"
    create_user(db, email=owner_email, role="owner", password=PASSWORD, verified=True,
                actor="test", ip=None, rounds=4)
    http = requests.Session()

    def call(method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http.request(method, server.url(f"/api/v1{path}"), headers=headers, timeout=30,
                            **kwargs)

    login = call("POST", "/auth/login", json={"email": owner_email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    owner = login.json()["access_token"]
    product = call("POST", "/products", owner, json={
        "name": "Raced mug", "prices": {"EUR": 2000}, "variants": [{"sku": "RACE-1"}]})
    assert product.status_code == 201, product.text
    product_id, variant_id = product.json()["id"], product.json()["variants"][0]["id"]
    store = db.stores.find_one({}) or {}
    if not store:  # a fresh server makes the default store when it is first needed
        assert call("POST", "/carts").status_code == 201
        store = db.stores.find_one({})
    receipt = call("POST", "/inventory/movements", owner, json={
        "kind": "receipt", "store_id": store["_id"], "variant_id": variant_id,
        "quantity_milli": 50_000})
    assert receipt.status_code in (200, 201), receipt.text
    offer = call("POST", "/coupons", owner, json={"code": "RACE-OFF", "kind": "percent",
                                                  "value": "25", "usage_limit": LIMIT})
    assert offer.status_code == 201, offer.text
    carts = []
    for _ in range(CARTS):
        cart = call("POST", "/carts").json()["id"]
        assert call("POST", f"/carts/{cart}/items",
                    json={"product_id": product_id, "quantity": 1}).status_code == 201
        applied = call("POST", f"/carts/{cart}/coupon", json={"code": "race-off"})
        assert applied.status_code == 200, applied.text
        carts.append(cart)

    barrier = threading.Barrier(CARTS)
    answers: list[requests.Response] = []

    def checkout(cart_id: str) -> None:
        session = requests.Session()
        barrier.wait()
        answers.append(session.post(server.url(f"/api/v1/carts/{cart_id}/checkout"), timeout=60,
                                    json={"email": "racer@example.com",
                                          "shipping_address": ADDRESS}))

    threads = [threading.Thread(target=checkout, args=(c,)) for c in carts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    won = [a.json() for a in answers if a.status_code == 201]
    lost = [a for a in answers if a.status_code != 201]
    assert len(won) == LIMIT, [(a.status_code, a.text[:200]) for a in answers]
    assert all(o["coupon_code"] == "RACE-OFF" and o["discount_total"] == 500 for o in won)
    for answer in lost:
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"]["field"] == "coupon"
    coupon = call("GET", f"/coupons/{offer.json()['id']}", owner).json()
    assert coupon["used"] == LIMIT
    redemptions = call("GET", f"/coupons/{offer.json()['id']}/redemptions", owner).json()
    assert sorted(r["order_id"] for r in redemptions["items"]) == sorted(o["id"] for o in won)
    assert db.orders.count_documents({}) == LIMIT
    held = inventory.levels_for(db, store_id=store["_id"], variant_ids=[variant_id])[variant_id]
    assert held["reserved_milli"] == LIMIT * 1000

"""GDPR export and erase, end to end in-process over the real database: a customer who
registered, was edited by staff, checked out as a signed-in customer with a coupon and once
more as a guest with the same email, and received mails. The export holds all of it; after
the erase a scan of EVERY collection finds none of their personal strings."""

from __future__ import annotations

import json
import uuid

from server.changes.log import CUSTOMERS_FEED, read, state
from server.mail.worker import EmailWorker
from tests.server.inventory.fixtures import (headers_for, new_product, new_store, receive,
                                             variant_of)
from tests.server.test_auth_helpers import bearer, login, tokens_for

API = "/api/v1"


def _person() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"name": f"Quillan{tag}", "email": f"quillan.{tag}@example.com",
            "phone": f"+44 20 7946 {int(tag, 16) % 10_000:04d}",
            "street": f"{tag} Lindenallee 17"}


def _checkout(client, headers, person, product_id, *, coupon: str | None, email=None):
    cart = client.post(f"{API}/carts", headers=headers)
    assert cart.status_code in (200, 201), cart.text
    cart_id = cart.json()["id"]
    r = client.post(f"{API}/carts/{cart_id}/items", headers=headers,
                    json={"product_id": product_id, "quantity": 1})
    assert r.status_code == 201, r.text
    if coupon:
        r = client.post(f"{API}/carts/{cart_id}/coupon", headers=headers, json={"code": coupon})
        assert r.status_code == 200, r.text
    address = {"name": person["name"], "line1": person["street"], "city": "Berlin",
               "postcode": "10115", "country": "DE", "phone": person["phone"]}
    r = client.post(f"{API}/carts/{cart_id}/checkout", headers=headers,
                    json={"shipping_address": address, **({"email": email} if email else {})})
    assert r.status_code == 201, r.text
    return r.json()


def _seed(client, settings, person):
    db = client.app.state.mongo.db
    if db.stores.count_documents({}) == 0:
        new_store(db, code="S01")
    store_id = db.stores.find_one({"code": "S01"})["_id"]
    product = new_product(db, name="Linen shirt")
    clerk = headers_for(client, "stock_clerk")
    assert receive(client, clerk, store_id, variant_of(product), 10_000).status_code == 201
    owner = headers_for(client, "owner")
    code = f"GDPR{uuid.uuid4().hex[:6]}".upper()
    r = client.post(f"{API}/coupons", headers=owner,
                    json={"code": code, "kind": "percent", "value": "10"})
    assert r.status_code == 201, r.text
    tokens = tokens_for(client, db, person["email"])
    shopper = bearer(tokens["access_token"])
    online = _checkout(client, shopper, person, product["_id"], coupon=code)
    guest = _checkout(client, {}, person, product["_id"], coupon=None, email=person["email"])
    customer_id = online["customer_id"]
    staff = headers_for(client, "cashier")
    current = client.get(f"{API}/customers/{customer_id}", headers=staff).json()
    r = client.patch(f"{API}/customers/{customer_id}", headers=staff,
                     json={"version": current["version"], "name": person["name"],
                           "phone": person["phone"], "notes": f"prefers {person['street']}"})
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/customers/{customer_id}/addresses", headers=staff,
                    json={"name": person["name"], "line1": person["street"], "city": "Berlin",
                          "country": "DE", "phone": person["phone"]})
    assert r.status_code == 201, r.text
    EmailWorker(db, settings).run_once()  # some mails sent, some may still wait
    return customer_id, online, guest, owner


def _scan(db, strings: list[str]) -> list[str]:
    found = []
    for name in db.list_collection_names():
        for doc in db[name].find():
            text = json.dumps(doc, default=str, ensure_ascii=False).lower()
            found += [f"{name}: {s!r} in {doc.get('_id')}" for s in strings if s.lower() in text]
    return found


def test_the_export_holds_everything_about_the_customer(client, settings):
    person = _person()
    customer_id, online, guest, owner = _seed(client, settings, person)
    r = client.get(f"{API}/customers/{customer_id}/export", headers=owner)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["customer"]["name"] == person["name"]
    assert data["customer"]["addresses"][0]["line1"] == person["street"]
    assert data["account"]["email"] == person["email"] and "password_hash" not in data["account"]
    assert {o["id"] for o in data["orders"]} == {online["id"], guest["id"]}
    assert data["carts"] and all(c["status"] == "converted" for c in data["carts"])
    assert [x["order_id"] for x in data["coupon_redemptions"]] == [online["id"]]
    assert data["coupon_usage"] and data["coupon_usage"][0]["count"] == 1
    kinds = {m["kind"] for m in data["mails"]}
    assert "verify_email" in kinds and len(data["mails"]) >= 3
    assert all("text" not in m for m in data["mails"] if m["kind"] == "verify_email")
    actions = {e["action"] for e in data["audit"]}
    assert {"user.created", "customer.updated", "customer.address_added"} <= actions
    assert data["refunds"] == []
    json.dumps(data)  # plain JSON all the way down


def test_erase_leaves_nothing_personal_in_any_collection(client, settings):
    db = client.app.state.mongo.db
    person = _person()
    customer_id, online, guest, owner = _seed(client, settings, person)
    strings = list(person.values())
    assert len(_scan(db, strings)) > 10  # the scan does see them where they live
    feed_before = state(db, CUSTOMERS_FEED).seq
    r = client.post(f"{API}/customers/{customer_id}/erase", headers=owner)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": customer_id, "erased": True, "version": r.json()["version"]}
    assert _scan(db, strings) == []
    # the books keep amounts, lines and dates
    for order in (online, guest):
        kept = db.orders.find_one({"_id": order["id"]})
        assert kept["total"] == order["total"] and len(kept["lines"]) == 1
        assert kept["created_at"] and kept["email"] is None and kept["shipping_address"] is None
    # the account is gone for good
    user = db.users.find_one({"_id": online["user_id"]}) if online.get("user_id") else \
        db.users.find_one({"email": {"$regex": "^erased-"}})
    assert user["active"] is False and user["email"] == f"erased-{user['_id']}@invalid"
    assert login(client, person["email"]).status_code == 401
    # the feed ends with the tombstone; the audit entry names no one
    [tombstone] = read(db, CUSTOMERS_FEED, after=feed_before, limit=10)
    assert tombstone["op"] == "delete" and tombstone["entity_id"] == customer_id
    entry = db.audit_log.find_one({"action": "customer.erased", "target": customer_id})
    assert entry["actor"].startswith("user:") and entry["details"]["orders_anonymised"] == 2
    # erasing again changes nothing; the customer reads as a tombstone; edits are refused
    assert client.post(f"{API}/customers/{customer_id}/erase", headers=owner).status_code == 200
    assert client.get(f"{API}/customers/{customer_id}", headers=owner).json()["erased"] is True
    r = client.patch(f"{API}/customers/{customer_id}", headers=owner,
                     json={"version": 9, "name": "Back"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "customer_erased"
    assert client.get(f"{API}/customers/{customer_id}/orders",
                      headers=owner).json()["items"][0]["email"] is None

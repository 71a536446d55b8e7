"""The stock ledger and a customer's GDPR erase over HTTP against a real two-worker
``tillpoint-server`` process, its own mail worker delivering to the real SMTP sink."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pymongo
import requests

from server.changes.log import store_feed
from server.users.service import create_user
from tests.server.test_auth_helpers import PASSWORD


def _account(db, role: str, **fields) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    create_user(db, email=email, role=role, password=PASSWORD, verified=True, actor="test",
                ip=None, rounds=4, **fields)
    return email


def test_stock_and_erase_on_a_real_server(server_factory, smtp_sink, mongo_uri):
    server = server_factory(workers=2)
    db = pymongo.MongoClient(mongo_uri, tz_aware=True)[server_factory.database]
    http = requests.Session()
    owner = _account(db, "owner")
    token = http.post(server.url("/api/v1/auth/login"),
                      json={"email": owner, "password": PASSWORD}, timeout=10).json()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"

    def call(method: str, path: str, **kw):
        return http.request(method, server.url(f"/api/v1{path}"), timeout=20, **kw)

    stores = [call("POST", "/stores", json={"code": code, "name": f"Shop {code}",
                                            "currency": "EUR"}).json()["id"]
              for code in ("S01", "S02")]
    manager = _account(db, "manager", store_ids=[stores[0]])
    r = call("POST", "/products", json={"name": "Sourdough", "prices": {"EUR": 450},
                                        "low_stock_threshold_milli": 2_000,
                                        "variants": [{"sku": f"SD-{uuid.uuid4().hex[:6]}"}]})
    assert r.status_code == 201, r.text
    variant_id = r.json()["variants"][0]["id"]

    def move(quantity: int, kind: str = "adjustment"):
        body = {"kind": kind, "store_id": stores[0], "variant_id": variant_id,
                "quantity_milli": quantity}
        if kind == "adjustment":
            body["reason"] = "correction"
        return call("POST", "/inventory/movements", json=body)

    assert move(30_000, "receipt").status_code == 201
    with ThreadPoolExecutor(8) as pool:  # both workers write the same level at once
        statuses = list(pool.map(lambda _: move(-1_000).status_code, range(24)))
    assert statuses == [201] * 24
    assert move(-3_000).status_code == 201  # 3 left: still above the threshold
    assert move(-1_000).status_code == 201  # 2: the crossing
    assert move(-1_000).status_code == 201  # 1: no second mail
    levels = call("GET", "/inventory/levels", params={"store_id": stores[0]}).json()["items"]
    assert [(x["on_hand_milli"], x["low_stock"]) for x in levels] == [(1_000, True)]
    total = sum(m["quantity_milli"] for m in db.stock_movements.find({"variant_id": variant_id}))
    assert total == 1_000
    seqs = [e["seq"] for e in db.change_log.find({"feed": store_feed(stores[0])})]
    assert sorted(seqs) == list(range(1, len(seqs) + 1))
    for to in (manager, owner):
        mail = smtp_sink.wait_for(to, subject_contains="Low stock: Sourdough")
        assert "S01" in mail["Subject"]
    r = call("POST", "/inventory/transfers", json={
        "from_store_id": stores[0], "to_store_id": stores[1],
        "lines": [{"variant_id": variant_id, "quantity_milli": 1_000}]})
    assert r.status_code == 201, r.text
    moved = call("GET", "/inventory/movements", params={"variant_id": variant_id,
                                                        "per_page": 2}).json()["items"]
    assert sorted(m["kind"] for m in moved) == ["transfer_in", "transfer_out"]
    assert len([m for m in smtp_sink.messages if m["To"] == manager]) == 1

    # A customer's erase over HTTP leaves none of their strings anywhere in the database.
    person = {"name": f"Ysolde{uuid.uuid4().hex[:6]}", "email":
              f"ysolde.{uuid.uuid4().hex[:6]}@example.com", "phone": "+49 30 901820",
              "line1": f"{uuid.uuid4().hex[:6]} Gartenweg 3"}
    r = call("POST", "/customers", json={
        "name": person["name"], "email": person["email"], "phone": person["phone"],
        "addresses": [{"line1": person["line1"], "city": "Berlin", "country": "DE"}]})
    assert r.status_code == 201, r.text
    customer_id = r.json()["id"]
    exported = call("GET", f"/customers/{customer_id}/export").json()
    assert exported["customer"]["addresses"][0]["line1"] == person["line1"]
    assert call("POST", f"/customers/{customer_id}/erase").status_code == 200
    leftovers = [name for name in db.list_collection_names() for doc in db[name].find()
                 if any(v.lower() in json.dumps(doc, default=str).lower()
                        for v in person.values())]
    assert leftovers == []
    assert call("GET", f"/customers/{customer_id}").json() == {
        "id": customer_id, "erased": True, "version": 2}

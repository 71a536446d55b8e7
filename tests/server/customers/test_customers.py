"""Customers over HTTP on the real database: CRUD with versions, unique emails, addresses,
list filters, the feed, and one record per online account even under concurrency."""

from __future__ import annotations

import threading
import uuid

from server.changes.log import CUSTOMERS_FEED, read, state
from server.customers.service import customer_for_user
from tests.server.test_users import auth, make_user

API = "/api/v1/customers"
ADDRESS = {"label": "home", "name": "Ann Lee", "line1": "12 Rue Oberkampf", "city": "Paris",
           "postcode": "75011", "country": "fr"}


def _headers(client, role: str = "cashier") -> dict[str, str]:
    return auth(client, make_user(client, role))


def _field(response) -> str:
    details = response.json()["error"]["details"]
    return details[0]["field"] if isinstance(details, list) else details["field"]


def test_create_read_update_with_versions_and_the_feed(client):
    db = client.app.state.mongo.db
    staff = _headers(client)
    before = state(db, CUSTOMERS_FEED).seq
    r = client.post(API, headers=staff, json={"name": "Ann Lee", "email": " Ann@Example.COM ",
                                              "phone": "+33 1 23 45 67 89",
                                              "addresses": [ADDRESS]})
    assert r.status_code == 201, r.text
    ann = r.json()
    assert ann["email"] == "ann@example.com" and ann["version"] == 1
    assert ann["addresses"][0]["country"] == "FR" and ann["addresses"][0]["id"]
    assert client.get(f"{API}/{ann['id']}", headers=staff).json() == ann
    r = client.patch(f"{API}/{ann['id']}", headers=staff,
                     json={"version": 1, "name": "Ann Lee-Smith", "marketing_opt_in": True})
    assert r.status_code == 200 and r.json()["version"] == 2
    stale = client.patch(f"{API}/{ann['id']}", headers=staff, json={"version": 1, "notes": "x"})
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["current_version"] == 2
    entries = read(db, CUSTOMERS_FEED, after=before, limit=10)
    assert [(e["entity"], e["entity_id"], e["version"]) for e in entries] == \
        [("customer", ann["id"], 1), ("customer", ann["id"], 2)]
    assert entries[-1]["data"]["name"] == "Ann Lee-Smith"
    entry = db.audit_log.find_one({"action": "customer.updated", "target": ann["id"]})
    assert entry["details"] == {"fields": ["marketing_opt_in", "name"]}  # never the values
    assert client.get(f"{API}/{uuid.uuid4()}", headers=staff).status_code == 404
    assert client.patch(f"{API}/{uuid.uuid4()}", headers=staff,
                        json={"version": 1, "notes": "x"}).status_code == 404


def test_an_email_is_validated_and_unique(client):
    staff = _headers(client)
    email = f"bo-{uuid.uuid4().hex[:6]}@example.com"
    assert client.post(API, headers=staff, json={"name": "Bo", "email": email}).status_code == 201
    r = client.post(API, headers=staff, json={"name": "Other Bo", "email": email.upper()})
    assert r.status_code == 409 and _field(r) == "email"
    r = client.post(API, headers=staff, json={"name": "Bo", "email": "not an address"})
    assert r.status_code == 422 and _field(r) == "email"
    no_email = client.post(API, headers=staff, json={"name": "Walk-in"})
    also = client.post(API, headers=staff, json={"name": "Walk-in"})
    assert no_email.status_code == also.status_code == 201
    other = no_email.json()
    r = client.patch(f"{API}/{other['id']}", headers=staff, json={"version": 1, "email": email})
    assert r.status_code == 409 and _field(r) == "email"
    # an email given up is free again
    [bo] = client.get(API, headers=staff, params={"email": email}).json()["items"]
    assert client.patch(f"{API}/{bo['id']}", headers=staff,
                        json={"version": bo["version"], "email": None}).status_code == 200
    r = client.patch(f"{API}/{other['id']}", headers=staff, json={"version": 1, "email": email})
    assert r.status_code == 200 and r.json()["email"] == email


def test_addresses_are_validated_edited_and_removed(client):
    staff = _headers(client)
    customer = client.post(API, headers=staff, json={"name": "Cy"}).json()
    url = f"{API}/{customer['id']}/addresses"
    for bad, field in [({**ADDRESS, "country": "XX"}, "country"),
                       ({**ADDRESS, "country": "FRA"}, "country"),
                       ({**ADDRESS, "line1": ""}, "line1"),
                       ({**ADDRESS, "postcode": "1" * 21}, "postcode"),
                       ({**ADDRESS, "phone": "call me"}, "phone"),
                       ({**ADDRESS, "floor": 3}, "floor")]:
        r = client.post(url, headers=staff, json=bad)
        assert r.status_code == 422 and _field(r) == field, (bad, r.text)
    r = client.post(url, headers=staff, json=ADDRESS)
    assert r.status_code == 201
    address_id = r.json()["addresses"][0]["id"]
    r = client.patch(f"{url}/{address_id}", headers=staff, json={"city": "Lyon"})
    assert r.status_code == 200 and r.json()["addresses"][0]["city"] == "Lyon"
    assert r.json()["addresses"][0]["line1"] == ADDRESS["line1"]
    assert client.patch(f"{url}/{uuid.uuid4()}", headers=staff,
                        json={"city": "Lyon"}).status_code == 404
    r = client.delete(f"{url}/{address_id}", headers=staff)
    assert r.status_code == 200 and r.json()["addresses"] == []
    assert client.delete(f"{url}/{address_id}", headers=staff).status_code == 404
    assert client.post(f"{API}/{uuid.uuid4()}/addresses", headers=staff,
                       json=ADDRESS).status_code == 404


def test_the_list_filters_by_exact_email_and_name_prefix(client):
    staff = _headers(client)
    tag = uuid.uuid4().hex[:6]
    names = [f"Zed{tag} Alpha", f"zed{tag} Beta", f"Zed{tag} Gamma", f"Other{tag}"]
    emails = [f"c{n}{tag}@ex.com" for n in range(len(names))]
    ids = [client.post(API, headers=staff, json={"name": n, "email": e}).json()["id"]
           for n, e in zip(names, emails)]
    r = client.get(API, headers=staff, params={"name": f"zed{tag}", "per_page": 2})
    assert [c["name"] for c in r.json()["items"]] == names[:2] and r.json()["has_more"]
    r = client.get(API, headers=staff, params={"name": f"zed{tag}", "per_page": 2, "page": 2})
    assert [c["name"] for c in r.json()["items"]] == names[2:3]
    r = client.get(API, headers=staff, params={"email": emails[3].upper()})
    assert [c["id"] for c in r.json()["items"]] == ids[3:]
    r = client.get(API, headers=staff, params={"colour": "red"})
    assert r.status_code == 422 and _field(r) == "colour"
    r = client.get(API, headers=staff, params={"email": "nope"})
    assert r.status_code == 422 and _field(r) == "email"


def test_who_may_read_write_and_erase_customers(client):
    support, clerk, manager = (_headers(client, r) for r in ("support", "stock_clerk",
                                                              "manager"))
    assert client.get(API, headers=support).status_code == 200
    assert client.post(API, headers=support, json={"name": "X"}).status_code == 403
    assert client.get(API, headers=clerk).status_code == 403
    customer = client.post(API, headers=manager, json={"name": "X"}).json()
    cashier = _headers(client, "cashier")
    assert client.get(f"{API}/{customer['id']}/export", headers=cashier).status_code == 403
    assert client.post(f"{API}/{customer['id']}/erase", headers=support).status_code == 403
    assert client.get(f"{API}/{customer['id']}/export", headers=manager).status_code == 200


def test_one_customer_record_per_account_even_when_requests_race(client):
    db = client.app.state.mongo.db
    user = make_user(client, "customer", name="Dee")
    before = state(db, CUSTOMERS_FEED).seq
    start = threading.Barrier(6)
    found: list[str] = []

    def first_use() -> None:
        start.wait()
        found.append(customer_for_user(db, user)["_id"])

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 6 and len(set(found)) == 1
    assert db.customers.count_documents({"user_id": user["_id"]}) == 1
    customer = db.customers.find_one({"user_id": user["_id"]})
    assert customer["email"] == user["email"] and customer["name"] == "Dee"
    entries = read(db, CUSTOMERS_FEED, after=before, limit=50)
    assert [e["entity_id"] for e in entries] == [customer["_id"]]
    assert customer_for_user(db, user)["_id"] == customer["_id"]

"""Stores over ``/api/v1/stores``: owners write, back-office staff read, versions are checked
and codes never change."""

from __future__ import annotations

import uuid

from tests.server.test_users import API, as_role

STORE = {"code": "s01", "name": "Harbour Street", "currency": "eur", "prices_include_tax": True,
         "address": "1 Harbour Street", "tax_number": "DE123456789", "timezone": "Europe/Berlin"}


def test_an_owner_creates_and_edits_a_store(client):
    _, owner = as_role(client, "owner")
    created = client.post(f"{API}/stores", json=STORE, headers=owner)
    assert created.status_code == 201, created.text
    store = created.json()
    assert (store["code"], store["currency"], store["version"]) == ("S01", "EUR", 1)
    assert client.get(f"{API}/stores/{store['id']}", headers=owner).json() == store
    patched = client.patch(f"{API}/stores/{store['id']}", headers=owner,
                           json={"version": 1, "name": "Harbour St.", "prices_include_tax": False})
    assert patched.status_code == 200
    assert patched.json()["name"] == "Harbour St." and patched.json()["version"] == 2
    assert patched.json()["prices_include_tax"] is False and patched.json()["code"] == "S01"
    stale = client.patch(f"{API}/stores/{store['id']}", headers=owner, json={"version": 1, "name": "X"})
    assert stale.status_code == 409 and stale.json()["error"]["details"] == {"current_version": 2}
    again = client.post(f"{API}/stores", json=STORE | {"name": "Other"}, headers=owner)
    assert again.status_code == 409 and again.json()["error"]["code"] == "store_code_taken"
    entries = client.app.state.mongo.db.audit_log.find({"target": store["id"]})
    assert sorted(e["action"] for e in entries) == ["store.created", "store.updated"]


def test_store_input_is_validated(client):
    _, owner = as_role(client, "owner")
    for override in ({"code": "S-01"}, {"code": ""}, {"currency": "EURO"}, {"currency": "€UR"},
                     {"timezone": "Mars/Olympus"}, {"timezone": "../../etc/passwd"},
                     {"prices_include_tax": "yes"}, {"name": ""}, {"vat": 20}):
        response = client.post(f"{API}/stores", json=STORE | override, headers=owner)
        assert response.status_code == 422, (override, response.text)
    created = client.post(f"{API}/stores", json=STORE, headers=owner).json()
    for body in ({"version": 1, "code": "S02"}, {"version": 1}, {"version": 0, "name": "x"}):
        response = client.patch(f"{API}/stores/{created['id']}", headers=owner, json=body)
        assert response.status_code == 422, (body, response.text)
    missing = client.patch(f"{API}/stores/{uuid.uuid4()}", headers=owner, json={"version": 1, "name": "x"})
    assert missing.status_code == 404


def test_back_office_staff_read_stores_and_only_owners_write(client):
    _, owner = as_role(client, "owner")
    store = client.post(f"{API}/stores", json=STORE, headers=owner).json()
    for role in ("manager", "moderator", "support", "stock_clerk"):
        _, headers = as_role(client, role)
        assert client.get(f"{API}/stores", headers=headers).json()["items"][0]["id"] == store["id"]
        assert client.post(f"{API}/stores", json=STORE | {"code": "S02"},
                           headers=headers).status_code == 403
    for role in ("cashier", "customer"):
        _, headers = as_role(client, role)
        assert client.get(f"{API}/stores/{store['id']}", headers=headers).status_code == 403
    assert client.get(f"{API}/stores").status_code == 401


def test_stores_are_listed_by_code_a_page_at_a_time(client):
    _, owner = as_role(client, "owner")
    for code in ("S03", "S01", "S02"):
        client.post(f"{API}/stores", json=STORE | {"code": code}, headers=owner)
    first = client.get(f"{API}/stores?per_page=2", headers=owner).json()
    second = client.get(f"{API}/stores?per_page=2&page=2", headers=owner).json()
    assert [s["code"] for s in first["items"]] == ["S01", "S02"] and first["has_more"]
    assert [s["code"] for s in second["items"]] == ["S03"] and not second["has_more"]


def test_staff_are_assigned_to_existing_stores_only(client):
    _, owner = as_role(client, "owner")
    store = client.post(f"{API}/stores", json=STORE, headers=owner).json()
    staff = client.post(f"{API}/users", headers=owner, json={
        "email": "clerk@example.com", "password": "a-long-enough-password", "role": "stock_clerk",
        "store_ids": [store["id"], store["id"]]}).json()
    assert staff["store_ids"] == [store["id"]]
    moved = client.patch(f"{API}/users/{staff['id']}", headers=owner,
                         json={"version": 1, "store_ids": [store["id"], "gone"]})
    assert moved.status_code == 422 and moved.json()["error"]["details"]["unknown"] == ["gone"]
    cleared = client.patch(f"{API}/users/{staff['id']}", headers=owner, json={"version": 1, "store_ids": []})
    assert cleared.status_code == 200 and cleared.json()["store_ids"] == []

"""Categories as a tree (paths, moves that rewrite the subtree, cycles refused, archive) and
tax classes (CRUD in ppm, versions, in-use refusal), each write on the catalog feed."""

from __future__ import annotations

from server.changes import log as change_log
from tests.server.catalog.helpers import create, writer
from tests.server.test_users import API


def category(client, headers, name, parent=None) -> dict:
    body = {"name": name} | ({"parent_id": parent["id"]} if parent else {})
    response = client.post(f"{API}/categories", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_tree_paths_moves_and_cycles(client):
    staff = writer(client)
    home = category(client, staff, "Home & Garden")
    kitchen = category(client, staff, "Kitchen", home)
    knives = category(client, staff, "Knives", kitchen)
    assert home["slug"] == "home-garden" and knives["path"] == [home["id"], kitchen["id"]]
    for target in (knives, kitchen):  # under its own subtree, or under itself
        cycle = client.patch(f"{API}/categories/{kitchen['id']}", headers=staff,
                             json={"version": kitchen["version"], "parent_id": target["id"]})
        assert cycle.status_code == 422, cycle.text
        assert cycle.json()["error"]["details"]["field"] == "parent_id"
    moved = client.patch(f"{API}/categories/{kitchen['id']}", headers=staff,
                         json={"version": 1, "parent_id": None}).json()
    assert moved["path"] == [] and moved["parent_id"] is None and moved["version"] == 2
    below = client.get(f"{API}/categories/{knives['id']}").json()
    assert below["path"] == [kitchen["id"]] and below["version"] == 2
    entries = change_log.read(client.app.state.mongo.db, "catalog", after=0, limit=100)
    assert [e["data"]["path"] for e in entries if e["entity_id"] == knives["id"]][-1] == [kitchen["id"]]
    back = client.patch(f"{API}/categories/{home['id']}", headers=staff,
                        json={"version": 1, "parent_id": knives["id"]})
    assert back.status_code == 200 and back.json()["path"] == [kitchen["id"], knives["id"]]
    tree = client.get(f"{API}/categories?format=tree").json()["items"]
    assert [c["name"] for c in tree] == ["Kitchen"]
    assert tree[0]["children"][0]["children"][0]["name"] == "Home & Garden"
    stale = client.patch(f"{API}/categories/{home['id']}", json={"version": 1, "name": "x"},
                         headers=staff)
    assert stale.status_code == 409 and stale.json()["error"]["details"]["current_version"] == 2


def test_archive_and_unarchive_a_category(client):
    staff = writer(client)
    made = category(client, staff, "Seasonal")
    gone = client.delete(f"{API}/categories/{made['id']}", headers=staff).json()
    assert gone["archived"] is True
    assert made["id"] not in [c["id"] for c in client.get(f"{API}/categories").json()["items"]]
    refused = client.post(f"{API}/products", headers=staff, json={
        "name": "x", "category_id": made["id"], "variants": [{"sku": "ARCH-1"}]})
    assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "category_id"
    back = client.patch(f"{API}/categories/{made['id']}", json={"version": 2, "archived": False},
                        headers=staff)
    assert back.json()["archived"] is False


def test_unknown_parent_and_bad_input(client):
    staff = writer(client)
    missing = client.post(f"{API}/categories", json={"name": "x", "parent_id": "nope"},
                          headers=staff)
    assert missing.status_code == 422 and missing.json()["error"]["details"]["field"] == "parent_id"
    assert client.post(f"{API}/categories", json={"name": ""}, headers=staff).status_code == 422
    assert client.get(f"{API}/categories?colour=red").status_code == 422
    assert client.get(f"{API}/categories/nope").status_code == 404


def test_tax_classes_crud_versions_and_in_use(client):
    staff = writer(client)
    made = client.post(f"{API}/tax-classes", headers=staff, json={
        "name": "Standard", "rates": [{"name": "VAT 21%", "rate_ppm": 210_000}]})
    assert made.status_code == 201
    tax = made.json()
    assert tax["rates"] == [{"name": "VAT 21%", "rate_ppm": 210_000}] and tax["version"] == 1
    for bad in ({"name": "x", "rates": [{"name": "r", "rate_ppm": 1_000_001}]},
                {"name": "x", "rates": [{"name": "r", "rate_ppm": -1}]},
                {"name": "x", "rates": [{"name": "r", "rate_ppm": 0.2}]}):
        response = client.post(f"{API}/tax-classes", json=bad, headers=staff)
        assert response.status_code == 422 and "rates.0.rate_ppm" in response.text
    edited = client.patch(f"{API}/tax-classes/{tax['id']}", headers=staff, json={
        "version": 1, "rates": [{"name": "VAT 20%", "rate_ppm": 200_000}]}).json()
    assert edited["version"] == 2
    assert client.patch(f"{API}/tax-classes/{tax['id']}", json={"version": 1, "name": "y"},
                        headers=staff).status_code == 409
    product = create(client, staff, tax_class_id=tax["id"])
    in_use = client.delete(f"{API}/tax-classes/{tax['id']}", headers=staff)
    assert in_use.status_code == 409 and in_use.json()["error"]["details"]["product_id"] == product["id"]
    spare = client.post(f"{API}/tax-classes", json={"name": "Zero"}, headers=staff).json()
    assert client.delete(f"{API}/tax-classes/{spare['id']}", headers=staff).status_code == 204
    assert client.get(f"{API}/tax-classes/{spare['id']}").status_code == 404
    names = [t["name"] for t in client.get(f"{API}/tax-classes").json()["items"]]
    assert names == ["Standard"]
    entries = change_log.read(client.app.state.mongo.db, "catalog", after=0, limit=100)
    assert [e["op"] for e in entries if e["entity_id"] == spare["id"]] == ["upsert", "delete"]

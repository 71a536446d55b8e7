"""Through the real catalogue routes: a product created, renamed and archived with
``/api/v1/products`` shows up in search, follows its rename and disappears when archived (the
catalogue appends to the change log; search follows it)."""

from __future__ import annotations

from server.security.tokens import issue_access_token
from server.users.service import create_user
from tests.server.search.conftest import wait_for


def _owner_headers(client) -> dict[str, str]:
    app = client.app
    owner = create_user(app.state.mongo.db, email="search-owner@example.com", role="owner",
                        password="search-owner-password", verified=True, actor="test", ip=None,
                        rounds=4)
    token, _, _ = issue_access_token(app.state.jwt_key, user_id=owner["_id"],
                                     email=owner["email"], role="owner", minutes=60)
    return {"Authorization": f"Bearer {token}"}


def _found(client, q: str) -> list[str]:
    response = client.get("/api/v1/search/products", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_catalogue_writes_reach_search(client) -> None:
    headers = _owner_headers(client)
    created = client.post("/api/v1/products", headers=headers, json={
        "name": "Saffron threads", "brand": "Crocus", "tags": ["spice"],
        "prices": {"EUR": 899}, "cost": {"EUR": 400},
        "variants": [{"sku": "SAF-1", "barcodes": ["4006381333931"]}]})
    assert created.status_code == 201, created.text
    product = created.json()
    wait_for(lambda: _found(client, "safron") == [product["id"]], what="created and searchable")
    item = client.get("/api/v1/search/products", params={"q": "saffron"}).json()["items"][0]
    assert item["price"] == 899 and "cost" not in item

    renamed = client.patch(f"/api/v1/products/{product['id']}", headers=headers,
                           json={"version": product["version"], "name": "Turmeric root"})
    assert renamed.status_code == 200, renamed.text
    wait_for(lambda: _found(client, "turmeric") == [product["id"]], what="rename followed")
    assert _found(client, "saffron") == []

    archived = client.delete(f"/api/v1/products/{product['id']}", headers=headers)
    assert archived.status_code == 200, archived.text
    wait_for(lambda: _found(client, "turmeric") == [], what="archived product gone")
    assert _found(client, "4006381333931") == []

"""Bad input gets a 422 naming the field; suggestions; answers before the first build."""

from __future__ import annotations

import pytest

from tests.server.search.conftest import caught_up, ids, wait_for

URL = "/api/v1/search/products"


def _field(response) -> str:
    details = response.json()["error"]["details"]
    return details["field"] if isinstance(details, dict) else details[0]["field"]


@pytest.mark.parametrize("params, field", [
    ({"per_page": 101}, "query.per_page"), ({"per_page": 0}, "query.per_page"),
    ({"page": 0}, "query.page"), ({"min_price": "12.5"}, "query.min_price"),
    ({"min_price": "1e3"}, "query.min_price"), ({"max_price": -1}, "query.max_price"),
    ({"min_price": 500, "max_price": 100}, "min_price"), ({"in_stock": "maybe"}, "query.in_stock"),
    ({"colour": "red"}, "colour"), ({"currency": "EURO"}, "query.currency"),
    ({"currency": "E1R"}, "currency"), ({"q": "x" * 1001}, "query.q"),
])
def test_bad_input_is_422_naming_the_field(client, params, field) -> None:
    response = client.get(URL, params=params)
    assert response.status_code == 422, response.text
    assert _field(response) == field


def test_unknown_suggest_parameter_is_refused(client) -> None:
    response = client.get("/api/v1/search/suggest", params={"q": "a", "limit": 5})
    assert response.status_code == 422 and _field(response) == "limit"


def test_long_query_is_cut_not_refused(catalog, search) -> None:
    item = catalog.product("Pencil")
    wait_for(caught_up(search))
    assert ids(search(q="pencil " + "z" * 900)) == [item["id"]]  # cut at 200, then too long
    assert ids(search(q="pencil " + "zz " * 300)) == [item["id"]]  # short words ignored
    assert ids(search(q=" ".join(["pencil"] * 40))) == [item["id"]]


def test_suggest_completes_words_and_names(catalog, client, search) -> None:
    bar = catalog.product("Chocolate bar", brand="Cocoa")
    catalog.product("Chocolate cake")
    catalog.product("Cheese board")
    wait_for(caught_up(search))

    def suggest(q):
        response = client.get("/api/v1/search/suggest", params={"q": q})
        assert response.status_code == 200, response.text
        return response.json()

    found = suggest("choc")
    assert found["completions"] == ["chocolate"]
    assert {p["name"] for p in found["products"]} == {"Chocolate bar", "Chocolate cake"}
    assert suggest("chocolate b")["completions"] == ["chocolate bar", "chocolate board"]
    assert suggest("ch")["completions"] == ["chocolate", "cheese"]  # the more frequent first
    assert suggest("late")["products"] and suggest("late")["completions"] == []  # inside a name
    assert bar["id"] in {p["id"] for p in suggest("Chocolate B")["products"]}
    assert suggest("")["completions"] == [] and suggest('"*')["products"] == []


def test_answers_before_the_read_model_exists(client, mongo, settings) -> None:
    """No file yet (the follower is off here): an empty, stale answer, never a 5xx."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.database import Mongo

    off = replace(settings, search_worker=False, search_dir=settings.search_dir.parent / "none")
    app = create_app(off, Mongo.open(off.mongodb_uri, off.database))
    with TestClient(app) as other:
        response = other.get(URL, params={"q": "anything"})
        assert response.status_code == 200
        assert response.json()["stale"] is True and response.json()["items"] == []
        assert other.get("/api/v1/search/suggest", params={"q": "an"}).status_code == 200
    app.state.mongo.close()

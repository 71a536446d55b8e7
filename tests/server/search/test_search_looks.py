"""Queries read no MongoDB: the follower records the feed heads and the default currency it saw
(server/search/looks.py), queries read them from SQLite; with no recent look (no follower)
answers are stale and say how far behind they are."""

from __future__ import annotations

from server.search import service
from server.search.follower import Follower
from server.search.query import SearchQuery
from tests.server.search.conftest import wait_for


def test_while_a_follower_looks_a_query_reads_no_mongodb(catalog, mongo, tmp_path) -> None:
    directory = tmp_path / "looked"
    follower = Follower(mongo.db, directory).start()
    try:
        item = catalog.product("Copper kettle")
        wait_for(lambda: service.search(mongo.db, directory, SearchQuery(q="kettle"),
                                        None)["items"], what="indexed")
        # No database at all: everything the answer needs comes from the SQLite files.
        found = service.search(None, directory, SearchQuery(q="kettle"), None)
        assert [i["id"] for i in found["items"]] == [item["id"]]
        assert found["stale"] is False and found["behind"] == 0 and found["currency"] == "EUR"
        assert found["indexed_through"] >= 1
        assert service.suggest(None, directory, "cop")["products"][0]["id"] == item["id"]
    finally:
        follower.stop()


def test_the_default_currency_is_the_first_stores_as_the_follower_saw_it(catalog, mongo,
                                                                         search) -> None:
    catalog.product("Garden hose", prices={"EUR": 2599, "GBP": 2199})
    wait_for(lambda: search(q="hose")["items"], what="indexed")
    assert search(q="hose")["currency"] == "EUR"
    # A store whose code sorts first (the shape server/devices/stores.py stores).
    mongo.db.stores.insert_one({"_id": "first-store", "code": "A00", "name": "First",
                                "currency": "GBP", "prices_include_tax": True, "address": "",
                                "tax_number": "", "timezone": "UTC"})
    found = wait_for(lambda: (r := search(q="hose"))["currency"] == "GBP" and r,
                     what="the new default currency")
    assert found["items"][0]["price"] == 2199 and found["items"][0]["currency"] == "GBP"


def test_without_a_follower_answers_turn_stale_and_count_what_is_missing(catalog, mongo,
                                                                         tmp_path) -> None:
    directory = tmp_path / "abandoned"
    follower = Follower(mongo.db, directory).start()
    try:
        catalog.product("Tin whistle")
        wait_for(lambda: service.search(mongo.db, directory, SearchQuery(q="whistle"),
                                        None)["items"], what="indexed")
    finally:
        follower.stop()  # nobody follows any more: its last look ages
    catalog.product("Brass whistle")
    answer = wait_for(lambda: (r := service.search(mongo.db, directory,
                                                   SearchQuery(q="whistle"), None))["stale"]
                      and r, what="stale once the last look is old")
    assert answer["behind"] == 1 and len(answer["items"]) == 1
    assert answer["currency"] == "EUR"

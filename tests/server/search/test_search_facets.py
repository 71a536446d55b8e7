"""Filters, facets (against a brute-force count over the same products), pagination and
relevance."""

from __future__ import annotations

import random
from collections import Counter

from server.search.query import PRICE_EDGES
from tests.server.search.conftest import caught_up, ids, product_view, wait_for

BRANDS = ("Acme", "Bolt", "Crest", "Dune")
WORDS = ("apple", "banana", "cherry", "grape", "lemon")


def _shop(catalog, seed: int = 7):
    """A small catalogue: a category tree, 120 random products, stock for some."""
    rng = random.Random(seed)
    food = catalog.category("Food")
    fruit = catalog.category("Fruit", food)
    citrus = catalog.category("Citrus", fruit)
    tools = catalog.category("Tools")
    categories = [food, fruit, citrus, tools]
    views = []
    for i in range(120):
        name = " ".join(rng.sample(WORDS, 2)) + f" item{i}"
        views.append(product_view(name, brand=rng.choice(BRANDS),
                                  category_id=rng.choice(categories)["id"],
                                  prices={"EUR": rng.randrange(100, 60000),
                                          "USD": rng.randrange(100, 60000)}))
    catalog.products(views)
    stocked = {v["id"] for v in views if rng.random() < 0.4}
    for view in views:
        if view["id"] in stocked:
            catalog.stock("store-a", view, on_hand_milli=rng.randrange(1000, 5000))
    return categories, views, stocked


def _brute(views, stocked, categories, *, word=None, brand=None, category=None, lo=None, hi=None,
           in_stock=None, currency="EUR"):
    by_id = {c["id"]: c for c in categories}

    def under(cid):
        return cid is not None and (cid == category or category in by_id[cid]["path"])

    keep = []
    for v in views:
        price = v["prices"].get(currency)
        if word and word not in v["name"]:
            continue
        if brand and v["brand"].lower() != brand.lower():
            continue
        if category and not under(v["category_id"]):
            continue
        if lo is not None and (price is None or price < lo):
            continue
        if hi is not None and (price is None or price > hi):
            continue
        if in_stock is not None and (v["id"] in stocked) != in_stock:
            continue
        keep.append(v)
    return keep


def _facets_of(keep, stocked, categories, currency="EUR"):
    by_id = {c["id"]: c for c in categories}
    cats, brands, prices = Counter(), Counter(), Counter()
    for v in keep:
        for node in {*by_id[v["category_id"]]["path"], v["category_id"]}:
            cats[node] += 1
        brands[v["brand"]] += 1
        price = v["prices"][currency]
        prices[max(e for e in PRICE_EDGES if price >= e)] += 1
    stock = Counter(v["id"] in stocked for v in keep)
    return cats, brands, prices, {"true": stock[True], "false": stock[False]}


def test_filters_and_facets_match_a_brute_force_count(catalog, search) -> None:
    categories, views, stocked = _shop(catalog)
    wait_for(caught_up(search))
    food, fruit, citrus, tools = categories
    cases = [dict(), dict(word="apple"), dict(word="cherry", brand="acme"),
             dict(category=fruit["id"]), dict(category=citrus["id"], word="lemon"),
             dict(lo=1000, hi=20000), dict(in_stock=True), dict(in_stock=False, word="grape"),
             dict(brand="Dune", lo=5000), dict(currency="USD", hi=3000)]
    for case in cases:
        params = {"per_page": 100}
        for key, name in (("word", "q"), ("brand", "brand"), ("category", "category"),
                          ("lo", "min_price"), ("hi", "max_price"), ("in_stock", "in_stock"),
                          ("currency", "currency")):
            if key in case:
                params[name] = case[key]
        result = search(**params)
        keep = _brute(views, stocked, categories, **case)
        currency = case.get("currency", "EUR")
        assert result["total"] == len(keep), case
        assert result["facets_approximate"] is False
        cats, brands, prices, stock = _facets_of(keep, stocked, categories, currency)
        assert {c["id"]: c["count"] for c in result["facets"]["category"]} == dict(cats), case
        assert {b["brand"]: b["count"] for b in result["facets"]["brand"]} == dict(brands), case
        assert {p["min"]: p["count"] for p in result["facets"]["price"]} == dict(prices), case
        assert result["facets"]["in_stock"] == stock, case
        if len(keep) <= 100:
            assert set(ids(result)) == {v["id"] for v in keep}, case
        for item in result["items"]:
            assert item["currency"] == currency
            lo, hi = case.get("lo"), case.get("hi")
            assert (lo is None or item["price"] >= lo) and (hi is None or item["price"] <= hi)


def test_in_stock_follows_stock_changes(catalog, search) -> None:
    item = catalog.product("Torch lamp")
    wait_for(caught_up(search))
    assert search(q="torch", in_stock=True)["items"] == []
    assert ids(search(q="torch", in_stock=False)) == [item["id"]]

    catalog.stock("store-b", item, on_hand_milli=2000, reserved_milli=0)
    wait_for(lambda: ids(search(q="torch", in_stock=True)) == [item["id"]], what="in stock")
    assert search(q="torch")["items"][0]["in_stock"] is True

    catalog.stock("store-b", item, on_hand_milli=2000, reserved_milli=2000)  # all reserved
    wait_for(lambda: search(q="torch", in_stock=True)["items"] == [], what="out of stock")
    catalog.stock("store-c", item, on_hand_milli=1, reserved_milli=0)  # another store has one
    wait_for(lambda: ids(search(q="torch", in_stock=True)) == [item["id"]], what="other store")


def test_pages_have_no_duplicates_or_omissions(catalog, search) -> None:
    views = catalog.products([product_view(f"Paper notebook {i}", description="paper" * (i % 3 + 1))
                              for i in range(57)])
    wait_for(caught_up(search))
    for q in ("paper", ""):
        seen = []
        for page in range(1, 8):
            result = search(q=q, page=page, per_page=10)
            assert result["total"] == 57
            seen.extend(ids(result))
        assert len(seen) == len(set(seen)) == 57, q
        assert set(seen) == {v["id"] for v in views}


def test_name_match_ranks_above_description_match(catalog, search) -> None:
    described = catalog.product("Kitchen scale", description="weighs flour and sugar")
    named = catalog.product("Flour sack")
    in_tags = catalog.product("Baking tray", tags=("flour",))
    wait_for(caught_up(search))
    assert ids(search(q="flour")) == [named["id"], in_tags["id"], described["id"]]


def test_summaries_carry_price_image_and_never_cost(catalog, search, client) -> None:
    item = catalog.product("Garden hose", prices={"EUR": 2599, "GBP": 2199},
                           image_url="/api/v1/media/hose.png", brand="Flow")
    wait_for(caught_up(search))
    found = search(q="hose")["items"][0]
    assert found == {"id": item["id"], "name": "Garden hose", "brand": "Flow",
                     "category_id": None, "image": "/api/v1/media/hose.png", "price": 2599,
                     "currency": "EUR", "in_stock": False, "score": found["score"]}
    assert search(q="hose", currency="gbp")["items"][0]["price"] == 2199
    assert search(q="hose", currency="USD")["items"][0]["price"] is None
    body = client.get("/api/v1/search/products", params={"q": "hose"}).text
    assert "123456" not in body and "cost" not in body

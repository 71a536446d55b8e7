"""Matching: typos, accents, Greek and Cyrillic case, SKUs and barcodes, FTS syntax in the query."""

from __future__ import annotations

from tests.server.search.conftest import caught_up, ids, wait_for


def test_typo_is_corrected_and_reported(catalog, search) -> None:
    choc = catalog.product("Dark chocolate bar", brand="Cocoa Co")
    catalog.product("Milk carton")
    wait_for(caught_up(search))

    found = search(q="choclate")
    assert ids(found) == [choc["id"]]
    assert found["did_you_mean"] == "chocolate"
    exact = search(q="chocolate")
    assert ids(exact) == [choc["id"]] and exact["did_you_mean"] is None
    assert search(q="xqzvw")["items"] == []


def test_accents_and_case_fold_both_ways(catalog, search) -> None:
    creme = catalog.product("Crème brûlée")
    plain = catalog.product("Creme caramel")
    wait_for(caught_up(search))

    assert set(ids(search(q="creme"))) == {creme["id"], plain["id"]}
    assert set(ids(search(q="CRÈME"))) == {creme["id"], plain["id"]}
    assert ids(search(q="brulee")) == [creme["id"]]


def test_greek_and_cyrillic_case(catalog, search) -> None:
    greek = catalog.product("ΚΑΦΈΣ ελληνικός")
    russian = catalog.product("Шоколад Алёнка")
    wait_for(caught_up(search))

    assert ids(search(q="καφες")) == [greek["id"]]  # accent dropped, final sigma folded
    assert ids(search(q="ΕΛΛΗΝΙΚΟΣ")) == [greek["id"]]  # upper case, no accent
    assert ids(search(q="шоколад")) == [russian["id"]]
    assert ids(search(q="АЛЕНКА")) == [russian["id"]]  # ё folds to е


def test_sku_barcode_tags_brand_description(catalog, search) -> None:
    item = catalog.product("Widget", sku="WX-7781", barcodes=("4006381333931",), tags=("garden",),
                           brand="Acme", description="stainless steel")
    wait_for(caught_up(search))
    for q in ("wx-7781", "4006381333931", "garden", "acme", "stainless"):
        assert ids(search(q=q)) == [item["id"]], q


def test_fts_syntax_in_the_query_never_breaks_it(catalog, search, client) -> None:
    item = catalog.product("Near field reader")
    wait_for(caught_up(search))
    for q in ('"', '*', '^', ':', '()', 'NEAR(a b)', 'near "field', 'reader*', 'name:reader',
              'a OR b', 'AND', '-reader', '{name}: x', "'; DROP TABLE products; --", "\x00", "ü"):
        response = client.get("/api/v1/search/products", params={"q": q})
        assert response.status_code == 200, (q, response.text)
    assert ids(search(q='NEAR(field "reader")')) == [item["id"]]


def test_short_words_expand_to_vocabulary(catalog, search) -> None:
    tv = catalog.product("Tvset deluxe")
    catalog.product("Radio")
    wait_for(caught_up(search))
    assert ids(search(q="tv")) == [tv["id"]]
    assert search(q="zz")["items"] == []

"""The catalogue feed (tax classes, categories, products) applied to a real local store, from
entries built with the server's own views: prices in the till's currency, barcodes and SKUs
that move, idempotency, entries that arrive before what they name, and bad data."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.sales.identity import this_register
from db.models import (Barcode, Category, DeferredChange, Product, TaxClass, TaxRate, Variant)
from sync.apply import BadPage, apply_page
from sync.apply.catalog import NO_TAX_CLASS_ID
from tests.sync.feed_pages import (category_doc, category_entry, delete, page, product_doc,
                                   product_entry, tax_class_doc, tax_entry, variant_doc)


@pytest.fixture
def till(blank_shop):
    with blank_shop.read() as session:
        store, _ = this_register(session)
    return blank_shop, store.id


def apply(till, *entries, has_more=False) -> int:
    local, store_id = till
    with local.write() as session:
        return apply_page(session, page(entries, has_more=has_more), store_id=store_id)


def snapshot(local) -> dict:
    """Every catalogue row as plain values, without the local write times."""
    with local.read() as session:
        out = {}
        for model in (TaxClass, TaxRate, Category, Product, Variant, Barcode):
            rows = session.execute(select(model.__table__)).mappings().all()
            out[model.__tablename__] = sorted(
                (tuple(sorted((k, v) for k, v in r.items() if k != "updated_at")) for r in rows))
        return out


def shirt(tax, category, **fields):
    small = variant_doc("TS-S", "5400000000011", name="S")
    large = variant_doc("TS-L", "5400000000028", "5400000000035", name="L",
                        prices={"EUR": 1499, "USD": 1599}, cost={"EUR": 700})
    return product_doc("T-shirt", tax, category, [small, large], **fields)


def test_catalogue_entries_become_local_rows(till):
    tax = tax_class_doc("Standard", ("VAT 21%", 210_000), ("Levy", 5_000))
    top = category_doc("Clothes", sort=3)
    sub = category_doc("Shirts", top, sort=1)
    product = shirt(tax, sub, tags=("summer", "cotton"))
    applied = apply(till, tax_entry(tax), category_entry(top), category_entry(sub),
                    product_entry(product))
    assert applied == 4
    with till[0].read() as session:
        tc = session.get(TaxClass, tax["_id"])
        assert [(r.name, r.rate_ppm, r.position) for r in tc.rates] == [
            ("VAT 21%", 210_000, 0), ("Levy", 5_000, 1)]
        child = session.get(Category, sub["_id"])
        assert (child.name, child.parent_id, child.position) == ("Shirts", top["_id"], 1)
        local = session.get(Product, product["_id"])
        assert (local.name, local.brand, local.tags, local.category_id, local.tax_class_id,
                local.low_stock_threshold, local.archived) == (
            "T-shirt", "Acme", "summer,cotton", sub["_id"], tax["_id"], 5000, False)
        small, large = (session.get(Variant, v["id"]) for v in product["variants"])
        # the product's prices unless the variant has its own table
        assert (small.sku, small.price, small.cost, small.attributes, small.archived) == (
            "TS-S", 1299, 600, "size=S", False)
        assert (large.price, large.cost) == (1499, 700)
        codes = session.execute(select(Barcode.code, Barcode.variant_id)
                                .order_by(Barcode.code)).all()
        assert codes == [("5400000000011", small.id), ("5400000000028", large.id),
                         ("5400000000035", large.id)]


def test_a_variant_without_a_price_in_this_currency_cannot_be_sold_here(till):
    tax = tax_class_doc()
    usd_only = variant_doc("USD-1", prices={"USD": 900})
    normal = variant_doc("EUR-1")
    product = product_doc("Import", tax, None, [usd_only, normal])
    nowhere = product_doc("Elsewhere", tax, None, [variant_doc("X-1")], prices={"GBP": 500})
    apply(till, tax_entry(tax), product_entry(product), product_entry(nowhere))
    with till[0].read() as session:
        assert session.get(Variant, usd_only["id"]).archived is True
        assert session.get(Variant, normal["id"]).archived is False
        lonely = session.get(Variant, nowhere["variants"][0]["id"])
        assert (lonely.archived, lonely.price) == (True, 0)


def test_the_same_page_twice_leaves_the_same_state(till):
    tax = tax_class_doc()
    top = category_doc("Food")
    product = shirt(tax, top)
    entries = [tax_entry(tax), category_entry(top), product_entry(product)]
    apply(till, *entries)
    first = snapshot(till[0])
    assert apply(till, *entries) == 3
    assert snapshot(till[0]) == first


def test_barcodes_and_skus_move_between_variants_and_products(till):
    tax = tax_class_doc()
    a = product_doc("A", tax, None, [variant_doc("SKU-A", "111"), variant_doc("SKU-A2", "222")])
    b = product_doc("B", tax, None, [variant_doc("SKU-B", "333")])
    apply(till, tax_entry(tax), product_entry(a), product_entry(b))
    # The server swaps the SKUs of A and B, moves barcode 222 to B and drops A's second variant.
    a2 = {**a, "version": 2, "variants": [{**a["variants"][0], "sku": "SKU-B"}]}
    b2 = {**b, "version": 2, "variants": [{**b["variants"][0], "sku": "SKU-A",
                                           "barcodes": ["333", "222"]}]}
    apply(till, product_entry(b2), product_entry(a2))
    with till[0].read() as session:
        assert session.get(Variant, a["variants"][0]["id"]).sku == "SKU-B"
        assert session.get(Variant, b["variants"][0]["id"]).sku == "SKU-A"
        dropped = session.get(Variant, a["variants"][1]["id"])
        assert dropped.archived is True  # kept: sales may name it
        assert dict(session.execute(select(Barcode.code, Barcode.variant_id)).all()) == {
            "111": a["variants"][0]["id"], "222": b["variants"][0]["id"],
            "333": b["variants"][0]["id"]}


def test_a_deleted_product_is_archived_with_its_variants_and_a_deleted_category_kept(till):
    tax = tax_class_doc()
    top = category_doc("Toys")
    product = shirt(tax, top)
    apply(till, tax_entry(tax), category_entry(top), product_entry(product))
    apply(till, delete("catalog", "product", product["_id"]),
          delete("catalog", "category", top["_id"]))
    with till[0].read() as session:
        assert session.get(Product, product["_id"]).archived is True
        assert all(session.get(Variant, v["id"]).archived for v in product["variants"])
        assert session.get(Category, top["_id"]) is not None


def test_a_product_before_its_category_waits_and_is_applied_when_it_arrives(till):
    tax = tax_class_doc()
    parent = category_doc("Garden")
    child = category_doc("Tools", parent)
    product = shirt(tax, child)
    # the product first, the child category before its parent, on separate pages
    assert apply(till, tax_entry(tax), product_entry(product), has_more=True) == 1
    assert apply(till, category_entry(child), has_more=True) == 0
    with till[0].read() as session:
        assert session.get(Product, product["_id"]) is None
        assert len(session.scalars(select(DeferredChange)).all()) == 2
    assert apply(till, category_entry(parent)) == 3  # the parent, then the two that waited
    with till[0].read() as session:
        assert session.get(Product, product["_id"]).category_id == child["_id"]
        assert session.scalars(select(DeferredChange)).all() == []


def test_a_child_category_listed_before_its_parent_on_one_page(till):
    parent = category_doc("Home")
    child = category_doc("Kitchen", parent)
    assert apply(till, category_entry(child), category_entry(parent)) == 2


def test_a_newer_entry_replaces_one_that_waits(till):
    tax = tax_class_doc()
    missing = category_doc("Not yet")
    old = product_doc("Old name", tax, missing, [variant_doc("W-1")])
    apply(till, tax_entry(tax), product_entry(old), has_more=True)
    newer = {**old, "name": "New name", "category_id": None, "version": 2}
    assert apply(till, product_entry(newer)) == 1
    with till[0].read() as session:
        assert session.get(Product, old["_id"]).name == "New name"
        assert session.scalars(select(DeferredChange)).all() == []


def test_a_product_without_a_tax_class_is_untaxed(till):
    product = product_doc("Stamp", None, None, [variant_doc("ST-1")])
    apply(till, product_entry(product))
    with till[0].read() as session:
        local = session.get(Product, product["_id"])
        assert local.tax_class_id == NO_TAX_CLASS_ID
        assert session.get(TaxClass, NO_TAX_CLASS_ID).rates == []


def test_a_local_tax_class_of_the_same_name_makes_room(till):
    local, _ = till
    with local.write() as session:
        session.add(TaxClass(id="local-standard", name="Standard"))
    server = tax_class_doc("Standard")
    apply(till, tax_entry(server))
    with local.read() as session:
        assert session.get(TaxClass, server["_id"]).name == "Standard"
        assert session.get(TaxClass, "local-standard").name.startswith("Standard~")


def test_bad_entries_are_skipped_with_a_reason_and_the_rest_applied(till, caplog):
    tax = tax_class_doc()
    good = shirt(tax, None)
    no_variants = product_doc("Empty", tax, None, [])
    negative = product_doc("Refund me", tax, None, [variant_doc("NEG-1")], prices={"EUR": -5})
    malformed = [{"feed": "catalog", "seq": 90, "entity": "product", "op": "upsert",
                  "data": {}},  # no entity_id
                 {"feed": "catalog", "seq": 91, "entity": "product", "entity_id": "x",
                  "op": "frobnicate", "data": None},
                 "not even an object",
                 {"feed": "catalog", "seq": 92, "entity": "spaceship", "entity_id": "y",
                  "op": "upsert", "data": {}}]
    with caplog.at_level(logging.WARNING, logger="sync.apply"):
        applied = apply(till, tax_entry(tax), product_entry(no_variants), product_entry(good),
                        product_entry(negative), *malformed)
    assert applied == 2
    text = caplog.text
    assert "variants: a product has at least one variant" in text
    assert "prices.EUR: is not a whole number of minor units >= 0" in text
    assert "entity_id: is missing" in text and "op: is 'frobnicate'" in text
    assert "'spaceship' is not known" in text
    with till[0].read() as session:
        assert session.get(Product, good["_id"]) is not None
        assert session.get(Product, no_variants["_id"]) is None
        assert session.get(Product, negative["_id"]) is None


@pytest.mark.parametrize("bad_page", [
    [], {"changes": "nope", "cursor": "c", "has_more": False},
    {"changes": [], "has_more": False}, {"changes": [], "cursor": "c", "has_more": "yes"}])
def test_a_page_that_is_not_one_is_refused_before_anything_is_written(till, bad_page):
    local, store_id = till
    with pytest.raises(BadPage), local.write() as session:
        apply_page(session, bad_page, store_id=store_id)

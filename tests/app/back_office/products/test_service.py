"""The back office's product services over a real local store: a product created with
variants, barcodes and a generated in-house EAN-13 (written locally and queued for the server
as one ``product.create``), bad input refused naming the field with nothing written, the
product list's filters and orders, and bulk price changes previewed, rounded and applied as
one ``product.update`` per product — refused whole when a price would go negative."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.back_office.products.listing import ProductListSource
from app.back_office.products.pricing import (PriceChange, apply_price_change,
                                              preview_price_change)
from app.back_office.products.service import NewVariant, create_product, next_in_house_ean13
from app.domain.barcodes import is_valid_gtin
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from db.models import Barcode, Category, OutboxEntry, Product, Variant
from tests.support.catalog import product as make_product
from tests.support.catalog import staff as make_staff
from tests.support.catalog import tax_class


@pytest.fixture
def office(blank_shop):
    with blank_shop.write() as s:
        manager = make_staff(s, "manager").id
        clerk = make_staff(s, "stock_clerk").id
        vat = tax_class(s, "VAT 21%", ("VAT 21%", 210_000)).id
        drinks = Category(name="Drinks")
        s.add(drinks)
        s.flush()
        tea = Category(name="Tea", parent_id=drinks.id)
        s.add(tea)
        s.flush()
        ids = {"manager": manager, "clerk": clerk, "vat": vat, "drinks": drinks.id,
               "tea": tea.id}
    return blank_shop, ids


def _shirt(s, ids, **extra):
    return create_product(
        s, staff_id=ids["manager"], name="Linen Shirt", tax_class_id=ids["vat"],
        brand="Atelier", low_stock_threshold_milli=3000, variants=[
            NewVariant("SH-M-BL", "29.90", cost="12.00", attributes=(("size", "M"),
                                                                     ("colour", "Blue")),
                       barcodes=("4006381333931",), generate_ean13=True),
            NewVariant("SH-L-BL", 3190, attributes=(("size", "L"), ("colour", "Blue")),
                       generate_ean13=True)], **extra)


def test_a_product_is_created_with_variants_barcodes_and_a_queued_create(office):
    store, ids = office
    with store.write() as s:
        product = _shirt(s, ids, category_id=ids["tea"])
        pid = product.id
    with store.read() as s:
        variants = s.scalars(select(Variant).where(Variant.product_id == pid)
                             .order_by(Variant.sku)).all()
        assert [(v.sku, v.name, v.attributes, v.price, v.cost) for v in variants] == [
            ("SH-L-BL", "L / Blue", "size=L;colour=Blue", 3190, 0),
            ("SH-M-BL", "M / Blue", "size=M;colour=Blue", 2990, 1200)]
        codes = {v.sku: sorted(b.code for b in v.barcodes) for v in variants}
        generated = [c for cs in codes.values() for c in cs if c.startswith("200")]
        assert len(generated) == 2 and all(is_valid_gtin(c) for c in generated)
        assert len(set(generated)) == 2 and "4006381333931" in codes["SH-M-BL"]
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == pid)).one()
        payload = json.loads(entry.payload)
        assert entry.kind == "product.create" and payload["staff_id"] == ids["manager"]
        assert payload["currency"] == "EUR" and payload["low_stock_threshold_milli"] == 3000
        assert {v["sku"]: v["price"] for v in payload["variants"]} == {"SH-M-BL": 2990,
                                                                       "SH-L-BL": 3190}
        assert next_in_house_ean13(s) not in generated
        # the list shows it: one row, its least SKU, its price range, its category
        row = ProductListSource(text="linen").rows(s, 0, 10)
        assert [r.cells[:3] for r in row] == [("Linen Shirt", "SH-L-BL", "29.90 – 31.90")]
        assert ProductListSource(category_id=ids["drinks"]).count(s) == 1
        assert ProductListSource(text="sh-m").count(s) == 1  # a SKU prefix, any case
        assert ProductListSource(text="4006381").count(s) == 1  # a barcode prefix
        assert ProductListSource(low_stock=True).rows(s, 0, 5)[0].tone == "low"


BAD_INPUT = [
    ({"name": " "}, "name", InvalidInput),
    ({"tax_class_id": "nope"}, "tax_class_id", NotFound),
    ({"category_id": "nope"}, "category_id", NotFound),
    ({"variants": []}, "variants", InvalidInput),
    ({"variants": [NewVariant("A1", "1.234")]}, "variants[0].price", InvalidInput),
    ({"variants": [NewVariant("A1", -5)]}, "variants[0].price", InvalidInput),
    ({"variants": [NewVariant("A1", 100, barcodes=("4006381333932",))]},
     "variants[0].barcodes[0]", InvalidInput),
    ({"variants": [NewVariant("A1", 100), NewVariant("A1", 200)]}, "variants[1].sku",
     RuleViolation),
    ({"variants": [NewVariant("TAKEN", 100)]}, "variants[0].sku", RuleViolation),
    ({"variants": [NewVariant("A1", 100, attributes=(("size", "M;L"),))]},
     "variants[0].attributes", InvalidInput),
    ({"low_stock_threshold_milli": -1}, "low_stock_threshold_milli", InvalidInput),
    ({"staff_id": "clerk"}, "staff", RuleViolation),
]


def test_bad_input_names_the_field_and_writes_nothing(office):
    store, ids = office
    with store.write() as s:
        taken = make_product(s, "Existing", 100).sku
    for change, field, error in BAD_INPUT:
        if change.get("variants") and change["variants"][0].sku == "TAKEN":
            change = {"variants": [NewVariant(taken, 100)]}
        args = {"staff_id": ids["manager"], "name": "Tea", "tax_class_id": ids["vat"],
                "variants": [NewVariant("A1", 100)], **change}
        if args["staff_id"] == "clerk":
            args["staff_id"] = ids["clerk"]
        with pytest.raises(error) as raised, store.write() as s:
            create_product(s, **args)
        assert raised.value.field == field, change
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 1
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0


def test_bulk_price_change_previews_rounds_and_applies_one_update_per_product(office):
    store, ids = office
    with store.write() as s:
        _shirt(s, ids)
        make_product(s, "Green Tea", 455)
        make_product(s, "Black Tea", 1000)
    tea = ProductListSource(text="tea")
    up = PriceChange("percent", "10", step=5)
    with store.read() as s:
        preview = preview_price_change(s, tea, up)
    assert (preview.products, preview.prices) == (2, 2)
    assert {(line.product, line.old, line.new) for line in preview.lines} == {
        ("Green Tea", 455, 500), ("Black Tea", 1000, 1100)}  # 500.5 → 500 (step 5, half up)
    with store.write() as s:
        assert apply_price_change(s, staff_id=ids["manager"], source=tea, change=up) == 2
    with store.read() as s:
        prices = dict(s.execute(select(Product.name, Variant.price).join(Variant.product)).all())
        assert prices["Green Tea"] == 500 and prices["Black Tea"] == 1100
        kinds = s.scalars(select(OutboxEntry.kind)).all()
        assert kinds.count("product.update") == 2
    # an amount that takes a price below zero is refused whole, naming the SKU
    with pytest.raises(RuleViolation, match="cannot be negative") as raised, store.write() as s:
        apply_price_change(s, staff_id=ids["manager"], source=ProductListSource(),
                           change=PriceChange("amount", "-6.00"))
    assert raised.value.field == "value"
    with pytest.raises(RuleViolation) as refused, store.write() as s:
        apply_price_change(s, staff_id=ids["clerk"], source=tea, change=up)
    assert refused.value.field == "staff"
    with store.read() as s:
        assert dict(s.execute(select(Product.name, Variant.price)
                              .join(Variant.product)).all())["Green Tea"] == 500
        assert s.scalars(select(OutboxEntry.kind)).all().count("product.update") == 2


def test_two_registers_hand_out_different_in_house_codes(tmp_path):
    """Two tills of one shop create in-house items offline: each counts in its own block of
    the range 200 (store number, register number), so their codes never meet."""
    from app.setup import initialise
    from db.engine import LocalStore
    codes = []
    for register in ("R01", "R02"):
        till = LocalStore.open(tmp_path / f"{register}.sqlite3")
        try:
            with till.write() as s:
                initialise(s, store_code="S03", register_code=register)
                manager = make_staff(s, "manager").id
                tc = tax_class(s, "VAT 21%", ("VAT 21%", 210_000)).id
                for n in range(2):
                    p = create_product(s, staff_id=manager, name=f"Bread {n}", tax_class_id=tc,
                                       variants=[NewVariant(sku=f"B{n}", price="2.00",
                                                            generate_ean13=True)])
                    codes += [b.code for v in p.variants for b in v.barcodes]
        finally:
            till.close()
    assert len(set(codes)) == 4
    assert [c[:12] for c in codes] == ["200030100001", "200030100002",
                                       "200030200001", "200030200002"]
    assert all(is_valid_gtin(c) for c in codes)


def test_a_bulk_change_refuses_a_search_cut_at_its_limit(office, monkeypatch):
    """A text look-up stops at MAX_TEXT_MATCHES variants: the list then holds an arbitrary
    part of what the words find, so a bulk change refuses it, saying why, and changes none."""
    from app.back_office.products import listing
    store, ids = office
    with store.write() as s:
        for name in ("Green Tea", "Black Tea", "White Tea"):
            make_product(s, name, 1000)
    monkeypatch.setattr(listing, "MAX_TEXT_MATCHES", 2)
    with pytest.raises(RuleViolation, match="narrow the search") as refused, store.write() as s:
        apply_price_change(s, staff_id=ids["manager"], source=ProductListSource(text="tea"),
                           change=PriceChange("percent", "10"))
    assert refused.value.field == "selection" and "'tea'" in str(refused.value)
    with store.read() as s:
        assert set(s.scalars(select(Variant.price))) == {1000}
        assert ProductListSource(text="green").capped_lookups(s) == []
    with store.write() as s:  # a search inside the limit still changes
        assert apply_price_change(s, staff_id=ids["manager"],
                                  source=ProductListSource(text="green"),
                                  change=PriceChange("percent", "10")) == 1

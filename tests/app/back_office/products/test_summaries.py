"""The product list's summaries (migration 0009's triggers) stay equal to what the variants
say — least SKU, price range over the variants sold, how many variants — through edits,
archiving and a backup restored over a store that changed since (the restore empties and
refills every table in its own order)."""

from __future__ import annotations

from sqlalchemy import text

from app.back_office.products.service import NewVariant, create_product
from app.backup import backup, restore
from app.catalog_edit import update_product
from tests.support.catalog import product as make_product
from tests.support.catalog import staff as make_staff
from tests.support.catalog import tax_class

TRUTH = ("SELECT product_id, min(sku), min(CASE WHEN NOT archived THEN price END), "
         "max(CASE WHEN NOT archived THEN price END), count(*) FROM variants "
         "GROUP BY product_id ORDER BY product_id")
KEPT = ("SELECT product_id, sku, price_min, price_max, variant_count FROM product_summaries "
        "ORDER BY product_id")


def _same(store) -> list:
    with store.read() as s:
        truth, kept = s.execute(text(TRUTH)).all(), s.execute(text(KEPT)).all()
    assert kept == truth
    return kept


def test_summaries_follow_edits_archiving_and_a_restore(blank_shop, tmp_path):
    store = blank_shop
    with store.write() as s:
        manager = make_staff(s, "manager").id
        vat = tax_class(s, "VAT", ("VAT", 210_000)).id
        shirt = create_product(s, staff_id=manager, name="Shirt", tax_class_id=vat,
                               variants=[NewVariant("B-2", 900), NewVariant("A-1", 1500)])
        shirt_id, variants = shirt.id, {v.sku: v.id for v in shirt.variants}
        make_product(s, "Tea", 450)
    assert [row[1:] for row in _same(store) if row[0] == shirt_id] == [("A-1", 900, 1500, 2)]
    copy = backup(store.path, tmp_path / "b.sqlite3").file
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=shirt_id, changes={},
                       variant_changes=[{"id": variants["A-1"], "archived": True},
                                        {"id": variants["B-2"], "price": 1000}])
        make_product(s, "Coffee", 1200)
    assert [row[1:] for row in _same(store) if row[0] == shirt_id] == [("A-1", 1000, 1000, 2)]
    assert len(_same(store)) == 3
    restore(store.path, copy, discard_unsynced=True)
    store.reader.dispose()
    kept = _same(store)
    assert len(kept) == 2 and [r[1:] for r in kept if r[0] == shirt_id] == [("A-1", 900, 1500, 2)]

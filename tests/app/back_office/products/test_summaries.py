"""The product list's summaries (migration 0009's triggers) stay equal to what the variants
say — least SKU, price range over the variants sold, how many variants — through edits,
archiving, stock moving and a backup restored (with the tally of active and archived products) over a store that changed since (the restore empties and
refills every table in its own order)."""

from __future__ import annotations

from sqlalchemy import text

from app.back_office.products.service import NewVariant, create_product
from app.backup import backup, restore
from app.catalog_edit import update_product
from app.inventory import record_movement
from app.sales.identity import this_register
from tests.support.catalog import product as make_product
from tests.support.catalog import staff as make_staff
from tests.support.catalog import tax_class

TRUTH = ("SELECT v.product_id, min(v.sku), min(CASE WHEN NOT v.archived THEN v.price END), "
         "max(CASE WHEN NOT v.archived THEN v.price END), count(*), p.archived, "
         "coalesce(sum(CASE WHEN NOT v.archived THEN l.quantity_milli END), 0) FROM variants "
         "AS v JOIN products AS p ON p.id = v.product_id LEFT JOIN stock_levels AS l ON "
         "l.variant_id = v.id AND l.store_id = (SELECT value FROM local_settings WHERE "
         "key = 'store_id') GROUP BY v.product_id ORDER BY v.product_id")
KEPT = ("SELECT product_id, sku, price_min, price_max, variant_count, archived, stock_milli "
        "FROM product_summaries ORDER BY product_id")
TALLY = ("SELECT archived, count(*) FROM products GROUP BY archived",
         "SELECT archived, count FROM products_tally WHERE count != 0 ORDER BY archived")


def _same(store) -> list:
    with store.read() as s:
        truth, kept = s.execute(text(TRUTH)).all(), s.execute(text(KEPT)).all()
        counted, tallied = (s.execute(text(q)).all() for q in TALLY)
    assert kept == truth and tallied == counted
    return [row[:5] for row in kept]


def test_summaries_follow_edits_archiving_and_a_restore(blank_shop, tmp_path):
    store = blank_shop
    with store.write() as s:
        manager = make_staff(s, "manager").id
        vat = tax_class(s, "VAT", ("VAT", 210_000)).id
        shirt = create_product(s, staff_id=manager, name="Shirt", tax_class_id=vat,
                               variants=[NewVariant("B-2", 900), NewVariant("A-1", 1500)])
        shirt_id, variants = shirt.id, {v.sku: v.id for v in shirt.variants}
        make_product(s, "Tea", 450, stock_milli=7000)
        store_id, _ = this_register(s)
        record_movement(s, store_id=store_id.id, variant_id=variants["B-2"],
                        quantity_milli=3000, kind="receipt")
    assert [row[1:] for row in _same(store) if row[0] == shirt_id] == [("A-1", 900, 1500, 2)]
    copy = backup(store.path, tmp_path / "b.sqlite3").file
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=shirt_id, changes={},
                       variant_changes=[{"id": variants["A-1"], "archived": True},
                                        {"id": variants["B-2"], "price": 1000}])
        make_product(s, "Coffee", 1200, stock_milli=2000)
        record_movement(s, store_id=store_id.id, variant_id=variants["B-2"],
                        quantity_milli=-1000, kind="sale")
        update_product(s, staff_id=manager, product_id=shirt_id, changes={"archived": True})
    assert [row[1:] for row in _same(store) if row[0] == shirt_id] == [("A-1", 1000, 1000, 2)]
    assert len(_same(store)) == 3
    restore(store.path, copy, discard_unsynced=True)
    store.reader.dispose()
    kept = _same(store)
    assert len(kept) == 2 and [r[1:] for r in kept if r[0] == shirt_id] == [("A-1", 900, 1500, 2)]

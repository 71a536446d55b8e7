"""The till's search index stays right whatever writes the catalogue: back-office edits, the
sync pull, deletes, a restore, a store migrated from before the index; and it folds text
exactly as the queries (and the server) do."""

from __future__ import annotations

import inspect
from collections import Counter
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import catalog_edit
from app.backup import backup, restore
from app.domain import text as app_text
from app.domain.text import folded_text
from app.sales.identity import this_register
from app.setup import initialise
from app.till import search
from db import search_index
from db.engine import LocalStore, alembic_config, make_engine
from db.models import Barcode, Product, StaffUser, Variant
from sync.apply import apply_page
from tests.app.till.test_search import add, add_variant, find, names
from tests.support import catalog
from tests.sync.feed_pages import (CATALOG_FEED, delete as delete_entry, page, product_doc,
                                   product_entry, tax_class_doc, tax_entry, variant_doc)

TRIGGERS = {"till_search_variant_insert", "till_search_variant_update",
            "till_search_variant_delete", "till_search_product_insert",
            "till_search_product_update", "till_search_product_delete", "till_vocab_insert",
            "till_vocab_delete"}


def expected_index(session: Session) -> dict[int, tuple[str, str]]:
    """What the index must hold, computed with the app's fold from the catalogue itself."""
    rows = session.execute(select(Variant.__table__.c.id, Variant.name, Product.name,
                                  Product.brand, Variant.archived, Product.archived)
                           .join(Product)).all()
    rowids = dict(session.connection().exec_driver_sql("SELECT id, rowid FROM variants").all())
    return {rowids[vid]: (folded_text(pname, vname), folded_text(brand))
            for vid, vname, pname, brand, v_archived, p_archived in rows
            if not v_archived and not p_archived}


def check_index(store: LocalStore) -> dict[int, tuple[str, str]]:
    """The index, vocabulary and their FTS tables agree with the catalogue; returns the index."""
    with store.write() as session:
        conn = session.connection()
        wanted = expected_index(session)
        held = {r[0]: (r[1], r[2]) for r in conn.exec_driver_sql(
            "SELECT rowid, name, brand FROM till_search")}
        assert held == wanted
        words = Counter(w for name, brand in wanted.values() for w in set(f"{name} {brand}".split()))
        assert dict(conn.exec_driver_sql("SELECT word, count FROM till_vocab").all()) == words
        assert conn.exec_driver_sql("SELECT count(*) FROM till_search_queue").scalar() == 0
        for table in ("till_search", "till_vocab_fts"):  # raises if an index is damaged
            conn.exec_driver_sql(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        # every vocabulary word is found by its trigrams (what corrections look up)
        for word in (w for w in words if len(w) >= 3):
            assert conn.exec_driver_sql(
                "SELECT count(*) FROM till_vocab_fts AS f JOIN till_vocab AS v ON v.id = f.rowid "
                "WHERE till_vocab_fts MATCH ? AND v.word = ?", (f'"{word[-3:]}"', word)
            ).scalar() == 1, word
    return held


def staff_id(store: LocalStore) -> str:
    with store.write() as session:
        return catalog.staff(session, "manager").id


# -- folding -------------------------------------------------------------------------------------

def test_the_store_folds_exactly_as_the_queries_do() -> None:
    # db may not import app, so db.search_index keeps a copy: it must stay the same code.
    assert inspect.getsource(search_index.fold) == inspect.getsource(app_text.fold)
    assert search_index._SPECIAL == app_text._SPECIAL
    assert search_index._WORD.pattern == app_text._WORD.pattern
    for sample in ("Crème Brûlée", "ΚΑΦΈΣ Ελληνικός", "Чай Ёлка", "Smørrebrød Œuvre ß",
                   "ﬁne Ⅻ ①", "T-shirt (XL) / navy_blue", "İstanbul ǅ", ""):
        assert search_index.folded_words(sample) == folded_text(sample)


def test_every_connection_to_the_store_knows_the_functions(store) -> None:
    with store.read() as session:
        assert session.connection().exec_driver_sql(
            "SELECT tp_fold('Crème', NULL, 'BRÛLÉE')").scalar() == "creme brulee"


def test_at_head_the_store_has_the_index_and_its_triggers(store) -> None:
    with store.read() as session:
        found = {r[0] for r in session.connection().exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert TRIGGERS <= found  # a migration that rebuilds products or variants must recreate them


# -- writers -------------------------------------------------------------------------------------

def test_the_demo_shop_is_indexed_as_it_is_written(shop) -> None:
    assert len(check_index(shop)) > 300  # every variant of the 300 products


def test_back_office_edits_rename_rebrand_archive_and_bring_back(blank_shop) -> None:
    with blank_shop.write() as s:
        item = add(s, "Crème Brûlée", brand="Maison Lune")
        other = add(s, "Brûlée Spoon")
    manager = staff_id(blank_shop)

    def edit(**fields) -> None:
        with blank_shop.write() as s:
            catalog_edit.update_product(s, staff_id=manager, product_id=item.product_id,
                                        changes=fields.get("changes", {}),
                                        variant_changes=fields.get("variants", ()))
        check_index(blank_shop)

    edit(changes={"name": "Crema Catalana"})
    assert names(find(blank_shop, "catalana")) == ["Crema Catalana"]
    assert names(find(blank_shop, "brulee")) == ["Brûlée Spoon"]
    edit(changes={"brand": "Fjord"})
    assert names(find(blank_shop, "lune")) == []
    assert names(find(blank_shop, "fjord")) == ["Crema Catalana"]
    edit(changes={"archived": True})
    assert names(find(blank_shop, "crema")) == []
    edit(changes={"archived": False})
    assert names(find(blank_shop, "crema")) == ["Crema Catalana"]
    edit(variants=[{"id": item.variant_id, "archived": True}])
    assert names(find(blank_shop, "crema")) == []
    edit(variants=[{"id": item.variant_id, "archived": False}])
    assert names(find(blank_shop, "crema")) == ["Crema Catalana"]
    with blank_shop.read() as s:  # the vocabulary forgot the words no row holds
        words = set(s.connection().exec_driver_sql("SELECT word FROM till_vocab").scalars())
    assert {"crema", "catalana", "fjord", "brulee", "spoon"} <= words
    assert not {"creme", "maison", "lune"} & words
    assert other.variant_id


def test_variants_renamed_moved_and_deleted(blank_shop) -> None:
    with blank_shop.write() as s:
        hoodie = add(s, "Hoodie", variant="M / Navy", sku="HD-M")
        product = s.get(Product, hoodie.product_id)
        large = add_variant(s, product, "L / Forest", sku="HD-L", barcode="2000000000059")
        mug = add(s, "Mug")
    check_index(blank_shop)
    with blank_shop.write() as s:
        s.get(Variant, large.variant_id).name = "XL / Forest"
    check_index(blank_shop)
    assert names(find(blank_shop, "hoodie xl")) == ["Hoodie XL / Forest"]
    with blank_shop.write() as s:  # a variant moved to another product takes its name
        s.get(Variant, large.variant_id).product_id = mug.product_id
    check_index(blank_shop)
    assert names(find(blank_shop, "forest")) == ["Mug XL / Forest"]
    with blank_shop.write() as s:
        s.execute(delete(Barcode).where(Barcode.variant_id == large.variant_id))
        s.execute(delete(Variant).where(Variant.id == large.variant_id))
    check_index(blank_shop)
    assert names(find(blank_shop, "forest")) == []
    with blank_shop.read() as s:
        assert "forest" not in set(s.connection().exec_driver_sql(
            "SELECT word FROM till_vocab").scalars())


def test_a_write_that_fails_leaves_the_index_as_it_was(blank_shop) -> None:
    with blank_shop.write() as s:
        item = add(s, "Sourdough")
    with pytest.raises(RuntimeError):
        with blank_shop.write() as s:
            s.get(Product, item.product_id).name = "Ciabatta"
            s.flush()
            raise RuntimeError("the till lost power")
    check_index(blank_shop)
    assert names(find(blank_shop, "sourdough")) == ["Sourdough"]


def test_the_sync_pull_keeps_the_index_right(blank_shop) -> None:
    with blank_shop.read() as s:
        store_id = this_register(s)[0].id
    tax = tax_class_doc()
    small = variant_doc("TS-S", "5400000000011", name="S")
    large = variant_doc("TS-L", "5400000000028", name="L")
    shirt = product_doc("Linen Shirt", tax, None, [small, large])
    mug = product_doc("Enamel Mug", tax, None, [variant_doc("MG-1", "5400000000035")])

    def pull(*entries) -> None:
        with blank_shop.write() as s:
            apply_page(s, page(entries), store_id=store_id)
        check_index(blank_shop)

    pull(tax_entry(tax), product_entry(shirt), product_entry(mug))
    assert names(find(blank_shop, "linen")) == ["Linen Shirt L", "Linen Shirt S"]
    pull(product_entry(shirt))  # the same entry again changes nothing
    shirt = {**shirt, "name": "Cotton Shirt", "brand": "Atlas", "version": 2,
             "variants": [small]}  # the large one is no longer listed: archived here
    pull(product_entry(shirt))
    assert names(find(blank_shop, "shirt")) == ["Cotton Shirt S"]
    assert names(find(blank_shop, "atlas")) == ["Cotton Shirt S"]
    assert names(find(blank_shop, "linen")) == []
    pull(delete_entry(CATALOG_FEED, "product", mug["_id"]))
    assert names(find(blank_shop, "mug")) == [] and names(find(blank_shop, "MG-1")) == []


def test_a_restore_re_indexes_the_catalogue_it_brings_back(blank_shop, tmp_path: Path) -> None:
    with blank_shop.write() as s:
        item = add(s, "Rye Loaf")
        add(s, "Spelt Loaf")
    saved = backup(blank_shop.path, tmp_path / "b.sqlite3").file
    with blank_shop.write() as s:
        s.get(Product, item.product_id).name = "Pumpernickel"
        add(s, "Brioche")
    restore(blank_shop.path, saved)
    check_index(blank_shop)
    assert names(find(blank_shop, "loaf")) == ["Rye Loaf", "Spelt Loaf"]
    assert names(find(blank_shop, "pumpernickel")) == names(find(blank_shop, "brioche")) == []


def test_a_store_from_before_the_index_is_indexed_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = make_engine(path, immediate=True)
    # the shop is made with today's tables, then taken back to before the index (0003): the
    # models always describe the newest schema, so they cannot write into an old one
    command.upgrade(alembic_config(engine), "head")
    with Session(engine) as s, s.begin():
        initialise(s, store_name="Old Shop", currency="EUR")
        s.flush()
        add(s, "Καφές Ελληνικός", brand="Λουμίδης")
        hoodie = add(s, "Hoodie", variant="M")
        add_variant(s, s.get(Product, hoodie.product_id), "L", sku="HD-L", barcode="2000000000066",
                    archived=True)
        add(s, "Archived Thing", archived=True)
        assert s.scalar(select(StaffUser.id)) is None
    command.downgrade(alembic_config(engine), "0003")
    with engine.connect() as connection:
        tables = {row[0] for row in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not {"till_search", "till_vocab"} & tables and "shipments" not in tables
    engine.dispose()
    store = LocalStore.open(path)
    try:
        held = check_index(store)
        assert sorted(held.values()) == [("hoodie m", ""), ("καφεσ ελληνικοσ", "λουμιδησ")]
        assert names(find(store, "kafes")) == []
        assert names(find(store, "καφες")) == ["Καφές Ελληνικός"]
        with store.read() as s:
            assert search.search(s, "hodie", store_id=None).corrected == "hoodie"
    finally:
        store.close()

"""A catalogue change the server refuses (or keeps its own version of) leaves the till as the
server has it: a product it never made is not left on sale, a refused category change is put
back, a category's version follows the server's, and a refused picture no longer counts in the
base version of the product's edits queued behind it. Answers are recorded as ``sync.push``
records them (every result of a batch, then the entries deleted)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.back_office.products.categories import MAX_DEPTH, save_category
from app.back_office.products.images import add_image
from app.back_office.products.service import NewVariant, create_product
from app.catalog_edit import update_product
from app.domain.errors import RuleViolation
from app.sales.identity import this_register
from app.sync_issues import list_issues
from db.models import Barcode, Category, OutboxEntry, Product, StockMovement, Variant
from sync.apply import apply_entity
from sync.resolution import record_outcome
from tests.app.back_office.products.test_images import photo
from tests.support import catalog

REFUSED = {"status": "rejected", "reason": "payload.parent_id: the tree would be too deep"}
APPLIED = {"status": "applied"}


@pytest.fixture
def till(blank_shop):
    """A till with a manager, a tax class (through a first product) and an empty outbox."""
    with blank_shop.write() as s:
        manager = catalog.staff(s, role="manager").id
        lamp = catalog.product(s, "Lamp", 1500)
        ids = {"manager": manager, "tax_class": lamp.product.tax_class_id,
               "lamp": lamp.product_id, "store": this_register(s)[0].id}
        for entry in s.scalars(select(OutboxEntry)):
            s.delete(entry)
    return blank_shop, ids


def answer(store, kind: str, *results: dict) -> None:
    """The first ``len(results)`` queued entries of ``kind`` answered in one batch."""
    with store.write() as s:
        entries = s.scalars(select(OutboxEntry).where(OutboxEntry.kind == kind)
                            .order_by(OutboxEntry.seq)).all()[:len(results)]
        assert len(entries) == len(results)
        for entry, result in zip(entries, results):
            record_outcome(s, entry, result)
        for entry in entries:
            if entry not in s.deleted:
                s.delete(entry)


def queued(store, kind: str) -> list[dict]:
    with store.read() as s:
        return [json.loads(e.payload) for e in s.scalars(
            select(OutboxEntry).where(OutboxEntry.kind == kind).order_by(OutboxEntry.seq))]


def messages(store) -> list[str]:
    with store.read() as s:
        return [i["message"] for i in reversed(list_issues(s))]


def category(store, category_id: str) -> tuple | None:
    with store.read() as s:
        row = s.get(Category, category_id)
        return None if row is None else (row.name, row.parent_id, row.position, row.version)


def new_bread(store, ids) -> str:
    with store.write() as s:
        return create_product(s, staff_id=ids["manager"], name="House bread",
                              tax_class_id=ids["tax_class"],
                              variants=[NewVariant(sku="BREAD1", price="2.00",
                                                   generate_ean13=True)]).id


# --- finding 1: a refused product.create ----------------------------------------------------

def test_a_refused_product_nothing_refers_to_is_removed_here(till):
    store, ids = till
    bread = new_bread(store, ids)
    codes = queued(store, "product.create")[0]["variants"][0]["barcodes"]
    assert len(codes) == 1
    answer(store, "product.create", REFUSED)
    with store.read() as s:
        assert s.get(Product, bread) is None
        assert s.scalars(select(Variant).where(Variant.sku == "BREAD1")).first() is None
        assert s.get(Barcode, codes[0]) is None  # the code is free for another product
    assert messages(store)[-1].endswith("; the product was removed here")
    assert "House bread" in messages(store)[-1]


def test_a_refused_product_with_stock_moved_is_archived_not_sold(till):
    store, ids = till
    bread = new_bread(store, ids)
    with store.write() as s:
        variant = s.scalars(select(Variant).where(Variant.product_id == bread)).one()
        s.add(StockMovement(store_id=ids["store"], variant_id=variant.id, quantity_milli=5000,
                            kind="receipt"))
    answer(store, "product.create", REFUSED)
    with store.read() as s:
        assert s.get(Product, bread).archived
        assert all(v.archived for v in s.scalars(select(Variant)
                                                 .where(Variant.product_id == bread)))
    assert messages(store)[-1].endswith("; the product was archived here (records here refer "
                                        "to it)")


# --- finding 3: a category's version follows the server's -----------------------------------

def test_an_applied_category_change_advances_the_version_the_next_one_is_based_on(till):
    store, ids = till
    with store.write() as s:
        drinks = save_category(s, staff_id=ids["manager"], name="Drinks").id
        save_category(s, staff_id=ids["manager"], name="Drinks & Co", category_id=drinks)
    answer(store, "category.upsert", APPLIED, APPLIED)  # the server is at version 2 now
    assert category(store, drinks)[3] == 2
    with store.write() as s:
        save_category(s, staff_id=ids["manager"], name="Beverages", category_id=drinks)
    assert [p["base_version"] for p in queued(store, "category.upsert")] == [2]


def test_a_category_conflict_shows_the_servers_category_and_drops_the_change_behind_it(till):
    store, ids = till
    with store.write() as s:
        drinks = save_category(s, staff_id=ids["manager"], name="Drinks").id
    answer(store, "category.upsert", APPLIED)
    with store.write() as s:
        save_category(s, staff_id=ids["manager"], name="Drinks & Co", category_id=drinks)
        save_category(s, staff_id=ids["manager"], name="Drinks & More", category_id=drinks)
    server = {"id": drinks, "name": "Soft drinks", "slug": "", "parent_id": None, "path": [],
              "sort": 4, "archived": False, "version": 3}
    answer(store, "category.upsert", {"status": "conflict", "current": server})
    assert category(store, drinks) == ("Soft drinks", None, 4, 3)
    assert queued(store, "category.upsert") == []  # its base counted the one not kept
    assert "the server's version is now shown" in messages(store)[-2]
    assert "not kept: it was made on top of an earlier change" in messages(store)[-1]


# --- finding 4: a refused category change is undone -----------------------------------------

def test_a_refused_move_and_rename_put_the_category_back(till):
    store, ids = till
    with store.write() as s:
        food = save_category(s, staff_id=ids["manager"], name="Food").id
        bread = save_category(s, staff_id=ids["manager"], name="Bread", position=2).id
    answer(store, "category.upsert", APPLIED, APPLIED)
    with store.write() as s:
        save_category(s, staff_id=ids["manager"], name="Bread", category_id=bread,
                      parent_id=food)
        save_category(s, staff_id=ids["manager"], name="Breads", category_id=bread, position=5)
    assert queued(store, "category.upsert")[0]["before"] == \
        {"name": "Bread", "parent_id": None, "position": 2}
    answer(store, "category.upsert", REFUSED)  # the rename behind it counted it: dropped too
    assert category(store, bread) == ("Bread", None, 2, 1)
    assert queued(store, "category.upsert") == []
    assert messages(store)[-2].endswith("; it was undone here")


def test_a_refused_category_change_stays_when_the_category_changed_since(till):
    store, ids = till
    with store.write() as s:
        bread = save_category(s, staff_id=ids["manager"], name="Bread").id
    answer(store, "category.upsert", APPLIED)
    with store.write() as s:
        save_category(s, staff_id=ids["manager"], name="Breads", category_id=bread)
        view = {"id": bread, "name": "Bakery", "parent_id": None, "sort": 0, "version": 2}
        assert apply_entity(s, "category", bread, "upsert", view, store_id=ids["store"],
                            currency="EUR")  # a pull brings someone else's rename
    answer(store, "category.upsert", REFUSED)
    assert category(store, bread)[:2] == ("Bakery", None)


def test_a_refused_new_category_goes_unless_a_product_uses_it(till):
    store, ids = till
    with store.write() as s:
        unused = save_category(s, staff_id=ids["manager"], name="Unused").id
        used = save_category(s, staff_id=ids["manager"], name="Used").id
        s.get(Product, ids["lamp"]).category_id = used
    answer(store, "category.upsert", REFUSED, REFUSED)
    assert category(store, unused) is None
    assert category(store, used)[0] == "Used"
    assert messages(store)[-2].endswith("; the category was removed here")
    assert "stays on this till only" in messages(store)[-1]


def test_a_move_is_refused_here_when_the_moved_subtree_would_be_too_deep(till):
    store, ids = till
    with store.write() as s:
        chain = [save_category(s, staff_id=ids["manager"], name="D1").id]
        for n in range(2, MAX_DEPTH - 1):  # D1 … D10
            chain.append(save_category(s, staff_id=ids["manager"], name=f"D{n}",
                                       parent_id=chain[-1]).id)
        top = save_category(s, staff_id=ids["manager"], name="T1").id
        mid = save_category(s, staff_id=ids["manager"], name="T2", parent_id=top).id
        save_category(s, staff_id=ids["manager"], name="T3", parent_id=mid)
    with store.write() as s, pytest.raises(RuleViolation) as refused:
        # T1 under D10 is level 11, so T3 would be level 13
        save_category(s, staff_id=ids["manager"], name="T1", category_id=top,
                      parent_id=chain[-1])
    assert refused.value.field == "parent_id"
    with store.write() as s:  # one level less fits exactly: T3 at level 12
        save_category(s, staff_id=ids["manager"], name="T1", category_id=top,
                      parent_id=chain[-2])
    assert category(store, top)[1] == chain[-2]


# --- finding 5: a refused product.image ---------------------------------------------------

def test_an_edit_queued_after_a_refused_image_no_longer_counts_it(till):
    store, ids = till
    with store.write() as s:
        add_image(s, staff_id=ids["manager"], product_id=ids["lamp"], data=photo(300, 200))
        update_product(s, staff_id=ids["manager"], product_id=ids["lamp"],
                       changes={"name": "Lamp 2"})
        version = s.get(Product, ids["lamp"]).version
    assert [p["base_version"] for p in queued(store, "product.update")] == [version + 1]
    answer(store, "product.image", {"status": "rejected",
                                    "reason": "payload.data: a product has at most 20 images"})
    assert [p["base_version"] for p in queued(store, "product.update")] == [version]
    assert messages(store)[-1].endswith("; the product's changes queued after it no longer "
                                        "count it")

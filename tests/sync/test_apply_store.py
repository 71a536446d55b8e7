"""This store's feed applied to a real local store: a pulled stock level is the server's count
plus this till's movements it has not counted yet; a level may arrive before its variant; the
till's own orders stay as rung up, other orders are kept as the server shows them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app import inventory
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.identity import this_register
from db.models import DeferredChange, Order, RemoteOrder, StaffUser, StockLevel, StockMovement
from sync.apply import apply_page
from tests.sync.feed_pages import (delete, level_doc, level_entry, order_doc, order_entry, page,
                                   product_doc, product_entry, tax_class_doc, tax_entry,
                                   variant_doc)


def store_id_of(local) -> str:
    with local.read() as session:
        store, _ = this_register(session)
        return store.id


def apply(local, *entries) -> int:
    with local.write() as session:
        return apply_page(session, page(entries), store_id=store_id_of(local))


def level_of(local, variant_id: str) -> int:
    with local.read() as session:
        return session.scalar(select(StockLevel.quantity_milli)
                              .where(StockLevel.variant_id == variant_id))


def test_a_level_is_the_servers_count_plus_the_movements_it_has_not_counted(blank_shop):
    store_id = store_id_of(blank_shop)
    tax = tax_class_doc()
    product = product_doc("Beans", tax, None, [variant_doc("BN-1"), variant_doc("BN-2")])
    one, two = product["variants"]
    apply(blank_shop, tax_entry(tax), product_entry(product))
    with blank_shop.write() as session:
        counted = inventory.record_movement(session, store_id=store_id, variant_id=one["id"],
                                            quantity_milli=10_000, kind="receipt")
        counted.synced = True  # the server acknowledged it: its count includes it
        inventory.record_movement(session, store_id=store_id, variant_id=one["id"],
                                  quantity_milli=-2_000, kind="sale")
        inventory.record_movement(session, store_id=store_id, variant_id=one["id"],
                                  quantity_milli=500, kind="adjustment")
        inventory.record_movement(session, store_id=store_id, variant_id=two["id"],
                                  quantity_milli=-1_000, kind="sale")
    entries = [level_entry(level_doc(store_id, product, one, 12_000)),
               level_entry(level_doc(store_id, product, two, 0))]
    assert apply(blank_shop, *entries) == 2
    assert level_of(blank_shop, one["id"]) == 12_000 - 2_000 + 500
    assert level_of(blank_shop, two["id"]) == -1_000  # oversold offline: negative, not hidden
    apply(blank_shop, *entries)  # the same page again
    assert level_of(blank_shop, one["id"]) == 10_500
    # once the sale is acknowledged the server counts it, and so does its next level
    with blank_shop.write() as session:
        for movement in session.scalars(select(StockMovement)):
            movement.synced = True
    apply(blank_shop, level_entry(level_doc(store_id, product, one, 10_500, version=2)))
    assert level_of(blank_shop, one["id"]) == 10_500


def test_a_level_before_its_variant_waits_then_applies(blank_shop):
    store_id = store_id_of(blank_shop)
    tax = tax_class_doc()
    product = product_doc("Rice", tax, None, [variant_doc("RC-1")])
    variant = product["variants"][0]
    assert apply(blank_shop, level_entry(level_doc(store_id, product, variant, 7_000))) == 0
    with blank_shop.read() as session:
        waiting = session.scalars(select(DeferredChange)).all()
        assert [(w.entity, w.entity_id) for w in waiting] == [
            ("stock_level", f"{store_id}:{variant['id']}")]
    assert apply(blank_shop, tax_entry(tax), product_entry(product)) == 3
    assert level_of(blank_shop, variant["id"]) == 7_000
    with blank_shop.read() as session:
        assert session.scalars(select(DeferredChange)).all() == []


def test_another_stores_level_is_skipped(blank_shop, caplog):
    tax = tax_class_doc()
    product = product_doc("Tea", tax, None, [variant_doc("TE-1")])
    apply(blank_shop, tax_entry(tax), product_entry(product))
    stray = level_doc("another-store", product, product["variants"][0], 5_000)
    assert apply(blank_shop, {**level_entry(stray), "feed": "store:another-store"}) == 0
    assert "not this till's store" in caplog.text
    assert level_of(blank_shop, product["variants"][0]["id"]) is None


@pytest.fixture
def sale(shop):
    with shop.write() as session:
        staff_id = session.scalar(select(StaffUser.id).where(StaffUser.role == "cashier"))
        variant_id = session.scalar(select(StockMovement.variant_id).limit(1))
        cart = Cart()
        cart.add(variant_id, 1000)
        order = checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                         staff_id=staff_id)
        return order.id, order.number, order.total


def test_the_tills_own_orders_stay_and_other_orders_are_kept_as_the_server_shows_them(shop,
                                                                                       sale):
    store_id = store_id_of(shop)
    order_id, number, total = sale
    mine = order_doc(store_id, number, total=total, order_id=order_id, channel="till")
    online = order_doc(store_id, "S01-W-000042", total=2598)
    assert apply(shop, order_entry({**mine, "status": "refunded", "version": 9}),
                 order_entry(online)) == 2
    with shop.read() as session:
        own = session.get(Order, order_id)
        assert (own.status, own.version) == ("delivered", 1)
        assert session.get(RemoteOrder, order_id) is None
        remote = session.get(RemoteOrder, online["_id"])
        assert (remote.number, remote.channel, remote.status, remote.total, remote.currency) == (
            "S01-W-000042", "online", "pending", 2598, "EUR")
        assert json.loads(remote.data)["id"] == online["_id"]
    apply(shop, delete(f"store:{store_id}", "order", online["_id"]))
    with shop.read() as session:
        assert session.get(RemoteOrder, online["_id"]) is None

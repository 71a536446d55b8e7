"""The demo shop is deterministic, realistic and valid."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from app import demo, integrity
from app.catalog import find_code
from app.domain.barcodes import is_valid_gtin, make_ean13
from db.engine import LocalStore
from db.models import Barcode, Category, Customer, Product, StaffUser, StockLevel, Variant


def fingerprint(store: LocalStore) -> str:
    with store.read() as s:
        rows = s.execute(select(Variant.id, Variant.sku, Variant.price, Barcode.code, Product.name)
                         .join(Barcode).join(Product).order_by(Variant.sku)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_the_same_seed_gives_the_same_shop(tmp_path):
    stores = [LocalStore.open(tmp_path / f"{n}.sqlite3") for n in range(3)]
    for store, seed in zip(stores, (7, 7, 8)):
        with store.write() as s:
            demo.generate(s, products=150, customers=10, seed=seed)
    prints = [fingerprint(store) for store in stores]
    for store in stores:
        store.close()
    assert prints[0] == prints[1] != prints[2]


def test_the_demo_shop_is_complete_and_sound(shop):
    with shop.read() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 300
        variants = s.scalar(select(func.count()).select_from(Variant))
        assert variants > 300  # clothing comes in sizes and colours
        codes = s.scalars(select(Barcode.code)).all()
        assert len(codes) == variants and all(is_valid_gtin(c) for c in codes)
        assert s.scalar(select(func.count()).select_from(Category).where(Category.parent_id.is_(None))) == 8
        assert {r for r in s.scalars(select(StaffUser.role))} >= {"owner", "manager", "cashier",
                                                                   "stock_clerk", "support"}
        assert s.scalar(select(func.count()).select_from(Customer)) == 40
        assert s.scalar(select(func.count()).select_from(StockLevel)) == variants
        assert any(n.startswith(("Ελληνικό", "Русский")) for n in s.scalars(select(Product.name)))
        assert integrity.check_all(s) == []


def test_weighed_fruit_sells_from_a_scale_label(shop):
    with shop.read() as s:
        match = find_code(s, make_ean13("250000001234"))
        assert match.variant.product.sold_by_weight
        assert match.quantity_milli == 1234


def test_history_rings_up_real_sales_through_checkout(shop):
    with shop.write() as s:
        written = demo.generate_history(s, days=2, orders_per_day=5)
    assert written == 10
    with shop.read() as s:
        assert integrity.check_all(s) == []

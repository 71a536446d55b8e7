"""One shop with one sale per test module (migrating a store costs more than these tests); each
test gets an empty print queue, its own settings file, and the sale's real receipt."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from app.config.settings import Settings
from app.domain.tenders import TenderMethod
from app.printing.receipt import render_receipt
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.setup import initialise
from db.engine import LocalStore
from db.models import PrintJob
from tests.support import catalog

WAIT_MS = 10_000


@pytest.fixture(scope="module")
def printing_shop(tmp_path_factory):
    store = LocalStore.open(tmp_path_factory.mktemp("printing") / "tillpoint.sqlite3")
    with store.write() as s:
        initialise(s, store_name="Corner Shop", currency="EUR")
    with store.write() as s:
        cashier = catalog.staff(s)
        tea = catalog.product(s, "Tea", 450, stock_milli=10_000)
        cart = Cart()
        cart.add(tea.id, 1000)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier.id)
        sale = {"id": order.id, "number": order.number}
    with store.read() as s:
        sale["pdf"] = render_receipt(s, sale["id"], width="80mm", footer="Thank you")
    yield store, sale
    store.close()


@pytest.fixture
def shop_store(printing_shop) -> LocalStore:
    store, _sale = printing_shop
    with store.write() as s:
        s.execute(delete(PrintJob))
    return store


@pytest.fixture
def sale(printing_shop) -> dict:
    return printing_shop[1]


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(tmp_path / "settings.toml")

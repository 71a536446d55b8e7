"""The document registry's settings: a receipt drawn without a footer given prints the shop's
return policy (``receipt.footer``), the one the settings hold when they hold one, and none
only when the shop asked for none."""

from __future__ import annotations

import pytest

from app.config.settings import Settings
from app.domain.tenders import TenderMethod
from app.printing import documents
from app.printing.receipt import DEFAULT_FOOTER
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.setup import initialise
from db.engine import LocalStore
from tests.support import catalog, pdf


@pytest.fixture(scope="module")
def sale(tmp_path_factory):  # noqa: ANN001, ANN201
    store = LocalStore.open(tmp_path_factory.mktemp("documents") / "tillpoint.sqlite3")
    with store.write() as s:
        initialise(s, store_name="Test Shop", currency="EUR")
        cashier = catalog.staff(s)
        cart = Cart()
        cart.add(catalog.product(s, "Tea", 450, stock_milli=10_000).id, 1000)
        order_id = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                            staff_id=cashier.id).id
    yield store, order_id
    store.close()


def receipt_text(sale, options: documents.DocumentSettings) -> str:
    store, order_id = sale
    with store.read() as s:
        return " ".join(pdf.load(documents.draw(s, "receipt", order_id, options)).text().split())


def test_settings_left_out_print_the_return_policy(sale):
    assert documents.DocumentSettings().footer is None
    assert DEFAULT_FOOTER in receipt_text(sale, documents.DocumentSettings())


def test_the_shops_own_footer_or_none_when_it_asked_for_none(sale, tmp_path):
    settings = Settings(tmp_path / "settings.toml")
    assert documents.DocumentSettings.from_settings(settings).footer == DEFAULT_FOOTER
    settings.set("receipt.footer", "Exchanges within 14 days")
    text = receipt_text(sale, documents.DocumentSettings.from_settings(settings))
    assert "Exchanges within 14 days" in text and DEFAULT_FOOTER not in text
    settings.set("receipt.footer", "")
    assert documents.DocumentSettings.from_settings(settings).footer == ""
    text = receipt_text(sale, documents.DocumentSettings.from_settings(settings))
    assert "Exchanges" not in text and DEFAULT_FOOTER not in text

"""The payment page's fixtures, shared by its test modules: a standalone card terminal the
cashier keys, receipts saved to a directory, and the page over a cart of two demo items."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from db.models import Order
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.u2_support import show
from ui.till.payment_panel import PaymentPanel


@pytest.fixture
def till_payments(shop):  # noqa: ANN001, ANN201 - the card terminal the cashier keys
    return CardPayments(shop, StandaloneTerminal())


@pytest.fixture
def receipt_dir(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    directory = tmp_path / "receipts"
    monkeypatch.setenv("TILLPOINT_RECEIPT_DIR", str(directory))
    return directory


@pytest.fixture
def panel(qtbot, till_controller, till, till_settings, demo_items, receipt_dir):  # noqa: ANN001, ANN201
    """The payment page over a cart of the first two demo items (one of each)."""
    widget = show(qtbot, PaymentPanel(till_controller, till_settings), (1024, 700))
    till.sign_in()
    till.open_shift("100.00")
    for item in demo_items[:2]:
        till.call("scan", item.barcode)
    till.call("begin_payment")
    qtbot.waitUntil(lambda: widget.view is not None, timeout=WAIT_MS)
    assert widget.amount_field.hasFocus()
    return widget


def two_items_total(demo_items) -> int:  # noqa: ANN001
    return sum(item.price for item in demo_items[:2])


def order_count(shop) -> int:  # noqa: ANN001
    with shop.read() as session:
        return session.scalar(select(func.count()).select_from(Order))


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"

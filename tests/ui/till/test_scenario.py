"""Done means: a whole shift at the register driven by keystrokes only, on a real register
session, store and card terminal. Sign in, open the shift, scan three items, apply a coupon,
split cash and card (the standalone terminal, confirmed with Enter), print the receipt to PDF
(its Code 128 decoded back), return one item by scanning the receipt's barcode, close the
shift, and check every Z-report figure to the cent against figures worked out here by hand."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from sqlalchemy import select

from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from db.models import Product, TaxRate, Variant
from tests.support import pdf
from tests.ui.till.conftest import CASHIER, CASHIER_PIN, WAIT_MS
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, active_modal, gone, key
from ui.till.return_dialog import ReturnDialog
from ui.till.shift_dialogs import CloseShiftDialog, OpenShiftDialog

pytestmark = OFFSCREEN_SIZE_HINTS

FLOAT = 10_000
CARD = 500  # the customer puts 5.00 on the card, the rest in cash
HANDED = 10_000  # and hands over a 100 note for the rest
COUNTED_SHORT = 30  # the drawer is 0.30 short at the close
PPM = 1_000_000


@pytest.fixture
def till_payments(shop):  # noqa: ANN001, ANN201
    return CardPayments(shop, StandaloneTerminal())


@pytest.fixture
def receipt_dir(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    directory = tmp_path / "receipts"
    monkeypatch.setenv("TILLPOINT_RECEIPT_DIR", str(directory))
    return directory


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _cents(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _three_items(shop, demo_items):  # noqa: ANN001, ANN202
    """Three different items and the one VAT rate of each."""
    chosen = demo_items[:3]
    rates = {}
    with shop.read() as session:
        for item in chosen:
            ppm = session.scalars(select(TaxRate.rate_ppm)
                                  .join(Product, Product.tax_class_id == TaxRate.tax_class_id)
                                  .join(Variant, Variant.product_id == Product.id)
                                  .where(Variant.id == item.variant_id)).all()
            assert len(ppm) == 1
            rates[item.variant_id] = ppm[0]
    return chosen, rates


def _coupon_shares(coupon: int, prices: list[int]) -> list[int]:
    """The coupon spread over the lines by their prices: each share rounded down, the cents
    left over to the lines that lost most in rounding (the first of equals first)."""
    whole = sum(prices)
    shares = [coupon * price // whole for price in prices]
    lost = [coupon * price % whole for price in prices]
    for i in sorted(range(len(prices)), key=lambda i: (-lost[i], i))[:coupon - sum(shares)]:
        shares[i] += 1
    return shares


def _by_hand(chosen, rates) -> dict[str, int]:  # noqa: ANN001
    """The shift worked out on paper. WELCOME10 takes 10 % of the basket (half a cent up),
    spread over the lines; prices include VAT, so each line's VAT is its total less
    total ÷ (1 + rate), rounded half up. The card takes 5.00 and cash the rest; the returned
    item's money goes back to the card first, then to cash."""
    prices = [item.price for item in chosen]
    gross = sum(prices)
    coupon = _half_up(Decimal(gross) / 10)
    lines = [price - share for price, share in zip(prices, _coupon_shares(coupon, prices))]
    taxes = [total - _half_up(Decimal(total) * PPM / (PPM + rates[item.variant_id]))
             for item, total in zip(chosen, lines)]
    total = sum(lines)
    cash = total - CARD
    returned, returned_tax = lines[0], taxes[0]
    card_back = min(returned, CARD)
    cash_back = returned - card_back
    expected = FLOAT + cash - cash_back
    return dict(
        sales_count=1, gross_sales=gross, discounts=gross - total, tax=sum(taxes),
        net_sales=total, refunds_count=1, refunds=returned, refunded_tax=returned_tax,
        voids_count=0, voids=0, opening_float=FLOAT, cash_sales=cash, cash_refunds=cash_back,
        cash_in=0, cash_out=0, expected_cash=expected, counted_cash=expected - COUNTED_SHORT,
        difference=-COUNTED_SHORT, card_sales=CARD, card_refunds=card_back,
        change=HANDED - cash)


def _type(qtbot, text: str, *, enter: bool = True) -> None:  # noqa: ANN001
    """Type into whatever has the focus, as the cashier (or the scanner) would."""
    widget = QApplication.focusWidget()
    assert widget is not None, "the focus was lost"
    qtbot.keyClicks(widget, text)
    if enter:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def _press(qtbot, name: str) -> None:  # noqa: ANN001
    widget = QApplication.focusWidget()
    assert widget is not None, "the focus was lost"
    key(qtbot, widget, name)


def test_a_whole_shift_by_keystrokes(qtbot, register_screen, till_controller, shop, demo_items,
                                     receipt_dir):
    screen = register_screen
    chosen, rates = _three_items(shop, demo_items)
    expect = _by_hand(chosen, rates)

    # -- sign in: type-ahead to the name, Enter, PIN, Enter ------------------------------------
    signin = screen.signin_page
    qtbot.waitUntil(lambda: signin.staff_list.count() > 0 and signin.staff_list.hasFocus(),
                    timeout=WAIT_MS)
    _type(qtbot, CASHIER)
    assert signin.pin_field.hasFocus()
    _type(qtbot, CASHIER_PIN)

    # -- no shift yet: the register asks for the float ------------------------------------------
    opening = active_modal(qtbot, OpenShiftDialog)
    assert opening.float_field.hasFocus()
    _type(qtbot, _cents(FLOAT))
    qtbot.waitUntil(lambda: screen.current_page_name() == "selling"
                    and QApplication.activeModalWidget() is None, timeout=WAIT_MS)
    scan = screen.selling_page.scan_field
    qtbot.waitUntil(scan.hasFocus, timeout=WAIT_MS)

    # -- three items scanned, then the coupon --------------------------------------------------
    for item in chosen:
        _type(qtbot, item.barcode)
        qtbot.waitUntil(lambda: screen.selling_page.cart_model.rowCount()
                        == chosen.index(item) + 1, timeout=WAIT_MS)
        qtbot.waitUntil(scan.hasFocus, timeout=WAIT_MS)
    _press(qtbot, "F6")
    coupon = active_modal(qtbot)
    _type(qtbot, "WELCOME10")
    qtbot.waitUntil(lambda: gone(coupon), timeout=WAIT_MS)
    total_label = screen.findChild(QLabel, "totalLabel")
    qtbot.waitUntil(lambda: screen.selling_page.cart_model.view.coupon_code == "WELCOME10",
                    timeout=WAIT_MS)
    assert screen.selling_page.cart_model.view.total == expect["net_sales"]
    assert _cents(expect["net_sales"]) in total_label.text()
    qtbot.waitUntil(scan.hasFocus, timeout=WAIT_MS)

    # -- pay: 5.00 on the card (Enter: the terminal approved), a 100 note for the rest ----------
    _press(qtbot, "F12")
    panel = screen.payment_page
    qtbot.waitUntil(lambda: screen.current_page_name() == "payment"
                    and panel.amount_field.hasFocus(), timeout=WAIT_MS)
    assert panel.due_label.text() == _cents(expect["net_sales"])
    _type(qtbot, _cents(CARD), enter=False)
    _press(qtbot, "F2")
    qtbot.waitUntil(panel.card_approved.isVisible, timeout=WAIT_MS)
    _press(qtbot, "Return")
    qtbot.waitUntil(lambda: panel.view.paid == CARD and panel.view.card is None,
                    timeout=WAIT_MS)
    _type(qtbot, _cents(HANDED), enter=False)
    _press(qtbot, "F1")
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    assert panel.change_label.text() == _cents(expect["change"])
    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS) as completed:
        _press(qtbot, "F12")
    sale = completed.args[0]
    assert sale.change == expect["change"]

    # -- the receipt, printed to PDF: its barcode is the sale's number and check-----------------------
    qtbot.waitUntil(panel.after_sale.next_field.hasFocus, timeout=WAIT_MS)
    with qtbot.waitSignal(panel.receipts.printed, timeout=WAIT_MS) as printed:
        _press(qtbot, "F1")
    with open(printed.args[0], "rb") as fh:
        receipt = pdf.load(fh.read())
    scanned = [value for kind, value in pdf.barcodes(receipt.render(0)) if kind == "Code128"]
    assert scanned == [sale.receipt_code] and scanned[0].startswith(sale.number)
    qtbot.waitUntil(lambda: screen.current_page_name() == "selling" and scan.hasFocus(),
                    timeout=WAIT_MS)
    assert screen.selling_page.cart_model.rowCount() == 0

    # -- return the first item: F9, scan the receipt, Space (all of line 1), F12 ----------------
    _press(qtbot, "F9")
    returns = active_modal(qtbot, ReturnDialog)
    assert returns.receipt_field.hasFocus()
    _type(qtbot, scanned[0])  # the scanner reads the receipt's Code 128
    qtbot.waitUntil(lambda: returns.pages.currentIndex() == 1, timeout=WAIT_MS)
    assert returns.sale.scanned and returns.lines.hasFocus()
    _press(qtbot, "Space")
    with qtbot.waitSignal(returns.refunded, timeout=WAIT_MS) as refunded:
        _press(qtbot, "F12")
    assert refunded.args[0].amount == expect["refunds"]
    _press(qtbot, "Return")
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None and scan.hasFocus(),
                    timeout=WAIT_MS)

    # -- close the shift: count the drawer (0.30 short), the Z-report --------------------------
    _press(qtbot, "Ctrl+Shift+Z")
    closing = active_modal(qtbot, CloseShiftDialog)
    qtbot.waitUntil(lambda: closing.expected_label.text() == _cents(expect["expected_cash"]),
                    timeout=WAIT_MS)
    _type(qtbot, _cents(expect["counted_cash"]), enter=False)
    assert closing.difference_label.text() == f"{_cents(-COUNTED_SHORT)} (short)"
    with qtbot.waitSignal(closing.closed_shift, timeout=WAIT_MS) as closed:
        _press(qtbot, "Return")
    report = closed.args[0]
    view = closing.report_view
    qtbot.waitUntil(view.isVisible, timeout=WAIT_MS)

    counts = ("sales_count", "refunds_count", "voids_count")
    for name in ("sales_count", "gross_sales", "discounts", "tax", "net_sales", "refunds_count",
                 "refunds", "refunded_tax", "voids_count", "voids", "opening_float",
                 "cash_sales", "cash_refunds", "cash_in", "cash_out", "expected_cash",
                 "counted_cash", "difference"):
        assert getattr(report, name) == expect[name], name
        shown = str(expect[name]) if name in counts else _cents(expect[name])
        assert view.values[name].text() == shown, name
    tenders = {line.method: line for line in report.tenders}
    assert (tenders["cash"].sales, tenders["cash"].refunds) == (expect["cash_sales"],
                                                                 expect["cash_refunds"])
    assert (tenders["card"].sales, tenders["card"].refunds) == (expect["card_sales"],
                                                                 expect["card_refunds"])
    assert (tenders["credit"].sales, tenders["credit"].refunds) == (0, 0)
    table = [[view.tenders.item(row, column).text() for column in range(4)]
             for row in range(view.tenders.rowCount())]
    assert ["Card", _cents(CARD), _cents(expect["card_refunds"]),
            _cents(CARD - expect["card_refunds"])] in table
    assert sum(t.tax for t in report.taxes) == expect["tax"]

    # F1 prints the frozen Z-report where the receipts go (here: the receipt folder)
    before = set(receipt_dir.glob("*.pdf")) if receipt_dir.exists() else set()
    _press(qtbot, "F1")
    qtbot.waitUntil(lambda: len(set(receipt_dir.glob("*.pdf")) - before) == 1, timeout=WAIT_MS)
    [printed] = set(receipt_dir.glob("*.pdf")) - before
    z_text = pdf.load(printed.read_bytes()).text()
    assert "Z-REPORT" in z_text.upper() and _cents(expect["expected_cash"]) in z_text

    _press(qtbot, "Return")  # Done
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=WAIT_MS)
    assert till_controller.session.current_shift() is None

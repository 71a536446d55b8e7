"""The payment page by keys on a real register session with the standalone card terminal:
cash exact and with change, quick cash, split cash and card (declined, then approved), store
credit refused without a customer, pasted text refused at the amount, Esc back to the cart,
and Complete pressed twice records one sale. After the sale the receipt is saved as a PDF
whose barcode scans back to the sale's number. (Keys pressed twice, scanner bursts, the
tender list and the after-sale scan: ``test_payment_keys``.)"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QLineEdit

from sqlalchemy import select

from db.models import Payment
from tests.support import pdf
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.payment_support import (money, order_count, panel,  # noqa: F401 - fixtures
                                           receipt_dir, till_payments, two_items_total)
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, key
from ui.till.receipt_output import render_to_printer

pytestmark = OFFSCREEN_SIZE_HINTS


def test_exact_cash_by_f1_then_f12_completes(qtbot, panel, till, till_controller, demo_items,
                                             shop):
    total = two_items_total(demo_items)
    assert panel.due_label.text() == money(total)
    assert not panel.complete_button.isEnabled()
    key(qtbot, panel.amount_field, "F1")  # no amount: the exact due, cash
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    assert panel.paid_label.text() == money(total) and panel.change_label.text() == "0.00"
    assert panel.complete_button.isEnabled()

    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS) as sale:
        key(qtbot, panel.amount_field, "F12")
    assert sale.args[0].total_text == money(total)
    assert panel.pages.currentWidget() is panel.after_sale
    assert "No change due" in panel.after_sale.change_label.text()
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)  # no receipt
    till.wait_idle()
    assert till.call("cart").empty and order_count(shop) == 1


def test_cash_over_the_due_gives_change_and_quick_cash_keys(qtbot, panel, till_controller,
                                                            demo_items):
    total = two_items_total(demo_items)
    quick = [button for button in panel.quick_cash if button.isVisible()]
    assert quick and quick[0].text() == f"{money(total)} (F5)"  # exact first
    note = quick[-1]
    note_minor = int(note.property("amount_text").replace(".", ""))
    assert note_minor >= total
    key(qtbot, panel.amount_field, note.shortcut().toString())
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    assert panel.change_label.text() == money(note_minor - total)
    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS) as sale:
        key(qtbot, panel.amount_field, "F12")
    assert sale.args[0].change == note_minor - total
    assert panel.after_sale.change_label.text() == f"Change {money(note_minor - total)}"


def test_split_cash_and_card_with_a_decline_first(qtbot, panel, till_controller, demo_items,
                                                  shop):
    total = two_items_total(demo_items)
    qtbot.keyClicks(panel.amount_field, "5")
    key(qtbot, panel.amount_field, "F1")
    qtbot.waitUntil(lambda: panel.view.paid == 500, timeout=WAIT_MS)
    assert panel.amount_field.text() == "" and panel.due_label.text() == money(total - 500)
    assert panel.tender_list.count() == 1

    key(qtbot, panel.amount_field, "F2")  # card for the rest: the cashier keys the terminal
    qtbot.waitUntil(lambda: panel.card_approved.isVisible(), timeout=WAIT_MS)
    assert panel.card_declined.isVisible() and not panel.card_cancel.isVisible()
    assert money(total - 500) in panel.card_status.text()
    assert not panel.cash_button.isEnabled() and not panel.complete_button.isEnabled()

    qtbot.keyClick(panel.amount_field, Qt.Key.Key_Escape)  # the terminal said declined
    qtbot.waitUntil(lambda: not panel.card_approved.isVisible(), timeout=WAIT_MS)
    assert "declined" in panel.card_status.text().lower()
    assert panel.view.due == total - 500

    key(qtbot, panel.amount_field, "F2")
    qtbot.waitUntil(lambda: panel.card_approved.isVisible(), timeout=WAIT_MS)
    qtbot.keyClick(panel.amount_field, Qt.Key.Key_Return)  # approved
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    assert panel.complete_button.isEnabled()
    labels = [panel.tender_list.item(row).text() for row in range(panel.tender_list.count())]
    assert len(labels) == 2 and labels[0].startswith("Cash") and labels[1].startswith("Card")

    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS):
        key(qtbot, panel.amount_field, "F12")
    with shop.read() as session:
        paid = sorted(session.execute(select(Payment.method, Payment.amount)).all())
    assert paid == [("card", total - 500), ("cash", 500)]


def test_pasted_text_and_too_many_decimals_are_refused_at_the_amount(qtbot, panel, till):
    QGuiApplication.clipboard().setText("ten euros")
    qtbot.keyClick(panel.amount_field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert panel.amount_field.text() == ""
    assert panel.message.text().startswith("“ten euros” is not an amount")

    qtbot.keyClicks(panel.amount_field, "1.234")  # shaped like one: the register refuses it
    key(qtbot, panel.amount_field, "F1")
    qtbot.waitUntil(lambda: "decimal" in panel.message.text(), timeout=WAIT_MS)
    till.wait_idle()
    assert panel.view.paid == 0 and panel.amount_field.text() == "1.234"


def test_store_credit_without_a_customer_is_refused_and_nothing_is_paid(qtbot, panel, till):
    key(qtbot, panel.amount_field, "F3")
    qtbot.waitUntil(lambda: bool(panel.message.text()), timeout=WAIT_MS)
    till.wait_idle()
    assert panel.view.paid == 0 and panel.tender_list.count() == 0


def test_esc_goes_back_to_the_cart_with_everything_on_it(qtbot, panel, till, till_controller,
                                                         demo_items):
    qtbot.keyClicks(panel.amount_field, "2")
    qtbot.keyClick(panel.amount_field, Qt.Key.Key_Escape)  # first Esc: clears the amount
    assert panel.amount_field.text() == ""
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        with qtbot.waitSignal(till_controller.cart_changed, timeout=WAIT_MS) as cart:
            qtbot.keyClick(panel.amount_field, Qt.Key.Key_Escape)
    assert [line.variant_id for line in cart.args[0].lines] == [i.variant_id
                                                                for i in demo_items[:2]]


def test_complete_pressed_twice_records_one_sale(qtbot, panel, till, till_controller, shop):
    key(qtbot, panel.amount_field, "F1")
    qtbot.waitUntil(lambda: panel.complete_button.isEnabled(), timeout=WAIT_MS)
    sales = []
    till_controller.sale_completed.connect(sales.append)
    key(qtbot, panel.amount_field, "F12")
    assert not panel.complete_button.isEnabled()  # disabled while the call is out
    key(qtbot, panel.amount_field, "F12")
    panel.complete_button.click()
    panel.complete()
    qtbot.waitUntil(lambda: bool(sales), timeout=WAIT_MS)
    till.wait_idle()
    qtbot.wait(50)
    assert len(sales) == 1 and order_count(shop) == 1


def test_the_receipt_prints_to_a_pdf_whose_barcode_is_the_sale(qtbot, panel, till_controller,
                                                               receipt_dir):
    key(qtbot, panel.amount_field, "F1")
    qtbot.waitUntil(lambda: panel.complete_button.isEnabled(), timeout=WAIT_MS)
    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS) as sale:
        key(qtbot, panel.amount_field, "F12")
    code = sale.args[0].receipt_code  # the sale's number and its check (app.sales.receipt_code)
    assert code.startswith(sale.args[0].number)
    notices = []
    till_controller.notice.connect(notices.append)
    with qtbot.waitSignal(panel.receipts.printed, timeout=WAIT_MS) as printed:
        with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
            key(qtbot, QApplication.focusWidget(), "F1")
    path = printed.args[0]
    assert path.startswith(str(receipt_dir)) and path.endswith(".pdf")
    assert notices and notices[-1] == f"Receipt saved to {path}"
    with open(path, "rb") as fh:
        document = pdf.load(fh.read())
    assert ("Code128", code) in pdf.barcodes(document.render(0))
    assert sale.args[0].number in document.text(0)


def test_email_receipt_is_queued_and_says_so(qtbot, panel, till_controller):
    key(qtbot, panel.amount_field, "F1")
    qtbot.waitUntil(lambda: panel.complete_button.isEnabled(), timeout=WAIT_MS)
    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS):
        key(qtbot, panel.amount_field, "F12")
    after = panel.after_sale
    assert after.next_field.hasFocus()  # not a button: the next customer's scan lands here
    key(qtbot, after.next_field, "F2")
    assert after.email_field.isVisible() and after.email_field.hasFocus()
    qtbot.keyClicks(after.email_field, "not an address")
    qtbot.keyClick(after.email_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(after.message.text()), timeout=WAIT_MS)
    assert after.email_field.isVisible()  # refused: still asking

    after.email_field.clear()
    notices = []
    till_controller.notice.connect(notices.append)
    qtbot.keyClicks(after.email_field, "ann@example.com")
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        qtbot.keyClick(after.email_field, Qt.Key.Key_Return)
    assert any("ann@example.com" in notice for notice in notices)


def _paid_sale(qtbot, panel, till_controller):  # noqa: ANN001, ANN202
    key(qtbot, panel.amount_field, "F1")
    qtbot.waitUntil(lambda: panel.complete_button.isEnabled(), timeout=WAIT_MS)
    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS) as sale:
        key(qtbot, panel.amount_field, "F12")
    return sale.args[0]


def test_printing_lays_the_receipt_on_a_printer_off_the_ui_thread(qtbot, panel, till,
                                                                  till_controller, runner,
                                                                  tmp_path):
    sale = _paid_sale(qtbot, panel, till_controller)
    drawn = till.call("receipt_pdf", sale.order_id)
    target = tmp_path / "printed.pdf"
    threads = []

    def print_it() -> None:
        # a printer whose output is a file: the same QPainter-on-QPrinter path as a real one
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        threads.append(threading.current_thread())
        render_to_printer(drawn, printer)

    done = []
    runner.run(print_it, kind="io", on_success=done.append, on_failure=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    assert done == [None] and threads[0] is not threading.main_thread()
    printed = pdf.load(target.read_bytes())
    assert printed.pages == pdf.load(drawn).pages
    assert ("Code128", sale.receipt_code) in pdf.barcodes(printed.render(0))


def test_a_printer_that_is_not_there_is_named_and_the_sale_stands(qtbot, panel, till,
                                                                 till_controller, till_settings,
                                                                 monkeypatch, shop):
    monkeypatch.delenv("TILLPOINT_RECEIPT_DIR")
    till_settings.set("printer.receipt", "Back Office Laser")
    _paid_sale(qtbot, panel, till_controller)
    errors = []
    till_controller.error.connect(lambda field, message: errors.append((field, message)))
    with qtbot.waitSignal(panel.receipts.failed, timeout=WAIT_MS) as failed:
        key(qtbot, QApplication.focusWidget(), "F1")
    assert "'Back Office Laser' is not set up" in failed.args[0]
    assert errors == [("receipt", failed.args[0])]
    assert order_count(shop) == 1


def test_every_control_of_the_payment_page_has_an_accessible_name(panel):
    unnamed = [widget.objectName() or type(widget).__name__
               for kind in (QAbstractButton, QLineEdit, QAbstractItemView)
               for widget in panel.findChildren(kind)
               if not widget.accessibleName()]
    assert unnamed == []

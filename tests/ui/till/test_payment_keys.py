"""The payment page's keys where a slip costs money: Enter or F1 pressed twice takes one
tender, a barcode scanned into the amount field is refused (it is not 40,170,725.00 in cash),
an empty Enter never takes money, the tender list by Up/Down and Ctrl+Del, buttons that keep
the focus in the amount, and after the sale a scan that starts the next customer's cart."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.payment_support import (money, order_count, panel,  # noqa: F401 - fixtures
                                           receipt_dir, till_payments, two_items_total)
from tests.ui.till.selling_support import (ENTER, cart_rows, page_of, press, scan_code,
                                           wait_rows, wait_scan_focused)
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, key
from ui.till.payment_panel import SCANNED

pytestmark = OFFSCREEN_SIZE_HINTS

EAN8 = "40170725"


def _tenders(panel) -> list[str]:  # noqa: ANN001, F811
    return [panel.tender_list.item(row).text() for row in range(panel.tender_list.count())]


def test_enter_twice_on_a_typed_amount_takes_one_tender(qtbot, panel, till):  # noqa: F811
    qtbot.keyClicks(panel.amount_field, "5.00")
    qtbot.keyClick(panel.amount_field, ENTER)
    qtbot.keyClick(panel.amount_field, ENTER)  # the first is still out: ignored
    till.wait_idle()
    qtbot.waitUntil(lambda: panel.view.paid == 500, timeout=WAIT_MS)
    assert len(panel.view.tenders) == 1

    qtbot.keyClicks(panel.amount_field, "2.00")
    key(qtbot, panel.amount_field, "F1")
    key(qtbot, panel.amount_field, "F1")
    till.wait_idle()
    assert panel.view.paid == 700 and len(panel.view.tenders) == 2
    qtbot.keyClick(panel.amount_field, ENTER)  # the field is empty now: no money taken
    till.wait_idle()
    assert panel.view.paid == 700 and "F12" in panel.message.text()


def test_a_barcode_scanned_into_the_amount_is_refused_not_taken_as_cash(qtbot, panel, till,
                                                                        till_controller):  # noqa: F811
    sales: list = []
    till_controller.sale_completed.connect(sales.append)
    qtbot.keyClicks(panel.amount_field, EAN8)  # a scanner: eight digits a few ms apart
    qtbot.keyClick(panel.amount_field, ENTER)
    assert panel.message.text() == SCANNED and panel.amount_field.text() == ""
    qtbot.keyClicks(panel.amount_field, EAN8)  # the next scan
    qtbot.keyClick(panel.amount_field, ENTER)
    till.wait_idle()
    assert panel.view.paid == 0 and panel.view.tenders == () and sales == []
    assert panel.amount_field.hasFocus()

    # a person keying an amount, however many digits, is served
    qtbot.keyClicks(panel.amount_field, "1000", delay=60)
    qtbot.keyClick(panel.amount_field, ENTER)
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    assert panel.view.change == 100_000 - panel.view.total


def test_an_empty_enter_says_what_to_do_and_completes_only_a_paid_sale(qtbot, panel, till,
                                                                       till_controller,
                                                                       demo_items, shop):  # noqa: F811
    qtbot.keyClick(panel.amount_field, ENTER)
    till.wait_idle()
    due = money(two_items_total(demo_items))
    assert panel.view.paid == 0 and order_count(shop) == 0
    assert f"Still due {due}" in panel.message.text() and "F12" in panel.message.text()

    key(qtbot, panel.amount_field, "F1")  # F1 is the exact due
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS):
        qtbot.keyClick(panel.amount_field, ENTER)  # fully paid: Enter completes as F12 does
    till.wait_idle()
    assert order_count(shop) == 1


def test_up_down_choose_a_tender_and_ctrl_del_removes_that_one(qtbot, panel, till):  # noqa: F811
    for amount in ("1.00", "2.00", "3.00"):
        qtbot.keyClicks(panel.amount_field, amount)
        key(qtbot, panel.amount_field, "F1")
        till.wait_idle()
    assert len(_tenders(panel)) == 3
    qtbot.keyClick(panel.amount_field, Qt.Key.Key_Up)  # from none chosen: the last one
    qtbot.keyClick(panel.amount_field, Qt.Key.Key_Up)
    assert panel.tender_list.currentRow() == 1 and panel.amount_field.hasFocus()

    key(qtbot, panel.amount_field, "Ctrl+Del")
    qtbot.waitUntil(lambda: len(panel.view.tenders) == 2, timeout=WAIT_MS)
    till.wait_idle()
    assert [t.amount for t in panel.view.tenders] == [100, 300]
    assert panel.amount_field.hasFocus()


def test_a_tapped_button_leaves_the_typed_amount_and_the_focus_alone(qtbot, panel, till):  # noqa: F811
    qtbot.keyClicks(panel.amount_field, "4.00")
    qtbot.mouseClick(panel.cash_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.view.paid == 400, timeout=WAIT_MS)
    assert panel.amount_field.hasFocus()

    qtbot.keyClicks(panel.amount_field, "1.00")
    qtbot.mouseClick(panel.credit_button, Qt.MouseButton.LeftButton)  # no customer: refused
    qtbot.waitUntil(lambda: bool(panel.message.text()), timeout=WAIT_MS)
    till.wait_idle()
    assert panel.amount_field.hasFocus() and panel.amount_field.text() == "1.00"
    for button in (panel.cash_button, panel.card_button, panel.complete_button,
                   panel.remove_button, panel.back_button, *panel.quick_cash,
                   panel.after_sale.print_button, panel.after_sale.none_button):
        assert button.focusPolicy() == Qt.FocusPolicy.NoFocus, button.objectName()


def test_a_scan_after_the_sale_is_no_receipt_and_starts_the_next_cart(
        qtbot, selling_screen, till, till_controller, demo_items, receipt_dir):  # noqa: F811
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    press(qtbot, selling_screen, Qt.Key.Key_F12)
    panel = selling_screen.payment_page  # noqa: F811
    qtbot.waitUntil(lambda: panel.view is not None and panel.amount_field.hasFocus(),
                    timeout=WAIT_MS)
    press(qtbot, selling_screen, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS):
        press(qtbot, selling_screen, Qt.Key.Key_F12)
    qtbot.waitUntil(panel.after_sale.next_field.hasFocus, timeout=WAIT_MS)

    # the next customer's first item, scanned straight away
    qtbot.keyClicks(QApplication.focusWidget(), demo_items[1].barcode)
    qtbot.keyClick(QApplication.focusWidget(), ENTER)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "selling", timeout=WAIT_MS)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert [line.variant_id for line in till.call("cart").lines] == [demo_items[1].variant_id]
    assert not list(receipt_dir.glob("*.pdf"))  # no receipt was printed
    wait_scan_focused(qtbot, selling_screen)
    assert cart_rows(selling_screen) == 1 and page_of(selling_screen).scan_field.text() == ""

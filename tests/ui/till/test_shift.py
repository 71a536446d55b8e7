"""Shifts by keys: open with a float, cash in and out with reasons, close with a count that
shows expected, counted and the difference as it is typed, then the Z-report. Bad input is
refused at its field and changes nothing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from app.domain.errors import RuleViolation
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, key, open_dialog, show, type_in
from ui.till.shift_dialogs import CashMovementDialog, CloseShiftDialog, OpenShiftDialog

pytestmark = OFFSCREEN_SIZE_HINTS


@pytest.fixture
def host(qtbot, till):  # noqa: ANN001, ANN201 - the window the dialogs open over
    till.sign_in()
    return show(qtbot, QWidget())


def _wait_message(qtbot, label, text_part: str) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: text_part in label.text(), timeout=WAIT_MS)


def test_open_shift_by_keys_refuses_bad_floats_at_the_field(qtbot, host, till, till_controller):
    dialog = open_dialog(qtbot, OpenShiftDialog(till_controller, host))
    field = dialog.float_field
    assert field.hasFocus()

    qtbot.keyClicks(field, "1o")  # a letter o for a zero
    assert field.text() == "1" and dialog.message.text().startswith("“o” is not an amount")
    qtbot.keyClicks(field, "0")
    assert field.text() == "10" and dialog.message.text() == ""  # a good key clears it
    QGuiApplication.clipboard().setText("one hundred")
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert field.text() == "10" and "“one hundred” is not an amount" in dialog.message.text()

    qtbot.keyClicks(field, "0.005")  # shaped like an amount: the register refuses it
    qtbot.keyClick(field, Qt.Key.Key_Return)
    _wait_message(qtbot, dialog.message, "decimal places")
    assert dialog.message.text().startswith("Opening float: ")
    assert dialog.isVisible() and till.call("current_shift") is None

    field.clear()
    with qtbot.waitSignal(dialog.opened, timeout=WAIT_MS) as opened:
        type_in(qtbot, field, "100.00")
    assert opened.args[0].opening_float == 10_000
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert till.call("current_shift").opening_float_text == "100.00"

    again = open_dialog(qtbot, OpenShiftDialog(till_controller, host))
    type_in(qtbot, again.float_field, "50")
    qtbot.waitUntil(lambda: bool(again.message.text()), timeout=WAIT_MS)
    assert again.isVisible()  # one shift per register: the refusal is shown, nothing changes
    qtbot.keyClick(again.float_field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not again.isVisible(), timeout=WAIT_MS)
    assert till.call("current_shift").opening_float == 10_000


def test_cash_in_and_out_need_a_reason_and_out_cannot_exceed_the_drawer(qtbot, host, till,
                                                                       till_controller):
    till.open_shift("100.00")
    dialog = open_dialog(qtbot, CashMovementDialog(till_controller, host))
    key(qtbot, dialog.amount_field, "F2")
    assert dialog.direction == "out" and dialog.amount_field.hasFocus()
    type_in(qtbot, dialog.amount_field, "150.00")
    assert dialog.reason_field.hasFocus()
    type_in(qtbot, dialog.reason_field, "bank run")
    _wait_message(qtbot, dialog.message, "cannot be taken out")
    assert dialog.isVisible()

    dialog.amount_field.selectAll()
    qtbot.keyClicks(dialog.amount_field, "30.00")
    dialog.reason_field.clear()
    type_in(qtbot, dialog.reason_field, "   ")
    _wait_message(qtbot, dialog.message, "Reason: say why")
    assert till.call("shift_report").cash_out == 0

    qtbot.keyClicks(dialog.reason_field, "paid the window cleaner")
    with qtbot.waitSignal(dialog.recorded, timeout=WAIT_MS) as recorded:
        qtbot.keyClick(dialog.reason_field, Qt.Key.Key_Return)
    assert recorded.args[0].cash_out == 3_000
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)

    cash_in = open_dialog(qtbot, CashMovementDialog(till_controller, host))
    key(qtbot, cash_in.amount_field, "F1")
    type_in(qtbot, cash_in.amount_field, "20.50")
    with qtbot.waitSignal(cash_in.recorded, timeout=WAIT_MS) as recorded:
        type_in(qtbot, cash_in.reason_field, "change from the bank")
    report = recorded.args[0]
    assert (report.cash_in, report.cash_out, report.expected_cash) == (2_050, 3_000, 9_050)


def test_close_shows_the_difference_live_then_the_frozen_z_report(qtbot, host, till,
                                                                  till_controller):
    till.open_shift("100.00")
    till.call("cash_movement", "10.00", "in", "coins")
    dialog = open_dialog(qtbot, CloseShiftDialog(till_controller, host))
    qtbot.waitUntil(lambda: dialog.expected_label.text() == "110.00", timeout=WAIT_MS)
    assert dialog.counted_field.hasFocus()

    qtbot.keyClicks(dialog.counted_field, "109.5")
    assert dialog.counted_label.text() == "109.50"
    assert dialog.difference_label.text() == "-0.50 (short)"
    qtbot.keyClicks(dialog.counted_field, "1")  # 109.51
    assert dialog.difference_label.text() == "-0.49 (short)"
    dialog.counted_field.clear()
    qtbot.keyClicks(dialog.counted_field, "110")
    assert dialog.difference_label.text() == "0.00 (exact)"
    qtbot.keyClicks(dialog.counted_field, ".2")
    assert dialog.difference_label.text() == "0.20 (over)"

    with qtbot.waitSignal(dialog.closed_shift, timeout=WAIT_MS) as closed:
        qtbot.keyClick(dialog.counted_field, Qt.Key.Key_Return)
    report = closed.args[0]
    assert (report.expected_cash, report.counted_cash, report.difference) == (11_000, 11_020, 20)
    view = dialog.report_view
    assert view.isVisible() and view.objectName() == "zReportView"
    assert view.values["expected_cash"].text() == "110.00"
    assert view.values["counted_cash"].text() == "110.20"
    assert view.values["difference"].text() == "0.20"
    assert view.values["cash_in"].text() == "10.00"
    assert view.values["sales_count"].text() == "0"
    assert till.call("current_shift") is None

    qtbot.keyClick(dialog.done_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


def test_closing_with_items_in_the_cart_is_refused_and_the_shift_stays(qtbot, host, till,
                                                                       till_controller,
                                                                       demo_items):
    till.open_shift("50.00")
    till.call("scan", demo_items[0].barcode)
    dialog = open_dialog(qtbot, CloseShiftDialog(till_controller, host))
    qtbot.waitUntil(lambda: dialog.expected_label.text() == "50.00", timeout=WAIT_MS)
    type_in(qtbot, dialog.counted_field, "50.00")
    qtbot.waitUntil(lambda: bool(dialog.message.text()), timeout=WAIT_MS)
    assert dialog.pages.currentIndex() == 0 and dialog.isVisible()
    assert till.call("current_shift") is not None

    qtbot.keyClick(dialog.counted_field, Qt.Key.Key_Escape)  # Esc backs out, nothing changes
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert len(till.call("cart").lines) == 1


def test_a_double_enter_opens_one_shift(qtbot, host, till, till_controller):
    dialog = open_dialog(qtbot, OpenShiftDialog(till_controller, host))
    qtbot.keyClicks(dialog.float_field, "25")
    errors = []
    till_controller.error.connect(lambda field, message: errors.append((field, message)))
    qtbot.keyClick(dialog.float_field, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.float_field, Qt.Key.Key_Return)
    till.wait_idle()
    assert errors == []  # the second Enter was not sent (it would be "a shift is open")
    assert till.call("current_shift").opening_float == 2_500
    with pytest.raises(RuleViolation):
        till.open_shift("10")


def test_a_dialog_closed_before_its_answer_comes_is_left_alone(qtbot, host, till,
                                                               till_controller):
    till.open_shift("10.00")
    dialog = CloseShiftDialog(till_controller, host)  # asks for the running figures at once
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    open_dialog(qtbot, dialog)
    qtbot.keyClicks(dialog.counted_field, "10")
    qtbot.keyClick(dialog.counted_field, Qt.Key.Key_Return)
    dialog.close()  # before the register answered: the answer finds no dialog, and no error
    till.wait_idle()
    qtbot.wait(20)
    assert till.call("current_shift") is None  # the close itself went through

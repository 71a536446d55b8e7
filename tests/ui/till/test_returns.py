"""Returns by keys: the receipt's barcode scanned finds the sale and refunds without a manager;
the printed number typed in counts as no receipt and a manager approves with their PIN
on the spot (audited); Space returns all of a line, a typed quantity part of it; bad
references and quantities are refused at the dialog and change nothing."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import func, select

from db.models import AuditEntry, Refund
from tests.ui.till.conftest import MANAGER, MANAGER_PIN, WAIT_MS
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, active_modal, key, open_dialog, show
from ui.till.approval_dialog import ApprovalDialog, ApprovalPrompter
from ui.till.return_dialog import ReturnDialog

pytestmark = OFFSCREEN_SIZE_HINTS
#: a person types a receipt number with this much between keys (a scanner: a few ms); the
#: speed decides nothing now (only the barcode's check does), but the test types like a person
HUMAN_KEY_MS = 60


@pytest.fixture
def host(qtbot, till_controller):  # noqa: ANN001, ANN201 - the screen dialogs open over
    widget = show(qtbot, QWidget())
    widget.approvals = ApprovalPrompter(till_controller, widget)
    return widget


@pytest.fixture
def sale(till, demo_items):  # noqa: ANN001, ANN201 - a cash sale: two of item 0, one of item 1
    till.sign_in()
    till.open_shift("100.00")
    for item in (demo_items[0], demo_items[0], demo_items[1]):
        till.call("scan", item.barcode)
    till.call("begin_payment")
    till.call("add_cash", None)
    return till.call("complete")


def _refunds(shop) -> int:  # noqa: ANN001
    with shop.read() as session:
        return session.scalar(select(func.count()).select_from(Refund))


def _find(qtbot, dialog: ReturnDialog, number: str, *, delay: int = -1) -> None:  # noqa: ANN001
    qtbot.keyClicks(dialog.receipt_field, number, delay=delay)
    qtbot.keyClick(dialog.receipt_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=WAIT_MS)


def test_a_scanned_receipt_refunds_a_whole_line_without_a_manager(qtbot, host, till_controller,
                                                                  sale, shop, demo_items):
    dialog = open_dialog(qtbot, ReturnDialog(till_controller, host))
    _find(qtbot, dialog, sale.receipt_code)
    assert dialog.sale.scanned and "receipt scanned" in dialog.sale_label.text()
    assert dialog.lines.rowCount() == 2 and dialog.lines.hasFocus()
    assert dialog.lines.item(0, 1).text() == "2"

    qtbot.keyClick(dialog.lines, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Space)  # all of line 2
    assert dialog.chosen_lines() == [(dialog.sale.lines[1].line_no, "1")]
    approvals = []
    till_controller.approval_needed.connect(approvals.append)
    with qtbot.waitSignal(dialog.refunded, timeout=WAIT_MS) as refunded:
        key(qtbot, dialog.lines, "F12")
    assert not approvals
    result = refunded.args[0]
    assert result.amount == demo_items[1].price
    assert dialog.pages.currentIndex() == 2 and result.amount_text in dialog.result_label.text()
    assert _refunds(shop) == 1
    qtbot.keyClick(dialog.done_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


def test_a_typed_number_is_a_return_without_receipt_a_manager_approves(qtbot, host, till,
                                                                       till_controller, sale,
                                                                       shop, demo_items):
    dialog = open_dialog(qtbot, ReturnDialog(till_controller, host))
    _find(qtbot, dialog, sale.number, delay=HUMAN_KEY_MS)
    assert not dialog.sale.scanned and "no receipt" in dialog.sale_label.text()

    qtbot.keyClicks(dialog.lines, "12")
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Backspace)  # one of the two of line 1
    assert dialog.chosen_lines() == [(dialog.sale.lines[0].line_no, "1")]
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Return)

    approval = active_modal(qtbot, ApprovalDialog)
    assert approval.parent() is dialog  # over the return, not blocked behind it
    qtbot.waitUntil(lambda: approval.manager_list.count() > 0, timeout=WAIT_MS)
    assert approval.manager_list.currentItem().text().startswith(MANAGER)
    assert approval.pin_field.hasFocus()
    qtbot.keyClicks(approval.pin_field, "0000")
    qtbot.keyClick(approval.pin_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(approval.message.text()), timeout=WAIT_MS)
    assert approval.isVisible() and approval.pin_field.text() == "" and _refunds(shop) == 0

    qtbot.keyClicks(approval.pin_field, MANAGER_PIN)
    with qtbot.waitSignal(dialog.refunded, timeout=WAIT_MS) as refunded:
        qtbot.keyClick(approval.pin_field, Qt.Key.Key_Return)
    assert refunded.args[0].amount == demo_items[0].price
    assert _refunds(shop) == 1
    with shop.read() as session:
        granted = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "approval.granted")).all()
    details = [json.loads(e.details) if isinstance(e.details, str) else e.details
               for e in granted]
    assert any(d.get("permission") == "sale:refund_without_receipt" for d in details)


def test_esc_on_the_approval_gives_up_and_nothing_is_refunded(qtbot, host, till_controller,
                                                              sale, shop):
    dialog = open_dialog(qtbot, ReturnDialog(till_controller, host))
    _find(qtbot, dialog, sale.number, delay=HUMAN_KEY_MS)
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Space)
    key(qtbot, dialog.lines, "F12")
    approval = active_modal(qtbot, ApprovalDialog)
    qtbot.keyClick(approval.pin_field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not approval.isVisible(), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.pages.currentIndex() == 1 and _refunds(shop) == 0


def test_bad_references_and_quantities_are_refused_at_the_dialog(qtbot, host, till,
                                                                 till_controller, sale, shop):
    dialog = open_dialog(qtbot, ReturnDialog(till_controller, host))
    qtbot.keyClicks(dialog.receipt_field, "S99-R99-999999")
    qtbot.keyClick(dialog.receipt_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "no sale" in dialog.message.text(), timeout=WAIT_MS)
    assert dialog.pages.currentIndex() == 0

    dialog.receipt_field.clear()
    _find(qtbot, dialog, sale.receipt_code)
    key(qtbot, dialog.lines, "F12")  # nothing chosen yet
    assert dialog.message.text().startswith("Choose what comes back")

    qtbot.keyClicks(dialog.lines, "5")  # more than the two sold
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dialog.message.text())
                    and not dialog.message.text().startswith("Choose"), timeout=WAIT_MS)
    till.wait_idle()
    assert dialog.pages.currentIndex() == 1 and _refunds(shop) == 0

    qtbot.keyClick(dialog.lines, Qt.Key.Key_Escape)  # back to the receipt field
    assert dialog.pages.currentIndex() == 0 and dialog.receipt_field.hasFocus()
    qtbot.keyClick(dialog.receipt_field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


def test_f4_refunds_a_cash_sale_as_store_credit_to_its_customer_only(qtbot, host, till,
                                                                    till_controller, sale,
                                                                    shop):
    dialog = open_dialog(qtbot, ReturnDialog(till_controller, host))
    _find(qtbot, dialog, sale.receipt_code)
    key(qtbot, dialog.lines, "F4")
    key(qtbot, dialog.lines, "F4")
    assert dialog.refund_to.currentData() == "credit"
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Space)
    key(qtbot, dialog.lines, "F12")
    # the sale had no customer: there is no one to give the credit to
    qtbot.waitUntil(lambda: bool(dialog.message.text()), timeout=WAIT_MS)
    till.wait_idle()
    assert _refunds(shop) == 0

    key(qtbot, dialog.lines, "F4")  # back to the original tender (cash)
    assert dialog.refund_to.currentData() == "original"
    with qtbot.waitSignal(dialog.refunded, timeout=WAIT_MS) as refunded:
        key(qtbot, dialog.lines, "F12")
    assert any(text.startswith("Cash") for text in refunded.args[0].to)

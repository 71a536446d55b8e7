"""The selling page driven by keystrokes, as a cashier with a scanner and a keyboard does it:
real widgets offscreen, a real RegisterSession on the demo shop, the real task runner."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QDialog, QLabel, QLineEdit, QListWidget,
                               QPushButton, QWidget)

from shiboken6 import isValid

from app.domain.permissions import Permission
from tests.ui.till.conftest import MANAGER_PIN, WAIT_MS

ENTER = Qt.Key.Key_Return
ESC = Qt.Key.Key_Escape
NO_MOD = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier

#: the offscreen platform says so each time a dialog shows (the shift dialog at sign-in)
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


# -- helpers -----------------------------------------------------------------------------------

def _page(screen):  # noqa: ANN001, ANN202
    return screen.selling_page


def _scan(qtbot, screen, code: str) -> None:  # noqa: ANN001
    """Type a code into the scan field and press Enter, as a scanner does."""
    field = _page(screen).scan_field
    qtbot.keyClicks(field, code)
    qtbot.keyClick(field, ENTER)


def _rows(screen) -> int:  # noqa: ANN001
    return _page(screen).cart_model.rowCount()


def _wait_rows(qtbot, screen, count: int) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: _rows(screen) == count, timeout=WAIT_MS)


def _key(qtbot, screen, key, modifiers=NO_MOD) -> None:  # noqa: ANN001
    """A key pressed while the scan field has the focus (where every key lands)."""
    qtbot.keyClick(_page(screen).scan_field, key, modifiers)


def _dialog(qtbot, name: str) -> QDialog:
    found: list[QDialog] = []

    def opened() -> bool:
        # active too: its shortcuts (Ctrl+N) and keys go to it only then
        found[:] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QDialog) and w.objectName() == name and w.isVisible()
                    and w.isActiveWindow()]
        return bool(found)
    qtbot.waitUntil(opened, timeout=WAIT_MS)
    return found[0]


def _closed(qtbot, dialog: QDialog) -> None:
    # a closed till dialog deletes itself
    qtbot.waitUntil(lambda: not isValid(dialog) or not dialog.isVisible(), timeout=WAIT_MS)


def _type_in(qtbot, dialog: QDialog, field_name: str, text: str) -> QLineEdit:  # noqa: ANN001
    field = dialog.findChild(QLineEdit, field_name)
    assert field is not None, field_name
    qtbot.waitUntil(field.hasFocus, timeout=WAIT_MS)
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, ENTER)
    return field


def _dialog_message(dialog: QDialog, name: str = "dialogMessage") -> str:
    return dialog.findChild(QLabel, name).text()


def _scan_focused(qtbot, screen) -> None:  # noqa: ANN001
    qtbot.waitUntil(_page(screen).scan_field.hasFocus, timeout=WAIT_MS)


def _approve_with_keys(qtbot) -> None:  # noqa: ANN001
    """The manager types their PIN in U2's approval dialog and presses Enter."""
    dialog = _dialog(qtbot, "approvalDialog")
    managers = dialog.findChild(QListWidget, "managerList")
    qtbot.waitUntil(lambda: managers.count() > 0, timeout=WAIT_MS)
    rows = [managers.item(i).text() for i in range(managers.count())]
    managers.setCurrentRow(next(i for i, text in enumerate(rows) if text.startswith("Max")))
    pin = dialog.findChild(QLineEdit, "managerPin")
    pin.setFocus()
    qtbot.keyClicks(pin, MANAGER_PIN)
    qtbot.keyClick(pin, ENTER)
    _closed(qtbot, dialog)


# -- scanning ----------------------------------------------------------------------------------

def test_three_scans_fill_the_cart_and_the_totals(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:3]:
        _scan(qtbot, selling_screen, item.barcode)
    _wait_rows(qtbot, selling_screen, 3)
    till.wait_idle()

    cart = till.call("cart")
    page = _page(selling_screen)
    assert [line.variant_id for line in cart.lines] == [i.variant_id for i in demo_items[:3]]
    assert page.findChild(QLabel, "totalLabel").text() == cart.total_text
    assert page.findChild(QLabel, "subtotalLabel").text() == cart.subtotal_text
    assert page.findChild(QLabel, "taxLabel").text() == cart.tax_text
    assert page.scan_field.text() == ""
    assert page.scan_field.hasFocus()
    assert page.selected_row() == 2  # the line just scanned is selected


def test_the_same_code_twice_adds_to_its_line(qtbot, selling_screen, till, demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    till.wait_idle()

    qtbot.waitUntil(lambda: _page(selling_screen).cart_model.line(0).quantity_text == "2",
                    timeout=WAIT_MS)
    assert _rows(selling_screen) == 1


def test_an_unknown_code_says_so_in_words_and_beeps(qtbot, selling_screen, till, till_controller,
                                                    demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    page = _page(selling_screen)

    with qtbot.waitSignal(till_controller.error_sound, timeout=WAIT_MS):
        _scan(qtbot, selling_screen, "2000000000008")
    till.wait_idle()

    assert "unknown code 2000000000008" in page.message_label.text()
    assert _rows(selling_screen) == 1
    # the refused code stays, selected, so the next scan replaces it
    assert page.scan_field.text() == "2000000000008"
    assert page.scan_field.selectedText() == "2000000000008"
    assert page.scan_field.hasFocus()

    _scan(qtbot, selling_screen, demo_items[1].barcode)
    _wait_rows(qtbot, selling_screen, 2)
    qtbot.waitUntil(lambda: page.message_label.text() == "", timeout=WAIT_MS)


def test_garbage_in_the_scan_field_is_refused_at_the_field(qtbot, selling_screen, till,
                                                           till_controller):
    page = _page(selling_screen)
    for garbage in ("%%%%", "12 34 ;;"):
        with qtbot.waitSignal(till_controller.error, timeout=WAIT_MS) as blocker:
            _scan(qtbot, selling_screen, garbage)
        till.wait_idle()
        assert blocker.args[0] == "scan"
        assert page.message_label.text() == blocker.args[1] != ""
        page.scan_field.clear()
    assert till.call("cart").empty


def test_up_and_down_move_the_cart_selection_from_the_scan_field(qtbot, selling_screen, till,
                                                                 demo_items):
    for item in demo_items[:3]:
        _scan(qtbot, selling_screen, item.barcode)
    _wait_rows(qtbot, selling_screen, 3)
    till.wait_idle()
    page = _page(selling_screen)

    _key(qtbot, selling_screen, Qt.Key.Key_Up)
    _key(qtbot, selling_screen, Qt.Key.Key_Up)
    assert page.selected_row() == 0
    _key(qtbot, selling_screen, Qt.Key.Key_Up)
    assert page.selected_row() == 0
    _key(qtbot, selling_screen, Qt.Key.Key_Down)
    assert page.selected_row() == 1
    assert page.scan_field.hasFocus()


# -- line actions ------------------------------------------------------------------------------

def test_quantity_refuses_bad_input_at_its_field_and_takes_a_good_one(qtbot, selling_screen, till,
                                                                      demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    before = till.call("cart")

    _key(qtbot, selling_screen, Qt.Key.Key_F4)
    dialog = _dialog(qtbot, "quantityFieldDialog")
    for bad in ("0", "-1", "abc", "10001"):
        _type_in(qtbot, dialog, "quantityField", bad)
        till.wait_idle()
        assert dialog.isVisible(), bad
        assert _dialog_message(dialog) != "", bad
        assert till.call("cart") == before, bad

    _type_in(qtbot, dialog, "quantityField", "3")
    _closed(qtbot, dialog)
    till.wait_idle()
    assert _page(selling_screen).cart_model.line(0).quantity_text == "3"
    _scan_focused(qtbot, selling_screen)


def test_lowering_a_quantity_is_a_void_a_manager_approves(qtbot, selling_screen, till, demo_items):
    for _ in range(3):
        _scan(qtbot, selling_screen, demo_items[0].barcode)
    qtbot.waitUntil(lambda: _rows(selling_screen) == 1 and _page(selling_screen).cart_model
                    .line(0).quantity_text == "3", timeout=WAIT_MS)
    till.wait_idle()

    _key(qtbot, selling_screen, Qt.Key.Key_F4)
    dialog = _dialog(qtbot, "quantityFieldDialog")
    _type_in(qtbot, dialog, "quantityField", "1")
    _approve_with_keys(qtbot)
    _closed(qtbot, dialog)
    till.wait_idle()

    assert _page(selling_screen).cart_model.line(0).quantity_text == "1"
    _scan_focused(qtbot, selling_screen)


def test_remove_needs_a_manager_and_esc_on_the_approval_changes_nothing(
        qtbot, selling_screen, till, till_controller, demo_items):
    for item in demo_items[:2]:
        _scan(qtbot, selling_screen, item.barcode)
    _wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()

    with qtbot.waitSignal(till_controller.approval_needed, timeout=WAIT_MS) as blocker:
        _key(qtbot, selling_screen, Qt.Key.Key_Delete)  # the scan field is empty: Del removes
    assert blocker.args[0].permission == Permission.VOID
    dialog = _dialog(qtbot, "approvalDialog")
    qtbot.keyClick(dialog.findChild(QLineEdit, "managerPin"), ESC)
    _closed(qtbot, dialog)
    till.wait_idle()
    assert _rows(selling_screen) == 2
    _scan_focused(qtbot, selling_screen)

    _key(qtbot, selling_screen, Qt.Key.Key_Delete)
    _approve_with_keys(qtbot)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert till.call("cart").lines[0].variant_id == demo_items[0].variant_id
    _scan_focused(qtbot, selling_screen)


def test_delete_with_text_in_the_scan_field_edits_the_text(qtbot, selling_screen, till, demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    field = _page(selling_screen).scan_field

    qtbot.keyClicks(field, "123")
    qtbot.keyClick(field, Qt.Key.Key_Home)
    _key(qtbot, selling_screen, Qt.Key.Key_Delete)

    assert field.text() == "23"
    assert _page(selling_screen).dialog is None
    assert _rows(selling_screen) == 1


def test_line_discount_within_the_limit_over_the_price_refused_above_the_limit_approved(
        qtbot, selling_screen, till, demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    before = till.call("cart")

    _key(qtbot, selling_screen, Qt.Key.Key_F5)
    dialog = _dialog(qtbot, "discountFieldDialog")
    _type_in(qtbot, dialog, "discountField", "100000")  # far over the price
    till.wait_idle()
    assert dialog.isVisible() and _dialog_message(dialog)
    assert till.call("cart") == before
    _type_in(qtbot, dialog, "discountField", "5%")  # the limit is 10 %
    _closed(qtbot, dialog)
    till.wait_idle()
    cart = till.call("cart")
    assert cart.discount_total > 0
    assert _page(selling_screen).findChild(QLabel, "totalLabel").text() == cart.total_text

    _key(qtbot, selling_screen, Qt.Key.Key_F5)
    dialog = _dialog(qtbot, "discountFieldDialog")
    _type_in(qtbot, dialog, "discountField", "50%")
    _approve_with_keys(qtbot)
    _closed(qtbot, dialog)
    till.wait_idle()
    assert till.call("cart").discount_total > cart.discount_total


def test_order_discount_with_shift_f5(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:2]:
        _scan(qtbot, selling_screen, item.barcode)
    _wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()

    _key(qtbot, selling_screen, Qt.Key.Key_F5, SHIFT)
    dialog = _dialog(qtbot, "orderDiscountFieldDialog")
    _type_in(qtbot, dialog, "orderDiscountField", "5%")
    _closed(qtbot, dialog)
    till.wait_idle()

    cart = till.call("cart")
    assert cart.order_discount_text
    assert cart.discount_total > 0
    assert cart.order_discount_text in _page(selling_screen).findChild(
        QLabel, "discountLabel").text()


def test_a_price_override_refuses_pasted_words_and_needs_a_manager(qtbot, selling_screen, till,
                                                                   demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    _key(qtbot, selling_screen, Qt.Key.Key_P, CTRL)
    dialog = _dialog(qtbot, "priceFieldDialog")
    field = dialog.findChild(QLineEdit, "priceField")
    qtbot.waitUntil(field.hasFocus, timeout=WAIT_MS)
    QApplication.clipboard().setText("twelve")
    qtbot.keyClick(field, Qt.Key.Key_V, CTRL)
    assert field.text() == ""
    assert "twelve" in _dialog_message(dialog)

    _type_in(qtbot, dialog, "priceField", "0.99")
    _approve_with_keys(qtbot)
    _closed(qtbot, dialog)
    till.wait_idle()
    line = till.call("cart").lines[0]
    assert line.unit_price == 99 and line.price_source == "override"


# -- coupon, customer, park --------------------------------------------------------------------

def test_a_coupon_unknown_then_applied_then_removed(qtbot, selling_screen, till, demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    coupon_label = _page(selling_screen).findChild(QLabel, "couponLabel")

    _key(qtbot, selling_screen, Qt.Key.Key_F6)
    dialog = _dialog(qtbot, "couponFieldDialog")
    _type_in(qtbot, dialog, "couponField", "NOSUCHCODE")
    till.wait_idle()
    assert dialog.isVisible() and _dialog_message(dialog)
    assert till.call("cart").coupon_code is None
    _type_in(qtbot, dialog, "couponField", "WELCOME10")
    _closed(qtbot, dialog)
    till.wait_idle()
    assert till.call("cart").coupon_code == "WELCOME10"
    assert coupon_label.text() == "WELCOME10"

    _key(qtbot, selling_screen, Qt.Key.Key_F6)
    dialog = _dialog(qtbot, "couponFieldDialog")
    _type_in(qtbot, dialog, "couponField", "")  # empty removes the coupon
    _closed(qtbot, dialog)
    till.wait_idle()
    assert till.call("cart").coupon_code is None
    assert coupon_label.text() == "—"


def test_esc_closes_a_dialog_and_the_focus_comes_back(qtbot, selling_screen, till, demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    before = till.call("cart")

    for key, name in ((Qt.Key.Key_F4, "quantityFieldDialog"), (Qt.Key.Key_F6, "couponFieldDialog"),
                      (Qt.Key.Key_F7, "customerDialog"), (Qt.Key.Key_F8, "parkLabelFieldDialog")):
        _key(qtbot, selling_screen, key)
        dialog = _dialog(qtbot, name)
        qtbot.waitUntil(lambda d=dialog: d.isAncestorOf(QApplication.focusWidget()),
                        timeout=WAIT_MS)
        qtbot.keyClick(QApplication.focusWidget(), ESC)
        _closed(qtbot, dialog)
        _scan_focused(qtbot, selling_screen)
    till.wait_idle()
    assert till.call("cart") == before


def test_a_customer_found_by_typing_and_attached_with_enter(qtbot, selling_screen, till,
                                                           demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    found = till.call("find_customers", "example.com")
    wanted = found[0]

    _key(qtbot, selling_screen, Qt.Key.Key_F7)
    dialog = _dialog(qtbot, "customerDialog")
    search = dialog.findChild(QLineEdit, "customerSearchField")
    qtbot.waitUntil(search.hasFocus, timeout=WAIT_MS)
    qtbot.keyClicks(search, wanted.email)
    results = dialog.findChild(QListWidget, "customerList")
    qtbot.waitUntil(lambda: results.count() >= 1, timeout=WAIT_MS)
    qtbot.keyClick(search, ENTER)
    _closed(qtbot, dialog)
    till.wait_idle()

    cart = till.call("cart")
    assert cart.customer is not None and cart.customer.id == wanted.id
    assert wanted.name in _page(selling_screen).findChild(QLabel, "customerLabel").text()
    _scan_focused(qtbot, selling_screen)


def test_a_customer_created_on_the_spot_and_a_bad_email_refused(qtbot, selling_screen, till,
                                                               demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    _key(qtbot, selling_screen, Qt.Key.Key_F7)
    dialog = _dialog(qtbot, "customerDialog")
    name = dialog.findChild(QLineEdit, "customerNameField")
    email = dialog.findChild(QLineEdit, "customerEmailField")
    phone = dialog.findChild(QLineEdit, "customerPhoneField")
    name.setFocus()
    qtbot.keyClicks(name, "Zoe Quickly")
    email.setFocus()
    qtbot.keyClicks(email, "not an email")
    phone.setFocus()
    qtbot.keyClicks(phone, "+32 470 999999")
    qtbot.keyClick(phone, Qt.Key.Key_N, CTRL)
    message = dialog.findChild(QLabel, "customerMessage")
    qtbot.waitUntil(lambda: message.text() != "", timeout=WAIT_MS)
    till.wait_idle()
    assert dialog.isVisible()
    assert till.call("cart").customer is None

    email.selectAll()
    qtbot.keyClicks(email, "zoe.quickly@example.com")
    qtbot.keyClick(email, ENTER)
    _closed(qtbot, dialog)
    till.wait_idle()
    customer = till.call("cart").customer
    assert customer is not None and customer.name == "Zoe Quickly"
    assert customer.email == "zoe.quickly@example.com"


def test_park_with_a_label_then_resume_it_with_enter(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:2]:
        _scan(qtbot, selling_screen, item.barcode)
    _wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    before = till.call("cart")

    _key(qtbot, selling_screen, Qt.Key.Key_F8)
    dialog = _dialog(qtbot, "parkLabelFieldDialog")
    _type_in(qtbot, dialog, "parkLabelField", "blue coat")
    _closed(qtbot, dialog)
    _wait_rows(qtbot, selling_screen, 0)
    till.wait_idle()
    assert till.call("cart").empty

    _key(qtbot, selling_screen, Qt.Key.Key_F8, SHIFT)
    dialog = _dialog(qtbot, "parkedDialog")
    parked = dialog.findChild(QListWidget, "parkedList")
    qtbot.waitUntil(lambda: parked.count() == 1, timeout=WAIT_MS)
    assert parked.item(0).text().startswith("blue coat")
    qtbot.keyClick(parked, ENTER)
    _closed(qtbot, dialog)
    _wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    assert [l.variant_id for l in till.call("cart").lines] == [l.variant_id for l in before.lines]
    _scan_focused(qtbot, selling_screen)


def test_resume_is_refused_while_the_cart_holds_items(qtbot, selling_screen, till, demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    till.call("park", label="first")
    till.call("cart")
    _scan(qtbot, selling_screen, demo_items[1].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    _key(qtbot, selling_screen, Qt.Key.Key_F8, SHIFT)
    dialog = _dialog(qtbot, "parkedDialog")
    parked = dialog.findChild(QListWidget, "parkedList")
    qtbot.waitUntil(lambda: parked.count() == 1, timeout=WAIT_MS)
    qtbot.keyClick(parked, ENTER)
    message = dialog.findChild(QLabel, "parkedMessage")
    qtbot.waitUntil(lambda: message.text() != "", timeout=WAIT_MS)
    till.wait_idle()
    assert dialog.isVisible()
    assert till.call("cart").lines[0].variant_id == demo_items[1].variant_id
    qtbot.keyClick(parked, ESC)
    _closed(qtbot, dialog)


# -- lock, pay, buttons ------------------------------------------------------------------------

def test_ctrl_l_locks_to_the_sign_in_page_and_the_cart_comes_back(qtbot, selling_screen, till,
                                                                  demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    _key(qtbot, selling_screen, Qt.Key.Key_L, CTRL)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "signin", timeout=WAIT_MS)
    till.wait_idle()
    assert selling_screen.findChild(QLabel, "cashierLabel").text() == "Nobody signed in"

    till.sign_in()
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "selling", timeout=WAIT_MS)
    _wait_rows(qtbot, selling_screen, 1)
    assert "Cara Cashier" in selling_screen.findChild(QLabel, "cashierLabel").text()


def test_f12_opens_the_payment_page_and_esc_goes_back_to_the_cart(qtbot, selling_screen, till,
                                                                  demo_items):
    pay = _page(selling_screen).findChild(QPushButton, "payButton")
    assert not pay.isEnabled()  # nothing to pay for yet
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    qtbot.waitUntil(pay.isEnabled, timeout=WAIT_MS)

    _key(qtbot, selling_screen, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "payment", timeout=WAIT_MS)
    till.wait_idle()
    amount = selling_screen.findChild(QLineEdit, "amountField")
    qtbot.waitUntil(amount.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(amount, ESC)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "selling", timeout=WAIT_MS)
    _scan_focused(qtbot, selling_screen)
    assert _rows(selling_screen) == 1


def test_every_action_button_shows_its_shortcut_is_touch_sized_and_named(qtbot, selling_screen):
    from ui.till.actions import ACTIONS

    page = _page(selling_screen)
    for name, text, _accessible, shortcut, _method in ACTIONS:
        button = page.findChild(QPushButton, name)
        assert button is not None, name
        assert f"({shortcut})" in button.text() and button.text() == text
        assert button.shortcut().toString() == button.shortcut().toString() != ""
        assert button.width() >= 44 and button.height() >= 44, name
        assert button.accessibleName(), name
    for name in ("scanField", "cartView", "messageLabel", "subtotalLabel", "discountLabel",
                 "taxLabel", "totalLabel", "favouritesGrid", "searchResults"):
        widget = selling_screen.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName(), name
    for name in ("statusStrip", "cashierLabel", "shiftLabel", "connectionLabel"):
        assert selling_screen.findChild(QWidget, name) is not None, name
    assert "Shift" in selling_screen.findChild(QLabel, "shiftLabel").text()


def test_a_click_on_a_button_leaves_the_focus_in_the_scan_field(qtbot, selling_screen, till,
                                                                demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    qtbot.mouseClick(_page(selling_screen).findChild(QPushButton, "qtyButton"),
                     Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, "quantityFieldDialog")
    dialog.findChild(QPushButton, "dialogCancel").click()
    _closed(qtbot, dialog)
    _scan_focused(qtbot, selling_screen)


# -- search as you type ------------------------------------------------------------------------

def _results(screen):  # noqa: ANN001, ANN202
    return _page(screen).search_list


def _wait_results(qtbot, screen, query: str) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: _results(screen).open and _results(screen).query == query
                    and _results(screen).list.count() > 0, timeout=WAIT_MS)


def test_typing_letters_shows_results_under_the_field_and_enter_adds_the_first(
        qtbot, selling_screen, till):
    page = _page(selling_screen)
    qtbot.keyClicks(page.scan_field, "coastal")
    _wait_results(qtbot, selling_screen, "coastal")
    first = _results(selling_screen).current_hit()
    assert first is not None and "Coastal" in first.name
    list_widget = selling_screen.findChild(QListWidget, "searchResults")
    assert list_widget.isVisible()
    # under the scan field, as wide as it
    field_bottom = page.scan_field.mapTo(page, page.scan_field.rect().bottomLeft()).y()
    assert _results(selling_screen).geometry().top() >= field_bottom
    assert page.scan_field.hasFocus()

    qtbot.keyClick(page.scan_field, ENTER)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    assert till.call("cart").lines[0].variant_id == first.variant_id
    assert not _results(selling_screen).open
    assert page.scan_field.text() == ""


def test_down_chooses_another_result_and_a_typo_is_corrected(qtbot, selling_screen, till):
    page = _page(selling_screen)
    qtbot.keyClicks(page.scan_field, "coastl")
    _wait_results(qtbot, selling_screen, "coastl")
    assert "coastal" in selling_screen.findChild(QLabel, "searchNote").text()
    qtbot.keyClick(page.scan_field, Qt.Key.Key_Down)
    second = _results(selling_screen).current_hit()
    assert _results(selling_screen).list.currentRow() == 1

    qtbot.keyClick(page.scan_field, ENTER)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert till.call("cart").lines[0].variant_id == second.variant_id


def test_esc_closes_the_results_then_clears_the_field(qtbot, selling_screen, till):
    page = _page(selling_screen)
    qtbot.keyClicks(page.scan_field, "coastal")
    _wait_results(qtbot, selling_screen, "coastal")

    qtbot.keyClick(page.scan_field, ESC)
    assert not _results(selling_screen).open
    assert page.scan_field.text() == "coastal"
    qtbot.keyClick(page.scan_field, ESC)
    assert page.scan_field.text() == ""
    till.wait_idle()
    qtbot.wait(100)  # a late answer to the closed search must not reopen it
    assert not _results(selling_screen).open
    assert till.call("cart").empty


def test_a_search_that_finds_nothing_says_so(qtbot, selling_screen, till):
    page = _page(selling_screen)
    qtbot.keyClicks(page.scan_field, "qqqqzzzz")
    note = selling_screen.findChild(QLabel, "searchNote")
    qtbot.waitUntil(lambda: _results(selling_screen).open and "qqqqzzzz" in note.text(),
                    timeout=WAIT_MS)
    qtbot.keyClick(page.scan_field, ENTER)  # nothing chosen: Enter tries the text as a code
    till.wait_idle()
    qtbot.waitUntil(lambda: page.message_label.text() != "", timeout=WAIT_MS)
    assert till.call("cart").empty


def test_a_scanned_barcode_while_typing_is_not_taken_for_a_search_hit(qtbot, selling_screen, till,
                                                                      demo_items):
    page = _page(selling_screen)
    qtbot.keyClicks(page.scan_field, demo_items[3].barcode)  # digits, then Enter at once
    qtbot.keyClick(page.scan_field, ENTER)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert till.call("cart").lines[0].variant_id == demo_items[3].variant_id
    assert not _results(selling_screen).open


# -- favourites --------------------------------------------------------------------------------

def _buttons(qtbot, grid, at_least: int = 1) -> list[QPushButton]:  # noqa: ANN001
    qtbot.waitUntil(lambda: len(grid.item_buttons()) >= at_least, timeout=WAIT_MS)
    return grid.item_buttons()


def test_a_favourite_button_adds_its_item_and_a_weighed_one_asks_the_weight(qtbot, selling_screen,
                                                                           till):
    grid = _page(selling_screen).favourites
    favourites = till.call("favourites")
    buttons = _buttons(qtbot, grid, len(favourites))
    by_piece = next(hit for hit in favourites if not hit.sold_by_weight)
    weighed = next(hit for hit in favourites if hit.sold_by_weight)

    qtbot.mouseClick(next(b for b in buttons if b.property("variantId") == by_piece.variant_id),
                     Qt.MouseButton.LeftButton)
    _wait_rows(qtbot, selling_screen, 1)
    _scan_focused(qtbot, selling_screen)

    qtbot.mouseClick(next(b for b in buttons if b.property("variantId") == weighed.variant_id),
                     Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, "weightFieldDialog")
    _type_in(qtbot, dialog, "weightField", "abc")
    till.wait_idle()
    assert dialog.isVisible() and _dialog_message(dialog)
    _type_in(qtbot, dialog, "weightField", "0.455")
    _closed(qtbot, dialog)
    _wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    line = till.call("cart").lines[1]
    assert line.variant_id == weighed.variant_id and line.quantity_milli == 455
    _scan_focused(qtbot, selling_screen)


def test_a_category_button_shows_that_categorys_items(qtbot, selling_screen, till):
    grid = _page(selling_screen).favourites
    categories = till.call("categories")
    qtbot.waitUntil(lambda: len(grid.category_buttons()) == len(categories) + 1, timeout=WAIT_MS)
    category_id, name = categories[-1]
    expected = till.call("category_items", category_id)

    button = next(b for b in grid.category_buttons() if b.text().replace("&&", "&") == name)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [b.property("variantId") for b in grid.item_buttons()]
                    == [hit.variant_id for hit in expected], timeout=WAIT_MS)
    assert button.isChecked()
    assert all(b.width() >= 44 and b.height() >= 44 for b in grid.item_buttons()[:8])
    _scan_focused(qtbot, selling_screen)


# -- the window, the theme ---------------------------------------------------------------------

def test_the_window_hosts_the_register_and_its_strip_follows_sync(qtbot, shop, runner, tmp_path):
    from app.config.paths import Paths
    from ui.app import build_window
    from ui.till.register_screen import RegisterScreen

    window = build_window(shop, runner, Paths.resolve(str(tmp_path)), sync_interval_s=3600)
    qtbot.addWidget(window)
    window.show()
    till = window.screen("till")
    assert isinstance(till, RegisterScreen)
    strip = till.findChild(QLabel, "connectionLabel")
    shell = window.findChild(QLabel, "connectionStatus")
    qtbot.waitUntil(lambda: strip.text().startswith("Offline — not paired with a server ·")
                    and strip.text() == shell.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: till.signin_page.staff_list.count() > 0, timeout=WAIT_MS)
    window.close()


@pytest.mark.parametrize("till_settings_values", [{"till.high_contrast": True}])
def test_the_high_contrast_theme_when_the_setting_is_on(qtbot, selling_screen):
    assert selling_screen.property("theme") == "high_contrast"
    assert "#ffff00" in selling_screen.styleSheet()
    scan = _page(selling_screen).scan_field
    assert scan.palette().color(scan.backgroundRole()).name() == "#000000"


def test_the_normal_theme_by_default(qtbot, selling_screen):
    assert selling_screen.property("theme") is None
    assert selling_screen.styleSheet() == ""


# -- the rest of the keys ----------------------------------------------------------------------

def test_f9_ctrl_m_and_ctrl_shift_z_open_return_cash_and_close_shift(qtbot, selling_screen, till):
    for key, modifiers, name in ((Qt.Key.Key_F9, NO_MOD, "returnDialog"),
                                 (Qt.Key.Key_M, CTRL, "cashMovementDialog"),
                                 (Qt.Key.Key_Z, CTRL | SHIFT, "closeShiftDialog")):
        _key(qtbot, selling_screen, key, modifiers)
        dialog = _dialog(qtbot, name)
        qtbot.waitUntil(lambda d=dialog: d.isAncestorOf(QApplication.focusWidget()),
                        timeout=WAIT_MS)
        till.wait_idle()
        qtbot.keyClick(QApplication.focusWidget(), ESC)
        _closed(qtbot, dialog)
        _scan_focused(qtbot, selling_screen)
    assert till.call("current_shift") is not None  # nothing was closed by backing out


def test_ctrl_del_voids_the_sale_once_a_manager_approves(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:2]:
        _scan(qtbot, selling_screen, item.barcode)
    _wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()

    _key(qtbot, selling_screen, Qt.Key.Key_Delete, CTRL)
    _approve_with_keys(qtbot)
    _wait_rows(qtbot, selling_screen, 0)
    till.wait_idle()
    assert till.call("cart").empty
    assert _page(selling_screen).findChild(QLabel, "totalLabel").text() == till.call(
        "cart").total_text
    _scan_focused(qtbot, selling_screen)


def test_pay_pressed_twice_begins_one_payment(qtbot, selling_screen, till, till_controller,
                                              demo_items):
    _scan(qtbot, selling_screen, demo_items[0].barcode)
    _wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    payments: list = []
    till_controller.payment_changed.connect(payments.append)
    errors: list = []
    till_controller.error.connect(lambda field, message: errors.append((field, message)))

    _key(qtbot, selling_screen, Qt.Key.Key_F12)
    _key(qtbot, selling_screen, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "payment", timeout=WAIT_MS)
    till.wait_idle()

    assert len(payments) == 1 and errors == []


def test_a_scan_while_the_last_one_is_served_keeps_both(qtbot, selling_screen, till, demo_items):
    """A scanner does not wait for the cart: the second code is typed while the first is out."""
    field = _page(selling_screen).scan_field
    for item in demo_items[:4]:
        qtbot.keyClicks(field, item.barcode)
        qtbot.keyClick(field, ENTER)
    _wait_rows(qtbot, selling_screen, 4)
    till.wait_idle()
    assert [line.variant_id for line in till.call("cart").lines] == [
        item.variant_id for item in demo_items[:4]]
    assert field.text() == ""

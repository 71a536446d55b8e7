"""The selling page's keys beyond scanning: lock, pay, every action button's shortcut, the
dialogs F9/Ctrl+M/Ctrl+Shift+Z open, the void of a whole sale (asked first), a scan while the
last is served. Keys go to whatever has the focus, as the cashier's would."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget

from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.selling_support import (CTRL, ENTER, ESC, NO_MOD, OFFSCREEN_DIALOGS, SHIFT,
                                           approve_with_keys, cart_rows, dialog_named, page_of,
                                           press, scan_code, wait_closed, wait_rows,
                                           wait_scan_focused)

pytestmark = OFFSCREEN_DIALOGS


# -- lock, pay, buttons ------------------------------------------------------------------------

def test_ctrl_l_locks_to_the_sign_in_page_and_the_cart_comes_back(qtbot, selling_screen, till,
                                                                  demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    press(qtbot, selling_screen, Qt.Key.Key_L, CTRL)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "signin", timeout=WAIT_MS)
    till.wait_idle()
    assert selling_screen.findChild(QLabel, "cashierLabel").text() == "Nobody signed in"

    till.sign_in()
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "selling", timeout=WAIT_MS)
    wait_rows(qtbot, selling_screen, 1)
    assert "Cara Cashier" in selling_screen.findChild(QLabel, "cashierLabel").text()


def test_f12_opens_the_payment_page_and_esc_goes_back_to_the_cart(qtbot, selling_screen, till,
                                                                  demo_items):
    pay = page_of(selling_screen).findChild(QPushButton, "payButton")
    assert not pay.isEnabled()  # nothing to pay for yet
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    qtbot.waitUntil(pay.isEnabled, timeout=WAIT_MS)

    press(qtbot, selling_screen, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "payment", timeout=WAIT_MS)
    till.wait_idle()
    amount = selling_screen.findChild(QLineEdit, "amountField")
    qtbot.waitUntil(amount.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(amount, ESC)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "selling", timeout=WAIT_MS)
    wait_scan_focused(qtbot, selling_screen)
    assert cart_rows(selling_screen) == 1


def test_every_action_button_shows_its_shortcut_is_touch_sized_and_named(qtbot, selling_screen):
    from ui.till.actions import ACTIONS

    page = page_of(selling_screen)
    for name, text, _accessible, shortcut, _method in ACTIONS:
        button = page.findChild(QPushButton, name)
        assert button is not None, name
        # the face may break before its shortcut when narrow (two lines): the words are the same
        assert f"({shortcut})" in button.text() and button.text().replace("\n", " ") == text
        assert button.shortcut() == QKeySequence(shortcut) and not button.shortcut().isEmpty()
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
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    qtbot.mouseClick(page_of(selling_screen).findChild(QPushButton, "qtyButton"),
                     Qt.MouseButton.LeftButton)
    dialog = dialog_named(qtbot, "quantityFieldDialog")
    dialog.findChild(QPushButton, "dialogCancel").click()
    wait_closed(qtbot, dialog)
    wait_scan_focused(qtbot, selling_screen)

# -- the rest of the keys ----------------------------------------------------------------------

def test_f9_ctrl_m_and_ctrl_shift_z_open_return_cash_and_close_shift(qtbot, selling_screen, till):
    for key, modifiers, name in ((Qt.Key.Key_F9, NO_MOD, "returnDialog"),
                                 (Qt.Key.Key_M, CTRL, "cashMovementDialog"),
                                 (Qt.Key.Key_Z, CTRL | SHIFT, "closeShiftDialog")):
        press(qtbot, selling_screen, key, modifiers)
        dialog = dialog_named(qtbot, name)
        qtbot.waitUntil(lambda d=dialog: d.isAncestorOf(QApplication.focusWidget()),
                        timeout=WAIT_MS)
        till.wait_idle()
        qtbot.keyClick(QApplication.focusWidget(), ESC)
        wait_closed(qtbot, dialog)
        wait_scan_focused(qtbot, selling_screen)
    assert till.call("current_shift") is not None  # nothing was closed by backing out


def test_ctrl_del_asks_first_then_voids_the_sale_once_a_manager_approves(qtbot, selling_screen,
                                                                        till, demo_items):
    for item in demo_items[:2]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()

    press(qtbot, selling_screen, Qt.Key.Key_Delete, CTRL)  # beside Del: asked once more
    confirm = dialog_named(qtbot, "voidConfirmDialog")
    assert till.call("cart").total_text in confirm.findChild(QLabel, "confirmQuestion").text()
    press(qtbot, selling_screen, ESC)  # keep it
    wait_closed(qtbot, confirm)
    wait_scan_focused(qtbot, selling_screen)
    assert cart_rows(selling_screen) == 2 and len(till.call("cart").lines) == 2

    press(qtbot, selling_screen, Qt.Key.Key_Delete, CTRL)
    confirm = dialog_named(qtbot, "voidConfirmDialog")
    press(qtbot, selling_screen, ENTER)
    approve_with_keys(qtbot)
    wait_rows(qtbot, selling_screen, 0)
    till.wait_idle()
    assert till.call("cart").empty
    assert page_of(selling_screen).findChild(QLabel, "totalLabel").text() == till.call(
        "cart").total_text
    wait_scan_focused(qtbot, selling_screen)


def test_f12_right_after_a_scan_is_not_dropped(qtbot, selling_screen, till, demo_items):
    """The first scan is still on its way (nothing in the cart yet) when F12 is pressed: the
    payment begins behind it, for the item just scanned."""
    field = page_of(selling_screen).scan_field
    qtbot.keyClicks(field, demo_items[0].barcode)
    qtbot.keyClick(field, ENTER)
    press(qtbot, selling_screen, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "payment", timeout=WAIT_MS)
    till.wait_idle()
    assert selling_screen.payment_page.view.total == demo_items[0].price


def test_pay_pressed_twice_begins_one_payment(qtbot, selling_screen, till, till_controller,
                                              demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    payments: list = []
    till_controller.payment_changed.connect(payments.append)
    errors: list = []
    till_controller.error.connect(lambda field, message: errors.append((field, message)))

    press(qtbot, selling_screen, Qt.Key.Key_F12)
    press(qtbot, selling_screen, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: selling_screen.current_page_name() == "payment", timeout=WAIT_MS)
    till.wait_idle()

    assert len(payments) == 1 and errors == []


def test_a_scan_while_the_last_one_is_served_keeps_both(qtbot, selling_screen, till, demo_items):
    """A scanner does not wait for the cart: the second code is typed while the first is out."""
    field = page_of(selling_screen).scan_field
    for item in demo_items[:4]:
        qtbot.keyClicks(field, item.barcode)
        qtbot.keyClick(field, ENTER)
    wait_rows(qtbot, selling_screen, 4)
    till.wait_idle()
    assert [line.variant_id for line in till.call("cart").lines] == [
        item.variant_id for item in demo_items[:4]]
    assert field.text() == ""

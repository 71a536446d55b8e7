"""The selling page's dialogs by keystrokes: quantity, discounts, price, coupon, customer, park
and resume — bad input refused at the field with the cart unchanged, manager approval by PIN,
Esc backing out with the focus back in the scan field."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QListWidget, QPushButton

from app.domain.permissions import Permission
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.selling_support import (CTRL, ENTER, ESC, OFFSCREEN_DIALOGS, SHIFT,
                                           approve_with_keys, cart_rows, dialog_message,
                                           dialog_named, page_of, press, scan_code, type_in,
                                           wait_closed, wait_rows, wait_scan_focused)

from ui.till.dialogs import NEEDS_MANAGER, NOT_APPROVED

pytestmark = OFFSCREEN_DIALOGS


# -- line actions ------------------------------------------------------------------------------

def test_quantity_refuses_bad_input_at_its_field_and_takes_a_good_one(qtbot, selling_screen, till,
                                                                      demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    before = till.call("cart")

    press(qtbot, selling_screen, Qt.Key.Key_F4)
    dialog = dialog_named(qtbot, "quantityFieldDialog")
    for bad in ("0", "-1", "abc", "10001"):
        type_in(qtbot, dialog, "quantityField", bad)
        till.wait_idle()
        assert dialog.isVisible(), bad
        assert dialog_message(dialog) != "", bad
        assert till.call("cart") == before, bad

    type_in(qtbot, dialog, "quantityField", "3")
    wait_closed(qtbot, dialog)
    till.wait_idle()
    assert page_of(selling_screen).cart_model.line(0).quantity_text == "3"
    wait_scan_focused(qtbot, selling_screen)


def test_lowering_a_quantity_is_a_void_a_manager_approves(qtbot, selling_screen, till, demo_items):
    for _ in range(3):
        scan_code(qtbot, selling_screen, demo_items[0].barcode)
    qtbot.waitUntil(lambda: cart_rows(selling_screen) == 1 and page_of(selling_screen).cart_model
                    .line(0).quantity_text == "3", timeout=WAIT_MS)
    till.wait_idle()

    press(qtbot, selling_screen, Qt.Key.Key_F4)
    dialog = dialog_named(qtbot, "quantityFieldDialog")
    type_in(qtbot, dialog, "quantityField", "1")
    approve_with_keys(qtbot)
    wait_closed(qtbot, dialog)
    till.wait_idle()

    assert page_of(selling_screen).cart_model.line(0).quantity_text == "1"
    wait_scan_focused(qtbot, selling_screen)


def test_remove_needs_a_manager_and_esc_on_the_approval_changes_nothing(
        qtbot, selling_screen, till, till_controller, demo_items):
    for item in demo_items[:2]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()

    with qtbot.waitSignal(till_controller.approval_needed, timeout=WAIT_MS) as blocker:
        press(qtbot, selling_screen, Qt.Key.Key_Delete)  # the scan field is empty: Del removes
    assert blocker.args[0].permission == Permission.VOID
    dialog = dialog_named(qtbot, "approvalDialog")
    qtbot.keyClick(dialog.findChild(QLineEdit, "managerPin"), ESC)
    wait_closed(qtbot, dialog)
    till.wait_idle()
    assert cart_rows(selling_screen) == 2
    wait_scan_focused(qtbot, selling_screen)

    press(qtbot, selling_screen, Qt.Key.Key_Delete)
    approve_with_keys(qtbot)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert till.call("cart").lines[0].variant_id == demo_items[0].variant_id
    wait_scan_focused(qtbot, selling_screen)


def test_delete_with_text_in_the_scan_field_edits_the_text(qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    field = page_of(selling_screen).scan_field

    qtbot.keyClicks(field, "123")
    qtbot.keyClick(field, Qt.Key.Key_Home)
    press(qtbot, selling_screen, Qt.Key.Key_Delete)

    assert field.text() == "23"
    assert page_of(selling_screen).dialog is None
    assert cart_rows(selling_screen) == 1


def test_line_discount_within_the_limit_over_the_price_refused_above_the_limit_approved(
        qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    before = till.call("cart")

    press(qtbot, selling_screen, Qt.Key.Key_F5)
    dialog = dialog_named(qtbot, "discountFieldDialog")
    type_in(qtbot, dialog, "discountField", "100000")  # far over the price
    till.wait_idle()
    assert dialog.isVisible() and dialog_message(dialog)
    assert till.call("cart") == before
    type_in(qtbot, dialog, "discountField", "5%")  # the limit is 10 %
    wait_closed(qtbot, dialog)
    till.wait_idle()
    cart = till.call("cart")
    assert cart.discount_total > 0
    assert page_of(selling_screen).findChild(QLabel, "totalLabel").text() == cart.total_text

    press(qtbot, selling_screen, Qt.Key.Key_F5)
    dialog = dialog_named(qtbot, "discountFieldDialog")
    type_in(qtbot, dialog, "discountField", "50%")
    approval = dialog_named(qtbot, "approvalDialog")
    assert dialog_message(dialog) == NEEDS_MANAGER
    press(qtbot, selling_screen, ESC)  # the manager is not there: no
    wait_closed(qtbot, approval)
    assert dialog_message(dialog) == NOT_APPROVED  # not still "waiting for their PIN"
    assert till.call("cart").discount_total == cart.discount_total
    type_in(qtbot, dialog, "discountField", "50%")  # Enter asks again
    approve_with_keys(qtbot)
    wait_closed(qtbot, dialog)
    till.wait_idle()
    assert till.call("cart").discount_total > cart.discount_total


def test_order_discount_with_shift_f5(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:2]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()

    press(qtbot, selling_screen, Qt.Key.Key_F5, SHIFT)
    dialog = dialog_named(qtbot, "orderDiscountFieldDialog")
    type_in(qtbot, dialog, "orderDiscountField", "5%")
    wait_closed(qtbot, dialog)
    till.wait_idle()

    cart = till.call("cart")
    assert cart.order_discount_text
    assert cart.discount_total > 0
    assert cart.order_discount_text in page_of(selling_screen).findChild(
        QLabel, "discountLabel").text()


def test_a_price_override_refuses_pasted_words_and_needs_a_manager(qtbot, selling_screen, till,
                                                                   demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    press(qtbot, selling_screen, Qt.Key.Key_P, CTRL)
    dialog = dialog_named(qtbot, "priceFieldDialog")
    field = dialog.findChild(QLineEdit, "priceField")
    qtbot.waitUntil(field.hasFocus, timeout=WAIT_MS)
    QApplication.clipboard().setText("twelve")
    qtbot.keyClick(field, Qt.Key.Key_V, CTRL)
    assert field.text() == ""
    assert "twelve" in dialog_message(dialog)

    type_in(qtbot, dialog, "priceField", "0.99")
    approve_with_keys(qtbot)
    wait_closed(qtbot, dialog)
    till.wait_idle()
    line = till.call("cart").lines[0]
    assert line.unit_price == 99 and line.price_source == "override"

# -- coupon, customer, park --------------------------------------------------------------------

def test_a_coupon_unknown_then_applied_then_removed(qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    coupon_label = page_of(selling_screen).findChild(QLabel, "couponLabel")

    press(qtbot, selling_screen, Qt.Key.Key_F6)
    dialog = dialog_named(qtbot, "couponFieldDialog")
    type_in(qtbot, dialog, "couponField", "NOSUCHCODE")
    till.wait_idle()
    assert dialog.isVisible() and dialog_message(dialog)
    assert till.call("cart").coupon_code is None
    type_in(qtbot, dialog, "couponField", "WELCOME10")
    wait_closed(qtbot, dialog)
    till.wait_idle()
    assert till.call("cart").coupon_code == "WELCOME10"
    assert coupon_label.text() == "WELCOME10"

    press(qtbot, selling_screen, Qt.Key.Key_F6)
    dialog = dialog_named(qtbot, "couponFieldDialog")
    type_in(qtbot, dialog, "couponField", "")  # empty removes the coupon
    wait_closed(qtbot, dialog)
    till.wait_idle()
    assert till.call("cart").coupon_code is None
    assert coupon_label.text() == "—"


def test_esc_closes_a_dialog_and_the_focus_comes_back(qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    before = till.call("cart")

    for key, name in ((Qt.Key.Key_F4, "quantityFieldDialog"), (Qt.Key.Key_F6, "couponFieldDialog"),
                      (Qt.Key.Key_F7, "customerDialog"), (Qt.Key.Key_F8, "parkLabelFieldDialog")):
        press(qtbot, selling_screen, key)
        dialog = dialog_named(qtbot, name)
        qtbot.waitUntil(lambda d=dialog: d.isAncestorOf(QApplication.focusWidget()),
                        timeout=WAIT_MS)
        qtbot.keyClick(QApplication.focusWidget(), ESC)
        wait_closed(qtbot, dialog)
        wait_scan_focused(qtbot, selling_screen)
    till.wait_idle()
    assert till.call("cart") == before


def test_a_customer_found_by_typing_and_attached_with_enter(qtbot, selling_screen, till,
                                                           demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    found = till.call("find_customers", "example.com")
    wanted = found[0]

    press(qtbot, selling_screen, Qt.Key.Key_F7)
    dialog = dialog_named(qtbot, "customerDialog")
    search = dialog.findChild(QLineEdit, "customerSearchField")
    qtbot.waitUntil(search.hasFocus, timeout=WAIT_MS)
    qtbot.keyClicks(search, wanted.email)
    results = dialog.findChild(QListWidget, "customerList")
    qtbot.waitUntil(lambda: results.count() >= 1, timeout=WAIT_MS)
    qtbot.keyClick(search, ENTER)
    wait_closed(qtbot, dialog)
    till.wait_idle()

    cart = till.call("cart")
    assert cart.customer is not None and cart.customer.id == wanted.id
    assert wanted.name in page_of(selling_screen).findChild(QLabel, "customerLabel").text()
    wait_scan_focused(qtbot, selling_screen)


def test_a_customer_created_on_the_spot_and_a_bad_email_refused(qtbot, selling_screen, till,
                                                               demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    press(qtbot, selling_screen, Qt.Key.Key_F7)
    dialog = dialog_named(qtbot, "customerDialog")
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
    wait_closed(qtbot, dialog)
    till.wait_idle()
    customer = till.call("cart").customer
    assert customer is not None and customer.name == "Zoe Quickly"
    assert customer.email == "zoe.quickly@example.com"


def test_ctrl_r_takes_the_customer_off_the_cart(qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    customer = till.call("quick_create_customer", "Rita Remove", "rita@example.com", "")
    till.call("attach_customer", customer.id)

    press(qtbot, selling_screen, Qt.Key.Key_F7)
    dialog = dialog_named(qtbot, "customerDialog")
    button = dialog.findChild(QPushButton, "detachCustomerButton")
    assert button.isVisible() and button.text() == "Remove from cart (Ctrl+R)"
    press(qtbot, selling_screen, Qt.Key.Key_R, CTRL)
    wait_closed(qtbot, dialog)
    till.wait_idle()
    assert till.call("cart").customer is None
    wait_scan_focused(qtbot, selling_screen)


def test_park_with_a_label_then_resume_it_with_enter(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:2]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    before = till.call("cart")

    press(qtbot, selling_screen, Qt.Key.Key_F8)
    dialog = dialog_named(qtbot, "parkLabelFieldDialog")
    type_in(qtbot, dialog, "parkLabelField", "blue coat")
    wait_closed(qtbot, dialog)
    wait_rows(qtbot, selling_screen, 0)
    till.wait_idle()
    assert till.call("cart").empty

    press(qtbot, selling_screen, Qt.Key.Key_F8, SHIFT)
    dialog = dialog_named(qtbot, "parkedDialog")
    parked = dialog.findChild(QListWidget, "parkedList")
    qtbot.waitUntil(lambda: parked.count() == 1, timeout=WAIT_MS)
    assert parked.item(0).text().startswith("blue coat")
    qtbot.keyClick(parked, ENTER)
    wait_closed(qtbot, dialog)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    assert [l.variant_id for l in till.call("cart").lines] == [l.variant_id for l in before.lines]
    wait_scan_focused(qtbot, selling_screen)


def test_resume_is_refused_while_the_cart_holds_items(qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    till.call("park", label="first")
    till.call("cart")
    scan_code(qtbot, selling_screen, demo_items[1].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    press(qtbot, selling_screen, Qt.Key.Key_F8, SHIFT)
    dialog = dialog_named(qtbot, "parkedDialog")
    parked = dialog.findChild(QListWidget, "parkedList")
    qtbot.waitUntil(lambda: parked.count() == 1, timeout=WAIT_MS)
    qtbot.keyClick(parked, ENTER)
    message = dialog.findChild(QLabel, "parkedMessage")
    qtbot.waitUntil(lambda: message.text() != "", timeout=WAIT_MS)
    till.wait_idle()
    assert dialog.isVisible()
    assert till.call("cart").lines[0].variant_id == demo_items[1].variant_id
    qtbot.keyClick(parked, ESC)
    wait_closed(qtbot, dialog)

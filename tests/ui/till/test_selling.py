"""The selling page driven by keystrokes, as a cashier with a scanner and a keyboard does it:
scanning, search as you type, favourites, the keys that lock, pay and open the shift dialogs.
Real widgets offscreen, a real RegisterSession on the demo shop, the real task runner."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QListWidget, QPushButton, QWidget

from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.selling_support import (CTRL, ENTER, ESC, NO_MOD, OFFSCREEN_DIALOGS, SHIFT,
                                           approve_with_keys, cart_rows, dialog_message,
                                           dialog_named, page_of, press, scan_code, type_in,
                                           wait_closed, wait_rows, wait_scan_focused)

pytestmark = OFFSCREEN_DIALOGS


# -- scanning ----------------------------------------------------------------------------------

def test_three_scans_fill_the_cart_and_the_totals(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:3]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 3)
    till.wait_idle()

    cart = till.call("cart")
    page = page_of(selling_screen)
    assert [line.variant_id for line in cart.lines] == [i.variant_id for i in demo_items[:3]]
    assert page.findChild(QLabel, "totalLabel").text() == cart.total_text
    assert page.findChild(QLabel, "subtotalLabel").text() == cart.subtotal_text
    assert page.findChild(QLabel, "taxLabel").text() == cart.tax_text
    assert page.scan_field.text() == ""
    assert page.scan_field.hasFocus()
    assert page.selected_row() == 2  # the line just scanned is selected


def test_the_same_code_twice_adds_to_its_line(qtbot, selling_screen, till, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    till.wait_idle()

    qtbot.waitUntil(lambda: page_of(selling_screen).cart_model.line(0).quantity_text == "2",
                    timeout=WAIT_MS)
    assert cart_rows(selling_screen) == 1


def test_an_unknown_code_says_so_in_words_and_beeps(qtbot, selling_screen, till, till_controller,
                                                    demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    page = page_of(selling_screen)

    with qtbot.waitSignal(till_controller.error_sound, timeout=WAIT_MS):
        scan_code(qtbot, selling_screen, "2000000000008")
    till.wait_idle()

    assert "unknown code 2000000000008" in page.message_label.text()
    assert cart_rows(selling_screen) == 1
    # the refused code stays, selected, so the next scan replaces it
    assert page.scan_field.text() == "2000000000008"
    assert page.scan_field.selectedText() == "2000000000008"
    assert page.scan_field.hasFocus()

    scan_code(qtbot, selling_screen, demo_items[1].barcode)
    wait_rows(qtbot, selling_screen, 2)
    qtbot.waitUntil(lambda: page.message_label.text() == "", timeout=WAIT_MS)


def test_garbage_in_the_scan_field_is_refused_at_the_field(qtbot, selling_screen, till,
                                                           till_controller):
    page = page_of(selling_screen)
    for garbage in ("%%%%", "12 34 ;;"):
        with qtbot.waitSignal(till_controller.error, timeout=WAIT_MS) as blocker:
            scan_code(qtbot, selling_screen, garbage)
        till.wait_idle()
        assert blocker.args[0] == "scan"
        assert page.message_label.text() == blocker.args[1] != ""
        page.scan_field.clear()
    assert till.call("cart").empty


def test_up_and_down_move_the_cart_selection_from_the_scan_field(qtbot, selling_screen, till,
                                                                 demo_items):
    for item in demo_items[:3]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 3)
    till.wait_idle()
    page = page_of(selling_screen)

    press(qtbot, selling_screen, Qt.Key.Key_Up)
    press(qtbot, selling_screen, Qt.Key.Key_Up)
    assert page.selected_row() == 0
    press(qtbot, selling_screen, Qt.Key.Key_Up)
    assert page.selected_row() == 0
    press(qtbot, selling_screen, Qt.Key.Key_Down)
    assert page.selected_row() == 1
    assert page.scan_field.hasFocus()

# -- search as you type ------------------------------------------------------------------------

def _results(screen):  # noqa: ANN001, ANN202
    return page_of(screen).search_list


def _wait_results(qtbot, screen, query: str) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: _results(screen).open and _results(screen).query == query
                    and _results(screen).list.count() > 0, timeout=WAIT_MS)


def test_typing_letters_shows_results_under_the_field_and_enter_adds_the_first(
        qtbot, selling_screen, till):
    page = page_of(selling_screen)
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
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    assert till.call("cart").lines[0].variant_id == first.variant_id
    assert not _results(selling_screen).open
    assert page.scan_field.text() == ""


def test_down_chooses_another_result_and_a_typo_is_corrected(qtbot, selling_screen, till):
    page = page_of(selling_screen)
    qtbot.keyClicks(page.scan_field, "coastl")
    _wait_results(qtbot, selling_screen, "coastl")
    assert "coastal" in selling_screen.findChild(QLabel, "searchNote").text()
    qtbot.keyClick(page.scan_field, Qt.Key.Key_Down)
    second = _results(selling_screen).current_hit()
    assert _results(selling_screen).list.currentRow() == 1

    qtbot.keyClick(page.scan_field, ENTER)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert till.call("cart").lines[0].variant_id == second.variant_id


def test_esc_closes_the_results_then_clears_the_field(qtbot, selling_screen, till):
    page = page_of(selling_screen)
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
    page = page_of(selling_screen)
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
    page = page_of(selling_screen)
    qtbot.keyClicks(page.scan_field, demo_items[3].barcode)  # digits, then Enter at once
    qtbot.keyClick(page.scan_field, ENTER)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    assert till.call("cart").lines[0].variant_id == demo_items[3].variant_id
    assert not _results(selling_screen).open

# -- favourites --------------------------------------------------------------------------------

def _buttons(qtbot, grid, at_least: int = 1) -> list[QPushButton]:  # noqa: ANN001
    qtbot.waitUntil(lambda: len(grid.item_buttons()) >= at_least, timeout=WAIT_MS)
    return grid.item_buttons()


def test_a_favourite_button_adds_its_item_and_a_weighed_one_asks_the_weight(qtbot, selling_screen,
                                                                           till):
    grid = page_of(selling_screen).favourites
    favourites = till.call("favourites")
    buttons = _buttons(qtbot, grid, len(favourites))
    by_piece = next(hit for hit in favourites if not hit.sold_by_weight)
    weighed = next(hit for hit in favourites if hit.sold_by_weight)

    qtbot.mouseClick(next(b for b in buttons if b.property("variantId") == by_piece.variant_id),
                     Qt.MouseButton.LeftButton)
    wait_rows(qtbot, selling_screen, 1)
    wait_scan_focused(qtbot, selling_screen)

    qtbot.mouseClick(next(b for b in buttons if b.property("variantId") == weighed.variant_id),
                     Qt.MouseButton.LeftButton)
    dialog = dialog_named(qtbot, "weightFieldDialog")
    type_in(qtbot, dialog, "weightField", "abc")
    till.wait_idle()
    assert dialog.isVisible() and dialog_message(dialog)
    type_in(qtbot, dialog, "weightField", "0.455")
    wait_closed(qtbot, dialog)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    line = till.call("cart").lines[1]
    assert line.variant_id == weighed.variant_id and line.quantity_milli == 455
    wait_scan_focused(qtbot, selling_screen)


def test_a_category_button_shows_that_categorys_items(qtbot, selling_screen, till):
    grid = page_of(selling_screen).favourites
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
    wait_scan_focused(qtbot, selling_screen)

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
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()

    qtbot.mouseClick(page_of(selling_screen).findChild(QPushButton, "qtyButton"),
                     Qt.MouseButton.LeftButton)
    dialog = dialog_named(qtbot, "quantityFieldDialog")
    dialog.findChild(QPushButton, "dialogCancel").click()
    wait_closed(qtbot, dialog)
    wait_scan_focused(qtbot, selling_screen)

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
    scan = page_of(selling_screen).scan_field
    assert scan.palette().color(scan.backgroundRole()).name() == "#000000"


def test_the_normal_theme_by_default(qtbot, selling_screen):
    assert selling_screen.property("theme") is None
    assert selling_screen.styleSheet() == ""

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


def test_ctrl_del_voids_the_sale_once_a_manager_approves(qtbot, selling_screen, till, demo_items):
    for item in demo_items[:2]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()

    press(qtbot, selling_screen, Qt.Key.Key_Delete, CTRL)
    approve_with_keys(qtbot)
    wait_rows(qtbot, selling_screen, 0)
    till.wait_idle()
    assert till.call("cart").empty
    assert page_of(selling_screen).findChild(QLabel, "totalLabel").text() == till.call(
        "cart").total_text
    wait_scan_focused(qtbot, selling_screen)


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

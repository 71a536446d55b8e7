"""The register screen's inactivity lock, wired from the setting ``till.lock_after_seconds``:
left alone with a dialog or the payment page open, the till locks; the dialog closes, the
payment is dropped (nothing recorded), and the cart waits for the cashier's PIN."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from tests.ui.till.conftest import CASHIER_PIN, WAIT_MS
from tests.ui.till.payment_support import order_count
from tests.ui.till.selling_support import (ENTER, OFFSCREEN_DIALOGS, cart_rows, dialog_named,
                                           press, scan_code, wait_closed, wait_rows,
                                           wait_scan_focused)

pytestmark = [OFFSCREEN_DIALOGS,
              pytest.mark.parametrize("till_settings_values", [{"till.lock_after_seconds": 2}])]

IDLE_WAIT_MS = 2_000 + WAIT_MS


def _left_alone_until_locked(qtbot, screen, till_controller) -> None:  # noqa: ANN001
    with qtbot.waitSignal(till_controller.locked, timeout=IDLE_WAIT_MS):
        pass  # no key, no click: the countdown runs out
    qtbot.waitUntil(lambda: screen.current_page_name() == "signin", timeout=WAIT_MS)
    assert screen.findChild(QLabel, "cashierLabel").text() == "Nobody signed in"


def _pin_again(qtbot, screen, till_controller) -> None:  # noqa: ANN001
    pin = screen.signin_page.pin_field
    qtbot.waitUntil(pin.hasFocus, timeout=WAIT_MS)  # the same cashier is chosen already
    qtbot.keyClicks(pin, CASHIER_PIN)
    with qtbot.waitSignal(till_controller.signed_in, timeout=WAIT_MS):
        qtbot.keyClick(pin, ENTER)
    qtbot.waitUntil(lambda: screen.current_page_name() == "selling", timeout=WAIT_MS)


def test_the_setting_arms_the_screens_lock(selling_screen):
    assert selling_screen.idle_lock.seconds == 2 and selling_screen.idle_lock.armed


def test_locked_with_a_dialog_open_the_dialog_closes_and_the_cart_waits(
        qtbot, selling_screen, till, till_controller, demo_items):
    scan_code(qtbot, selling_screen, demo_items[0].barcode)
    wait_rows(qtbot, selling_screen, 1)
    till.wait_idle()
    press(qtbot, selling_screen, Qt.Key.Key_F4)
    dialog = dialog_named(qtbot, "quantityFieldDialog")

    _left_alone_until_locked(qtbot, selling_screen, till_controller)
    wait_closed(qtbot, dialog)
    assert QApplication.activeModalWidget() is None

    _pin_again(qtbot, selling_screen, till_controller)
    wait_rows(qtbot, selling_screen, 1)
    wait_scan_focused(qtbot, selling_screen)
    assert till.call("cart").lines[0].variant_id == demo_items[0].variant_id


def test_locked_on_the_payment_page_the_payment_is_dropped_and_the_cart_waits(
        qtbot, selling_screen, till, till_controller, demo_items, shop):
    for item in demo_items[:2]:
        scan_code(qtbot, selling_screen, item.barcode)
    wait_rows(qtbot, selling_screen, 2)
    till.wait_idle()
    press(qtbot, selling_screen, Qt.Key.Key_F12)
    panel = selling_screen.payment_page
    qtbot.waitUntil(lambda: panel.view is not None and panel.amount_field.hasFocus(),
                    timeout=WAIT_MS)
    qtbot.keyClicks(panel.amount_field, "5.00")
    press(qtbot, selling_screen, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: panel.view.paid == 500, timeout=WAIT_MS)

    _left_alone_until_locked(qtbot, selling_screen, till_controller)
    assert panel.view is None  # the page forgot the payment the register dropped

    _pin_again(qtbot, selling_screen, till_controller)
    wait_rows(qtbot, selling_screen, 2)
    wait_scan_focused(qtbot, selling_screen)
    assert order_count(shop) == 0
    press(qtbot, selling_screen, Qt.Key.Key_F12)  # paying again starts from nothing paid
    qtbot.waitUntil(lambda: panel.view is not None, timeout=WAIT_MS)
    till.wait_idle()
    assert panel.view.paid == 0 and cart_rows(selling_screen) == 2

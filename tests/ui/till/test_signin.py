"""Sign-in by keys on a real register session: choose yourself, type the PIN, Enter. Wrong
PINs and letters are refused at the field; the till locks itself after inactivity and the
cashier's cart waits for them."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from tests.ui.till.conftest import (CASHIER, CASHIER_PIN, OTHER_CASHIER, OTHER_CASHIER_PIN,
                                    WAIT_MS)
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS
from ui.till.idle_lock import IdleLock
from ui.till.signin_page import SignInPage

pytestmark = OFFSCREEN_SIZE_HINTS


@pytest.fixture
def page(qtbot, till_controller):  # noqa: ANN001, ANN201
    widget = SignInPage(till_controller)
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    with qtbot.waitSignal(widget.staff_loaded, timeout=WAIT_MS):
        widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    return widget


def _names(page: SignInPage) -> list[str]:
    return [page.staff_list.item(row).text().split("  ·  ")[0]
            for row in range(page.staff_list.count())]


def _choose(qtbot, page: SignInPage, name: str) -> None:  # noqa: ANN001
    page.staff_list.setFocus()
    qtbot.keyClicks(page.staff_list, name)  # type-ahead over the names
    assert page.staff_list.currentItem().text().startswith(name)
    qtbot.keyClick(page.staff_list, Qt.Key.Key_Return)
    assert page.pin_field.hasFocus()


def test_the_list_holds_who_may_sell_and_keys_sign_in(qtbot, page, till_controller):
    names = _names(page)
    assert {CASHIER, OTHER_CASHIER, "Max Manager", "Olivia Owner"} <= set(names)
    assert "Stan Stock" not in names and "Sue Support" not in names  # they may not sell
    assert names == sorted(names)

    _choose(qtbot, page, OTHER_CASHIER)
    qtbot.keyClicks(page.pin_field, OTHER_CASHIER_PIN)
    assert page.pin_field.echoMode() == page.pin_field.EchoMode.Password
    with qtbot.waitSignal(till_controller.signed_in, timeout=WAIT_MS) as signed:
        qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)
    assert signed.args[0].staff.name == OTHER_CASHIER
    assert page.pin_field.text() == "" and page.pin_message.text() == ""


def test_a_wrong_pin_is_refused_at_the_field_and_changes_nothing(qtbot, page, till_controller,
                                                                 till):
    _choose(qtbot, page, CASHIER)
    qtbot.keyClicks(page.pin_field, "9999")
    signed = []
    till_controller.signed_in.connect(signed.append)
    qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.pin_message.text() != "", timeout=WAIT_MS)
    till.wait_idle()
    assert "pin" in page.pin_message.text().lower()
    assert page.pin_field.text() == "" and page.pin_field.hasFocus()
    assert not signed and till.call("cart") is not None
    assert till_controller.session.signed_in is None

    qtbot.keyClicks(page.pin_field, CASHIER_PIN)  # the right one still works
    with qtbot.waitSignal(till_controller.signed_in, timeout=WAIT_MS):
        qtbot.keyClick(page.pin_field, Qt.Key.Key_Enter)


def test_the_pin_field_takes_digits_only_typed_or_pasted(qtbot, page):
    _choose(qtbot, page, CASHIER)
    qtbot.keyClicks(page.pin_field, "12a")
    assert page.pin_field.text() == "12"
    assert page.pin_message.text() == "A PIN is digits only"

    QGuiApplication.clipboard().setText("secret")
    qtbot.keyClick(page.pin_field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert page.pin_field.text() == "12"
    assert page.pin_message.text() == "A PIN is digits only"
    qtbot.keyClicks(page.pin_field, "3")
    assert page.pin_field.text() == "123" and page.pin_message.text() == ""


def test_up_down_change_the_person_and_esc_goes_back_to_the_list(qtbot, page):
    _choose(qtbot, page, CASHIER)
    qtbot.keyClicks(page.pin_field, "33")
    qtbot.keyClick(page.pin_field, Qt.Key.Key_Down)
    assert page.staff_list.currentItem().text().startswith(OTHER_CASHIER)
    assert page.pin_field.text() == ""  # a PIN never carries over to another person
    qtbot.keyClick(page.pin_field, Qt.Key.Key_Escape)
    assert page.staff_list.hasFocus()


def test_enter_without_a_pin_says_what_to_do(qtbot, page, till_controller):
    _choose(qtbot, page, CASHIER)
    qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)
    assert page.pin_message.text() == "Type your PIN, then Enter"
    assert not till_controller.busy


def test_the_till_locks_after_inactivity_and_the_cart_waits(qtbot, page, till_controller, till,
                                                            demo_items):
    lock = IdleLock(till_controller, seconds=1)
    assert not lock.armed
    till.sign_in()
    assert lock.armed
    till.open_shift()
    till.call("scan", demo_items[0].barcode)

    # activity keeps it open: a key every 0.3 s for 1.5 s
    started = time.monotonic()
    while time.monotonic() - started < 1.5:
        qtbot.keyClick(page.pin_field, Qt.Key.Key_Shift)
        qtbot.wait(300)
        assert till_controller.session.signed_in is not None

    with qtbot.waitSignal(till_controller.locked, timeout=WAIT_MS):
        pass  # nothing pressed: it locks by itself
    assert till_controller.session.signed_in is None and not lock.armed

    # the page offers the same person again: only the PIN to type
    qtbot.waitUntil(lambda: page.pin_field.hasFocus(), timeout=WAIT_MS)
    assert page.staff_list.currentItem().text().startswith(CASHIER)
    qtbot.keyClicks(page.pin_field, CASHIER_PIN)
    with qtbot.waitSignal(till_controller.cart_changed, timeout=WAIT_MS) as cart:
        qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)
    assert [line.variant_id for line in cart.args[0].lines] == [demo_items[0].variant_id]
    assert lock.armed


def test_zero_seconds_never_locks(qtbot, till_controller, till):
    lock = IdleLock(till_controller, seconds=0)
    till.sign_in()
    assert not lock.armed
    with pytest.raises(ValueError):
        lock.set_seconds(-1)

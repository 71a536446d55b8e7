"""When a call fails with something other than a refusal (the database itself failing: here a
table really gone, so SQLite raises ``OperationalError``), the cashier is told where they are
looking and every button works again once the store is back: nothing waits for ever."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.till.conftest import CASHIER, CASHIER_PIN, WAIT_MS
from tests.ui.till.payment_support import (order_count, panel,  # noqa: F401 - fixtures
                                           receipt_dir, till_payments)
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, key
from ui.till.controller import UNEXPECTED

pytestmark = OFFSCREEN_SIZE_HINTS


@contextmanager
def table_gone(store, table: str) -> Iterator[None]:  # noqa: ANN001 - LocalStore
    """``table`` renamed away for a while, as a damaged or half-migrated store would be."""
    with sqlite3.connect(store.path) as connection:
        connection.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        yield
    finally:
        with sqlite3.connect(store.path) as connection:
            connection.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


def test_sign_in_failing_in_the_database_says_so_and_sign_in_works_again(
        qtbot, register_screen, till_controller, shop):
    page = register_screen.signin_page
    qtbot.waitUntil(lambda: page.staff_list.count() > 0 and page.staff_list.hasFocus(),
                    timeout=WAIT_MS)
    qtbot.keyClicks(page.staff_list, CASHIER)
    qtbot.keyClick(page.staff_list, Qt.Key.Key_Return)

    with table_gone(shop, "staff_users"):
        qtbot.keyClicks(page.pin_field, CASHIER_PIN)
        with qtbot.waitSignal(till_controller.error, timeout=WAIT_MS):
            qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not till_controller.busy, timeout=WAIT_MS)
        assert page.pin_message.text() == UNEXPECTED  # under the PIN, where the cashier looks
        assert page.sign_in_button.isEnabled() and page.pin_field.hasFocus()

    qtbot.keyClicks(page.pin_field, CASHIER_PIN)
    with qtbot.waitSignal(till_controller.signed_in, timeout=WAIT_MS):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def test_complete_failing_in_the_database_leaves_complete_usable(qtbot, panel, till,  # noqa: F811
                                                                 till_controller, shop):
    key(qtbot, panel.amount_field, "F1")
    qtbot.waitUntil(lambda: panel.complete_button.isEnabled(), timeout=WAIT_MS)

    with table_gone(shop, "payments"):
        with qtbot.waitSignal(till_controller.error, timeout=WAIT_MS):
            key(qtbot, panel.amount_field, "F12")
        till.wait_idle()
        assert panel.message.text() == UNEXPECTED
        assert panel.complete_button.isEnabled() and panel.amount_field.hasFocus()
        assert order_count(shop) == 0  # one transaction: nothing half-written

    with qtbot.waitSignal(till_controller.sale_completed, timeout=WAIT_MS):
        key(qtbot, panel.amount_field, "F12")
    till.wait_idle()
    assert order_count(shop) == 1

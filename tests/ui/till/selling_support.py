"""Helpers for driving the selling page by keys: scanning, dialogs, the manager's approval."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QListWidget
from shiboken6 import isValid

from tests.ui.till.conftest import MANAGER_PIN, WAIT_MS

ENTER = Qt.Key.Key_Return
ESC = Qt.Key.Key_Escape
NO_MOD = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier

#: the offscreen platform says so each time a dialog shows (the shift dialog at sign-in)
OFFSCREEN_DIALOGS = pytest.mark.qt_log_ignore("propagateSizeHints")

def page_of(screen):  # noqa: ANN001, ANN202
    return screen.selling_page


def scan_code(qtbot, screen, code: str) -> None:  # noqa: ANN001
    """Type a code into the scan field and press Enter, as a scanner does."""
    field = page_of(screen).scan_field
    qtbot.keyClicks(field, code)
    qtbot.keyClick(field, ENTER)


def cart_rows(screen) -> int:  # noqa: ANN001
    return page_of(screen).cart_model.rowCount()


def wait_rows(qtbot, screen, count: int) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: cart_rows(screen) == count, timeout=WAIT_MS)


def press(qtbot, screen, key, modifiers=NO_MOD) -> None:  # noqa: ANN001
    """A key pressed as the cashier presses it: into whatever has the focus. Where the focus
    should be is for the test to say (``wait_scan_focused``); a key sent straight to the scan
    field would hide a focus that was lost."""
    widget = QApplication.focusWidget()
    assert widget is not None, "the focus was lost"
    assert screen.isAncestorOf(widget) or widget.window() is not screen.window(), (
        f"the focus is on {widget.objectName() or type(widget).__name__}, outside the till")
    qtbot.keyClick(widget, key, modifiers)


def dialog_named(qtbot, name: str) -> QDialog:
    found: list[QDialog] = []

    def opened() -> bool:
        # active too: its shortcuts (Ctrl+N) and keys go to it only then
        found[:] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QDialog) and w.objectName() == name and w.isVisible()
                    and w.isActiveWindow()]
        return bool(found)
    qtbot.waitUntil(opened, timeout=WAIT_MS)
    return found[0]


def wait_closed(qtbot, dialog: QDialog) -> None:
    # a closed till dialog deletes itself
    qtbot.waitUntil(lambda: not isValid(dialog) or not dialog.isVisible(), timeout=WAIT_MS)


def type_in(qtbot, dialog: QDialog, field_name: str, text: str) -> QLineEdit:  # noqa: ANN001
    field = dialog.findChild(QLineEdit, field_name)
    assert field is not None, field_name
    qtbot.waitUntil(field.hasFocus, timeout=WAIT_MS)
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, ENTER)
    return field


def dialog_message(dialog: QDialog, name: str = "dialogMessage") -> str:
    return dialog.findChild(QLabel, name).text()


def wait_scan_focused(qtbot, screen) -> None:  # noqa: ANN001
    qtbot.waitUntil(page_of(screen).scan_field.hasFocus, timeout=WAIT_MS)


def approve_with_keys(qtbot) -> None:  # noqa: ANN001
    """The manager types their PIN in U2's approval dialog and presses Enter."""
    dialog = dialog_named(qtbot, "approvalDialog")
    managers = dialog.findChild(QListWidget, "managerList")
    qtbot.waitUntil(lambda: managers.count() > 0, timeout=WAIT_MS)
    rows = [managers.item(i).text() for i in range(managers.count())]
    managers.setCurrentRow(next(i for i, text in enumerate(rows) if text.startswith("Max")))
    pin = dialog.findChild(QLineEdit, "managerPin")
    pin.setFocus()
    qtbot.keyClicks(pin, MANAGER_PIN)
    qtbot.keyClick(pin, ENTER)
    wait_closed(qtbot, dialog)

"""Helpers shared by the sign-in, shift, payment, return, scenario and screenshot tests."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from shiboken6 import isValid

from tests.ui.till.conftest import WAIT_MS

#: the offscreen platform cannot pass a top-level's size hints on; nothing to do with us
OFFSCREEN_SIZE_HINTS = pytest.mark.qt_log_ignore("propagateSizeHints")


def show(qtbot, widget: QWidget, size: tuple[int, int] = (1024, 700)) -> QWidget:  # noqa: ANN001
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=WAIT_MS)
    return widget


def open_dialog(qtbot, dialog: QDialog) -> QDialog:  # noqa: ANN001
    dialog.open()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    return dialog


def active_modal(qtbot, kind: type | None = None, name: str | None = None):  # noqa: ANN001, ANN201
    """The dialog that opened on top (waits for it)."""
    def found() -> bool:
        widget = QApplication.activeModalWidget()
        return (widget is not None and (kind is None or isinstance(widget, kind))
                and (name is None or widget.objectName() == name))
    qtbot.waitUntil(found, timeout=WAIT_MS)
    dialog = QApplication.activeModalWidget()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    return dialog


def gone(widget: QWidget) -> bool:
    """Closed: hidden, or already deleted (dialogs the screen opens delete themselves)."""
    return not isValid(widget) or not widget.isVisible()


def type_in(qtbot, widget: QWidget, text: str, *, enter: bool = True) -> None:  # noqa: ANN001
    qtbot.keyClicks(widget, text)
    if enter:
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def key(qtbot, widget: QWidget, name: str) -> None:  # noqa: ANN001
    """Press a key (or combination) given as text, e.g. "F12", "Ctrl+Shift+Z", on ``widget``."""
    from PySide6.QtGui import QKeySequence

    combination = QKeySequence(name)[0]
    qtbot.keyClick(widget, combination.key(), combination.keyboardModifiers())


"""The one dialog a till page has open over it.

Opening another closes the first (two window-modal dialogs would fight for the keys); a closed
dialog deletes itself, and once Qt has finished closing it (the modal state ends after
``finished``) the focus goes back where the page wants it, the scan field as a rule.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog


class DialogSlot:
    """Holds the page's open dialog; ``refocus`` runs after it closed."""

    def __init__(self, refocus: Callable[[], None]) -> None:
        self._refocus = refocus
        self._dialog: QDialog | None = None

    @property
    def dialog(self) -> QDialog | None:
        return self._dialog

    def open(self, dialog: QDialog) -> QDialog:
        self.close()
        self._dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result, opened=dialog: self._closed(opened))
        dialog.open()
        return dialog

    def close(self) -> None:
        """Back out of the open dialog, if any (Esc's way: nothing it was asking is done)."""
        if self._dialog is not None:
            self._dialog.reject()

    def _closed(self, dialog: QDialog) -> None:
        if self._dialog is dialog:
            self._dialog = None
        QTimer.singleShot(0, self._refocus)

"""Telling a scanned code from a typed one by the gaps between its keys.

A barcode scanner is a keyboard that types a whole code with a few milliseconds between keys
and then Enter; people take a hundred or more. The return dialog uses it to know a receipt was
scanned; the payment page to refuse a product code that landed in the amount field.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLineEdit

#: a barcode scanner types a whole code with a few ms between keys; people take ~100 ms+
SCANNER_GAP_S = 0.035
MIN_SCANNED_LENGTH = 4


class ScanTiming(QObject):
    """Tells a scanned code from a typed one by the gaps between its keys (event filter)."""

    def __init__(self, field: QLineEdit) -> None:
        super().__init__(field)
        self._field = field
        self._gaps: list[float] = []
        self._last: float | None = None
        self._pasted = False
        field.installEventFilter(self)
        field.textEdited.connect(self._edited)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.KeyPress and event.text() and event.text().isprintable():
            now = time.monotonic()
            if self._last is not None and self._field.text():
                self._gaps.append(now - self._last)
            else:
                self._gaps = []
            self._last = now
        return False

    def _edited(self, text: str) -> None:
        if not text:
            self.reset()
        elif self._last is None or time.monotonic() - self._last > SCANNER_GAP_S:
            self._pasted = True  # text arrived without keys in the last moment: pasted/dropped

    @property
    def scanned(self) -> bool:
        text = self._field.text().strip()
        return (not self._pasted and len(text) >= MIN_SCANNED_LENGTH
                and len(self._gaps) >= len(text) - 2
                and max(self._gaps, default=1.0) <= SCANNER_GAP_S)

    def reset(self) -> None:
        self._gaps, self._last, self._pasted = [], None, False

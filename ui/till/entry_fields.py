"""Line edits that refuse what cannot be an amount or a PIN, saying so at the field.

A validator alone would drop a pasted "twelve" without a word, and the cashier would not know
why nothing happened. These fields look at every edit the user made (typed, pasted with the
keyboard or the menu, dropped), put the last acceptable text back when the new one cannot be
right, and show why in the label beside them. What they let through is still only *shaped* like
an amount: the service parses it and its refusal (too many decimals, too large) is shown in the
same label.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

if TYPE_CHECKING:
    from app.domain.errors import DomainError

#: digits with at most one decimal point; the service decides how many decimals are fine
AMOUNT_SHAPE = re.compile(r"\d*(?:\.\d*)?")
PIN_SHAPE = re.compile(r"\d*")
PIN_MAX_DIGITS = 12
MIN_TOUCH = 44
#: events after which a widget's type or padding may differ (a style sheet applied or changed)
RESTYLED = frozenset({QEvent.Type.Polish, QEvent.Type.StyleChange, QEvent.Type.FontChange})


class MessageLabel(QLabel):
    """The words under a field saying what is wrong with it (empty when nothing is)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setAccessibleName("Message")
        self.setProperty("role", "fieldMessage")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_message(self, text: str) -> None:
        self.setText(text)
        # a screen reader hears the refusal even though focus stays in the field
        self.setAccessibleDescription(text)


class ShapedField(QLineEdit):
    """A line edit whose user edits must match ``shape``; a refused edit is undone and explained.

    ``message`` is the label the explanation goes to (shared with the service's messages).
    """

    def __init__(self, name: str, accessible: str, shape: re.Pattern[str], refusal: str,
                 message: MessageLabel, parent: QWidget | None = None, *,
                 max_length: int = 32) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setMaxLength(max_length)
        self.setMinimumHeight(MIN_TOUCH)
        self._shape = shape
        self._refusal = refusal
        self._message = message
        self._last_good = ""
        self.textEdited.connect(self._check_edit)
        # setText from code (clearing, prefilling) is trusted and becomes the fallback
        self.textChanged.connect(self._remember_if_good)

    @property
    def message(self) -> MessageLabel:
        return self._message

    def _check_edit(self, text: str) -> None:
        if self._shape.fullmatch(text):
            self._last_good = text
            self._message.show_message("")
            return
        cursor = min(self.cursorPosition(), len(self._last_good))
        refused = _refused_part(self._last_good, text)
        self.blockSignals(True)
        self.setText(self._last_good)
        self.blockSignals(False)
        self.setCursorPosition(cursor)
        self._message.show_message(self._refusal.format(text=refused))

    def _remember_if_good(self, text: str) -> None:
        if self._shape.fullmatch(text):
            self._last_good = text


class AmountField(ShapedField):
    """An amount of money typed as digits with one decimal point ("12.50")."""

    def __init__(self, name: str, accessible: str, message: MessageLabel,
                 parent: QWidget | None = None) -> None:
        super().__init__(name, accessible, AMOUNT_SHAPE,
                         "“{text}” is not an amount: type digits, e.g. 12.50", message, parent,
                         max_length=16)
        self.setInputMethodHints(Qt.InputMethodHint.ImhFormattedNumbersOnly)
        self.setPlaceholderText("0.00")


class PinField(ShapedField):
    """A PIN: digits only, never shown."""

    def __init__(self, name: str, accessible: str, message: MessageLabel,
                 parent: QWidget | None = None) -> None:
        super().__init__(name, accessible, PIN_SHAPE, "A PIN is digits only", message, parent,
                         max_length=PIN_MAX_DIGITS)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly
                                 | Qt.InputMethodHint.ImhSensitiveData
                                 | Qt.InputMethodHint.ImhNoPredictiveText)


def _refused_part(before: str, after: str) -> str:
    """What the edit inserted (for the message), trimmed to something readable."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while (end < min(len(before), len(after)) - start
           and before[len(before) - 1 - end] == after[len(after) - 1 - end]):
        end += 1
    inserted = after[start:len(after) - end] or after
    return inserted if len(inserted) <= 24 else inserted[:23] + "…"


class TouchButton(QPushButton):
    """A push button whose shortcut clicks it at once: Qt's own animates the press for 100 ms
    first, and a cashier's next key (or a scanner's digits) must not overtake the action.

    Its face is never clipped: a style sheet's ``min-width`` becomes an explicit minimum that
    a layout takes over the size hint, so a crowded row would squeeze the button below its
    text. The minimum is its face's width as styled now (``keep_face_whole = False`` for a
    button whose container sees to that itself).
    """

    keep_face_whole = True

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Shortcut and not event.isAmbiguous():
            if self.isEnabled():
                self.click()
            return True
        handled = super().event(event)
        if event.type() in RESTYLED:
            self._keep_face()
        return handled

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        # Qt replaces the shortcut with the new text's mnemonic (none without "&"): keep ours
        shortcut = self.shortcut()
        super().setText(text)
        if not shortcut.isEmpty() and self.shortcut().isEmpty():
            self.setShortcut(shortcut)
        self._keep_face()

    def _keep_face(self) -> None:
        if self.keep_face_whole:
            self.setMinimumWidth(max(MIN_TOUCH, self.sizeHint().width()))


def touch_button(name: str, text: str, accessible: str, parent: QWidget | None = None,
                 *, shortcut: str | None = None) -> QPushButton:
    """A button big enough to tap, its shortcut on its face and in its tooltip."""
    button = TouchButton(text, parent)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setMinimumSize(MIN_TOUCH, MIN_TOUCH)
    button.setAutoDefault(False)
    if shortcut:
        button.setShortcut(QKeySequence(shortcut))
        button.setToolTip(f"{accessible} ({shortcut})")
    return button


def describe(error: "DomainError", captions: dict[str, str]) -> str:
    """The service's refusal as a sentence under its field: "is empty" reads "Opening float:
    is empty" (the service's words stay as they are)."""
    message = error.message
    caption = captions.get(error.field or "")
    if caption and message and (message[0].islower() or message[0] in "'\"“"):
        return f"{caption}: {message}"
    return message

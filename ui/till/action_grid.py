"""The selling page's action buttons in as many columns as their faces fit.

Three columns when there is room, fewer when the faces are wide, and when even two columns of
one-line faces do not fit (the high-contrast theme's bold, larger type at 1024 px) each face
breaks before its shortcut: "Close shift" over "(Ctrl+Shift+Z)". A shortcut on a face is never
clipped, and the grid's own minimum is one face wide: it never squeezes the cart to keep its
columns.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from ui.till.entry_fields import MIN_TOUCH

MAX_COLUMNS = 3
SPACING = 4


def two_lines(face: str) -> str:
    """The face broken before its shortcut: "Close shift (Ctrl+Shift+Z)" → two lines."""
    words, found, shortcut = face.rpartition(" (")
    return f"{words}\n({shortcut}" if found and words else face


class ActionGrid(QWidget):
    """``actionGrid``: ``buttons`` row by row; ``wide`` (Pay) spans the last row."""

    def __init__(self, buttons: list[QPushButton], wide: QPushButton,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actionGrid")
        self._buttons = buttons
        self._wide = wide
        self._faces = [button.text() for button in buttons]
        self._columns = 0
        self._broken = False
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(SPACING)
        for button in (*buttons, wide):
            # the layout's minimum stays small: the column count keeps the faces whole
            button.keep_face_whole = False
            button.setMinimumWidth(MIN_TOUCH)
            button.setParent(self)
        self._arrange(MAX_COLUMNS, broken=False)

    @property
    def columns(self) -> int:
        return self._columns

    @property
    def broken(self) -> bool:
        """The faces are on two lines."""
        return self._broken

    def face_width(self, broken: bool) -> int:
        """What the widest face needs, on one line or two, with the padding and border the
        buttons are styled with now."""
        widest = 0
        for button, face in zip(self._buttons, self._faces):
            metrics = button.fontMetrics()
            shown = two_lines(face) if broken else face
            text = max(metrics.horizontalAdvance(line) for line in shown.split("\n"))
            current = max(metrics.horizontalAdvance(line) for line in button.text().split("\n"))
            widest = max(widest, button.sizeHint().width() - current + text)
        return widest

    def columns_for(self, width: int, broken: bool) -> int:
        face = self.face_width(broken)
        return max(1, min(MAX_COLUMNS, (width + SPACING) // (face + SPACING)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # one face wide (the columns adapt), as tall as the rows are now
        return QSize(self.face_width(True), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._refit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            QTimer.singleShot(0, self, self._refit)  # once the buttons have their new style

    def _refit(self) -> None:
        width = self.width()
        columns, broken = self.columns_for(width, False), False
        if columns < 2:
            columns, broken = self.columns_for(width, True), True
        if (columns, broken) != (self._columns, self._broken):
            self._arrange(columns, broken=broken)

    def _arrange(self, columns: int, *, broken: bool) -> None:
        for button, face in zip(self._buttons, self._faces):
            button.setText(two_lines(face) if broken else face)
            self._grid.removeWidget(button)
        self._grid.removeWidget(self._wide)
        for position, button in enumerate(self._buttons):
            self._grid.addWidget(button, position // columns, position % columns)
        rows = -(-len(self._buttons) // columns)
        self._grid.addWidget(self._wide, rows, 0, 1, columns)
        for column in range(MAX_COLUMNS):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)
        self._columns, self._broken = columns, broken
        self.updateGeometry()

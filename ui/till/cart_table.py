"""The cart's table: the item's name gets the room, the figures what they need.

The figure columns are sized from font metrics, never from the rows (sizing to contents read
every row on every scan). Their widths are worked out again whenever the table is shown,
resized or restyled: a style sheet (the high-contrast theme) changes the fonts after the widget
was built, and widths measured before it clip the figures. When the table is narrow the figures
give way first, down to what an everyday figure needs, so the item column keeps at least
``ITEM_MIN`` px (a rarely wide figure is elided: its line is still read in full on the receipt).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ui.till.cart_model import CartModel
from ui.till.entry_fields import MIN_TOUCH

ITEM_MIN = 200
#: the widest figure each column shows in practice (quantity, price, discount, total) …
FIGURE_SAMPLES = ("10,000.000 kg", "10,000.00", "-10,000.00", "100,000.00")
#: … and what an everyday one needs, the least a column shrinks to
EVERYDAY_SAMPLES = ("0.455 kg", "999.99", "-99.99", "9,999.99")
PADDING = 16


class CartTable(QTableView):
    """``cartView``: rows a finger can hit, no focus (the scan field keeps it), one row chosen."""

    def __init__(self, model: CartModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cartView")
        self.setAccessibleName("Cart")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click selects; the scan field keeps focus
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setDefaultSectionSize(MIN_TOUCH)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(24)
        for column in range(1, len(FIGURE_SAMPLES) + 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Give the figures their widths for the room and the fonts there are now."""
        header = self.horizontalHeader()
        ideal, least = self._figure_widths()
        room = self.viewport().width() - ITEM_MIN
        if sum(ideal) <= room:
            widths = ideal
        else:  # shrink each figure towards its everyday width, in proportion
            spare = sum(ideal) - sum(least)
            share = max(0.0, (room - sum(least)) / spare) if spare else 0.0
            widths = [low + int((high - low) * min(1.0, share)) for high, low in zip(ideal, least)]
        for column, width in enumerate(widths, start=1):
            if header.sectionSize(column) != width:
                header.resizeSection(column, width)

    def item_column_width(self) -> int:
        return self.horizontalHeader().sectionSize(0)

    def _figure_widths(self) -> tuple[list[int], list[int]]:
        metrics = self.fontMetrics()
        titles = self.horizontalHeader().fontMetrics()
        model = self.model()
        ideal, least = [], []
        for column, (wide, everyday) in enumerate(zip(FIGURE_SAMPLES, EVERYDAY_SAMPLES), start=1):
            title = titles.horizontalAdvance(
                str(model.headerData(column, Qt.Orientation.Horizontal))) + PADDING
            ideal.append(max(metrics.horizontalAdvance(wide) + PADDING, title))
            least.append(max(metrics.horizontalAdvance(everyday) + PADDING, title))
        return ideal, least

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit_columns()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.fit_columns()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            # after the header (a child) has taken the new style too
            QTimer.singleShot(0, self, self.fit_columns)

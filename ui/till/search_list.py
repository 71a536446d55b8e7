"""The results list under the scan field while the cashier types letters.

It never takes focus: the scan field keeps it and moves the choice here with Up/Down, so a
barcode scanned in the middle of a search still lands in the scan field.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.till.views import ItemHit, SearchResult
from ui.till.entry_fields import MIN_TOUCH

HIT_ROLE = Qt.ItemDataRole.UserRole
NO_MATCH = "No item matches “{query}”"
VISIBLE_ROWS = 8


def describe_hit(hit: ItemHit) -> str:
    parts = [hit.name, hit.sku, hit.price_text]
    if hit.in_stock_text:
        parts.append(hit.in_stock_text)
    return " · ".join(part for part in parts if part)


class SearchList(QWidget):
    """``searchResults``: hits for the latest text, a "showing results for" line after a typo.

    Signals: ``chosen(ItemHit)`` when a hit is clicked (keys are handled by the scan field).
    """

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchPanel")
        self.note = QLabel()
        self.note.setObjectName("searchNote")
        self.note.setAccessibleName("Search note")
        self.list = QListWidget()
        self.list.setObjectName("searchResults")
        self.list.setAccessibleName("Search results")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setUniformItemSizes(True)
        self.list.itemClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.list)
        self.query: str | None = None
        self.hide()

    @property
    def open(self) -> bool:
        return self.isVisible()

    def show_result(self, result: SearchResult) -> None:
        self.query = result.query
        self.list.clear()
        for hit in result.hits:
            item = QListWidgetItem(describe_hit(hit))
            item.setData(HIT_ROLE, hit)
            item.setSizeHint(item.sizeHint().expandedTo(self._row_size()))
            self.list.addItem(item)
        if result.hits:
            self.list.setCurrentRow(0)
        notes = []
        if result.corrected:
            notes.append(f"Showing results for “{result.corrected}”")
        if not result.hits:
            notes.append(NO_MATCH.format(query=result.query))
        elif result.more:
            notes.append(f"First {len(result.hits)} matches: type more to narrow")
        self.note.setText(" · ".join(notes))
        self.note.setVisible(bool(notes))
        self.list.setVisible(bool(result.hits))
        rows = min(max(len(result.hits), 1), VISIBLE_ROWS)
        self.list.setFixedHeight(rows * self._row_size().height() + 2 * self.list.frameWidth())
        self.show()

    def close_list(self) -> None:
        self.query = None
        self.list.clear()
        self.hide()

    def step(self, step: int) -> None:
        count = self.list.count()
        if count:
            row = self.list.currentRow()
            self.list.setCurrentRow(max(0, min(count - 1, row + step)))

    def current_hit(self) -> ItemHit | None:
        item = self.list.currentItem()
        return item.data(HIT_ROLE) if item is not None else None

    def _clicked(self, item: QListWidgetItem) -> None:
        self.chosen.emit(item.data(HIT_ROLE))

    def _row_size(self) -> QSize:
        size = self.list.fontMetrics().size(0, "Xg")
        size.setHeight(max(MIN_TOUCH, size.height() + 12))
        return size

"""Levels of this store (filter by text, category, low stock) with the chosen item's movement
history and, for staff holding stock:write, an adjustment with its reason."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSplitter, QVBoxLayout, QWidget)

from app.back_office.stock import adjust, levels
from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.back_office.stock.common import paged_table, read, reason, write
from ui.till.entry_fields import MessageLabel

TYPING_MS = 250  # the list is searched when typing pauses, not on every keystroke
ONLY_HERE = ("Levels of this store only: the till pulls its own store's stock, so other "
             "stores' levels are not kept here.")


class LevelsTab(QWidget):
    """``adjusted(str)`` after an adjustment was posted (the variant's id)."""

    adjusted = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._variant_id: str | None = None
        self.search = QLineEdit()
        self.search.setObjectName("stockSearch")
        self.search.setPlaceholderText("Name, SKU or barcode")
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_MS)
        self._typing.timeout.connect(self._filter)
        self.search.textChanged.connect(lambda _text: self._typing.start())
        self.category = QComboBox()
        self.category.setObjectName("stockCategory")
        self.category.addItem("All categories", None)
        self.category.currentIndexChanged.connect(self._filter)
        self.low_only = QCheckBox("Low stock only")
        self.low_only.setObjectName("stockLowOnly")
        self.low_only.toggled.connect(self._filter)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.category, 1)
        filters.addWidget(self.low_only)
        self.table, self.model = paged_table(context, levels.LevelsSource(), self, "stockLevels")
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(2, Qt.SortOrder.AscendingOrder)  # SKU
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _old: self._chosen(current.row()))
        self.history_label = QLabel("Choose an item to see its movements")
        self.history, self.history_model = paged_table(
            context, levels.MovementsSource(variant_id=""), self, "stockHistory")
        self.history.setVisible(False)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.history_label)
        lower_layout.addWidget(self.history, 1)
        lower_layout.addWidget(self._adjust_form())
        splitter.addWidget(lower)
        layout = QVBoxLayout(self)
        note = QLabel(ONLY_HERE)
        note.setObjectName("stockOnlyHere")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        read(context, self, "stock: categories", levels.category_choices, self._categories,
             lambda _e: None)

    def _adjust_form(self) -> QWidget:
        box = QWidget()
        box.setObjectName("stockAdjustForm")
        form = QFormLayout(box)
        self.quantity = QLineEdit()
        self.quantity.setObjectName("stockAdjustQuantity")
        self.quantity.setPlaceholderText("-2 takes two out, +1 puts one back")
        self.reason = QComboBox()
        self.reason.setObjectName("stockAdjustReason")
        for key, title in adjust.REASONS.items():
            self.reason.addItem(title, key)
        self.note = QLineEdit()
        self.note.setObjectName("stockAdjustNote")
        self.post_button = QPushButton("Post adjustment")
        self.post_button.setObjectName("stockAdjustPost")
        self.post_button.clicked.connect(self.post_adjustment)
        self.message = MessageLabel("stockAdjustMessage")
        form.addRow("Adjust by", self.quantity)
        form.addRow("Reason", self.reason)
        form.addRow("Note", self.note)
        form.addRow(self.post_button)
        form.addRow(self.message)
        if not self.context.user.may(Permission.STOCK_WRITE):
            box.hide()  # (never setVisible(True) on a widget without a parent: it opens a window)
        box.setEnabled(False)
        self._form = box
        return box

    def _categories(self, choices: list[tuple[str, str]]) -> None:
        for cid, path in choices:
            self.category.addItem(path, cid)

    def _filter(self) -> None:
        self.model.set_source(levels.LevelsSource(
            text=self.search.text(), category_id=self.category.currentData(),
            low_only=self.low_only.isChecked(), order=self.model.source.order,
            descending=self.model.source.descending))

    def _chosen(self, row: int) -> None:
        found = self.model.row(row) if row >= 0 else None
        if found is None:
            return
        self._variant_id = found.id
        self.history_label.setText(f"Movements of {found.cells[0]} {found.cells[1]} "
                                   f"({found.cells[2]}), newest first".replace("  ", " "))
        self.history_model.set_source(levels.MovementsSource(variant_id=found.id))
        self.history.setVisible(True)
        self._form.setEnabled(True)

    def post_adjustment(self) -> None:
        if self._variant_id is None:
            return
        variant_id = self._variant_id
        self.post_button.setEnabled(False)
        write(self.context, self, "stock: adjust", adjust.adjust,
              lambda _m: self._posted(variant_id), self._refused, variant_id=variant_id,
              quantity=self.quantity.text(), reason=self.reason.currentData(),
              note=self.note.text())

    def _posted(self, variant_id: str) -> None:
        self.post_button.setEnabled(True)
        self.quantity.clear()
        self.note.clear()
        self.message.show_message("Posted.")
        self.model.refresh()
        self.history_model.refresh()
        self.adjusted.emit(variant_id)

    def _refused(self, error: BaseException) -> None:
        self.post_button.setEnabled(True)
        self.message.show_message(reason(error))



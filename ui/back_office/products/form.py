"""The chosen product's form: its fields and its variants' prices, editable for staff with
``catalog:write`` (read-only otherwise, no Save), and what happens to it in words. The form
only shows and collects; the page runs the services."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.back_office.products.detail import ProductDetail
from app.domain.quantity import format_quantity

VARIANT_COLUMNS = ("SKU", "Variant", "Price", "Cost", "Barcodes")
PRICE_COLUMN, COST_COLUMN = 2, 3


class ProductForm(QWidget):
    """``save_requested(dict fields, str threshold, dict variants)``, ``archive_requested(bool)``
    (True: archive, False: bring back)."""

    save_requested = Signal(dict, str, dict)
    archive_requested = Signal(bool)
    image_requested = Signal()

    def __init__(self, editable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editable = editable
        self.detail: ProductDetail | None = None
        layout = QVBoxLayout(self)
        self.title = QLabel("Choose a product")
        self.title.setStyleSheet("font-weight: bold")
        layout.addWidget(self.title)
        form = QFormLayout()
        self.name_field, self.brand_field = QLineEdit(), QLineEdit()
        self.threshold_field = QLineEdit()
        self.threshold_field.setPlaceholderText("none")
        self.description_field = QPlainTextEdit()
        self.description_field.setMaximumHeight(70)
        self.facts = QLabel("")
        for label, widget in (("Name", self.name_field), ("Brand", self.brand_field),
                              ("Low stock at", self.threshold_field),
                              ("Description", self.description_field), ("", self.facts)):
            form.addRow(label, widget)
        layout.addLayout(form)
        self.variants = QTableWidget(0, len(VARIANT_COLUMNS))
        self.variants.setHorizontalHeaderLabels(VARIANT_COLUMNS)
        self.variants.verticalHeader().setVisible(False)
        layout.addWidget(self.variants)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save")
        self.archive_button = QPushButton("Archive")
        self.image_button = QPushButton("Add image…")
        self.image_button.clicked.connect(self.image_requested)
        self.save_button.clicked.connect(self._save)
        self.archive_button.clicked.connect(
            lambda: self.archive_requested.emit(not (self.detail and self.detail.archived)))
        buttons.addWidget(self.image_button)
        buttons.addStretch(1)
        buttons.addWidget(self.archive_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        for widget in (self.name_field, self.brand_field, self.threshold_field):
            widget.setReadOnly(not editable)
        self.description_field.setReadOnly(not editable)
        self.save_button.setVisible(editable)
        self.archive_button.setVisible(editable)
        self.image_button.setVisible(editable)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for button in (self.save_button, self.archive_button, self.image_button):
            button.setEnabled(on)

    def busy(self, on: bool) -> None:
        self._enable(not on and self.detail is not None)

    def say(self, text: str) -> None:
        self.message.setText(text)

    def show_detail(self, detail: ProductDetail) -> None:
        self.detail = detail
        self.title.setText(detail.name + (" (archived)" if detail.archived else ""))
        self.name_field.setText(detail.name)
        self.brand_field.setText(detail.brand)
        self.description_field.setPlainText(detail.description)
        threshold = detail.low_stock_threshold_milli
        self.threshold_field.setText("" if threshold is None else format_quantity(threshold))
        pending = f" · {detail.pending_edits} edit(s) waiting for the server" \
            if detail.pending_edits else ""
        self.facts.setText(f"{detail.category or 'No category'} · tax: {detail.tax_class} · "
                           f"{'sold by weight' if detail.sold_by_weight else 'sold by piece'}"
                           f" · {detail.images} image(s){pending}")
        self.variants.setRowCount(len(detail.variants))
        for row, v in enumerate(detail.variants):
            cells = (v.sku, (v.name or "—") + (" (archived)" if v.archived else ""),
                     v.price_text, v.cost_text, ", ".join(v.barcodes))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not (self.editable and column in (PRICE_COLUMN, COST_COLUMN)):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.variants.setItem(row, column, item)
        self.archive_button.setText("Bring back" if detail.archived else "Archive")
        self._enable(True)

    def _save(self) -> None:
        detail = self.detail
        if detail is None:
            return
        fields = {"name": self.name_field.text(), "brand": self.brand_field.text(),
                  "description": self.description_field.toPlainText()}
        variants = {}
        for row, v in enumerate(detail.variants):
            price = self.variants.item(row, PRICE_COLUMN).text()
            cost = self.variants.item(row, COST_COLUMN).text()
            if (price, cost) != (v.price_text, v.cost_text):
                variants[v.id] = (price, cost)
        self.save_requested.emit(fields, self.threshold_field.text(), variants)

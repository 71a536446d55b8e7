"""The product page's dialogs: a new product with its variants, and a bulk price change with
its preview. They collect what is typed and show what the services answer; the page runs the
services on the database worker."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.back_office.products.detail import Choices
from app.back_office.products.pricing import STEPS, PriceChange, PricePreview
from app.domain.money import format_amount

NEW_COLUMNS = ("SKU", "Options (size=M, colour=Blue)", "Price", "Cost", "Barcodes",
               "In-house EAN-13")
GENERATE_COLUMN = 5


class NewProductDialog(QDialog):
    """``submitted(dict)``: the product's fields as typed, with ``variants`` a list of
    ``(sku, options, price, cost, barcodes, generate)``."""

    submitted = Signal(dict)

    def __init__(self, choices: Choices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New product")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name_field, self.brand_field = QLineEdit(), QLineEdit()
        self.threshold_field = QLineEdit()
        self.threshold_field.setPlaceholderText("none")
        self.tax_box, self.category_box = QComboBox(), QComboBox()
        for tax_id, name in choices.tax_classes:
            self.tax_box.addItem(name, tax_id)
        self.category_box.addItem("No category", None)
        for category_id, path in choices.categories:
            self.category_box.addItem(path, category_id)
        self.weight_box = QCheckBox("Sold by weight")
        for label, widget in (("Name", self.name_field), ("Tax", self.tax_box),
                              ("Category", self.category_box), ("Brand", self.brand_field),
                              ("Low stock at", self.threshold_field), ("", self.weight_box)):
            form.addRow(label, widget)
        layout.addLayout(form)
        self.variants = QTableWidget(0, len(NEW_COLUMNS))
        self.variants.setHorizontalHeaderLabels(NEW_COLUMNS)
        layout.addWidget(self.variants)
        self.add_variant()
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add a variant")
        self.add_button.clicked.connect(self.add_variant)
        self.create_button = QPushButton("Create")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self._submit)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.create_button)
        layout.addLayout(buttons)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

    def add_variant(self) -> None:
        row = self.variants.rowCount()
        self.variants.insertRow(row)
        for column in range(GENERATE_COLUMN):
            self.variants.setItem(row, column, QTableWidgetItem(""))
        generate = QTableWidgetItem("")
        generate.setFlags(generate.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        generate.setCheckState(Qt.CheckState.Checked)
        self.variants.setItem(row, GENERATE_COLUMN, generate)

    def set_variant(self, row: int, sku: str, options: str, price: str, cost: str = "",
                    barcodes: str = "", generate: bool = True) -> None:
        while self.variants.rowCount() <= row:
            self.add_variant()
        for column, text in enumerate((sku, options, price, cost, barcodes)):
            self.variants.item(row, column).setText(text)
        self.variants.item(row, GENERATE_COLUMN).setCheckState(
            Qt.CheckState.Checked if generate else Qt.CheckState.Unchecked)

    def _submit(self) -> None:
        rows = []
        for row in range(self.variants.rowCount()):
            texts = [self.variants.item(row, c).text() for c in range(GENERATE_COLUMN)]
            if not any(t.strip() for t in texts):
                continue  # an empty row left over
            checked = self.variants.item(row, GENERATE_COLUMN).checkState() == \
                Qt.CheckState.Checked
            rows.append((*texts, checked))
        self.create_button.setEnabled(False)
        self.submitted.emit({"name": self.name_field.text(), "brand": self.brand_field.text(),
                             "tax_class_id": self.tax_box.currentData(),
                             "category_id": self.category_box.currentData(),
                             "threshold": self.threshold_field.text(),
                             "sold_by_weight": self.weight_box.isChecked(), "variants": rows})

    def refused(self, reason: str) -> None:
        self.create_button.setEnabled(True)
        self.message.setText(reason)


class BulkPriceDialog(QDialog):
    """``preview_requested(PriceChange)`` and ``apply_requested(PriceChange)`` for the
    products the list's filter shows (``count`` of them)."""

    preview_requested = Signal(object)
    apply_requested = Signal(object)

    def __init__(self, count: int, currency: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currency = currency
        self.setWindowTitle("Change prices")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The {count} product(s) the list shows now."))
        form = QFormLayout()
        self.mode_box = QComboBox()
        self.mode_box.addItem("By percent (+10, -5.5)", "percent")
        self.mode_box.addItem(f"By an amount in {currency} (+1.00, -0.50)", "amount")
        self.value_field = QLineEdit()
        self.step_box = QComboBox()
        for step in STEPS:
            self.step_box.addItem(f"round half up to {format_amount(step, currency)}", step)
        form.addRow("Change", self.mode_box)
        form.addRow("By", self.value_field)
        form.addRow("Rounding", self.step_box)
        layout.addLayout(form)
        self.preview_list = QListWidget()
        layout.addWidget(self.preview_list)
        self.summary = QLabel("Preview first: nothing changes until you apply.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QHBoxLayout()
        self.preview_button, self.apply_button = QPushButton("Preview"), QPushButton("Apply")
        self.apply_button.setEnabled(False)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.preview_button.clicked.connect(lambda: self.preview_requested.emit(self.change()))
        self.apply_button.clicked.connect(self._apply)
        for field in (self.value_field,):
            field.textChanged.connect(lambda _t: self.apply_button.setEnabled(False))
        self.mode_box.currentIndexChanged.connect(lambda _i: self.apply_button.setEnabled(False))
        self.step_box.currentIndexChanged.connect(lambda _i: self.apply_button.setEnabled(False))
        buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.apply_button)
        layout.addLayout(buttons)

    def change(self) -> PriceChange:
        return PriceChange(self.mode_box.currentData(), self.value_field.text().strip(),
                           self.step_box.currentData())

    def show_preview(self, preview: PricePreview) -> None:
        self.preview_list.clear()
        for line in preview.lines:
            self.preview_list.addItem(f"{line.product} ({line.sku}): "
                                      f"{format_amount(line.old, self.currency)} → "
                                      f"{format_amount(line.new, self.currency)}")
        self.summary.setText(f"{preview.prices} price(s) of {preview.products} product(s) "
                             "will change" + (f"; the first {len(preview.lines)} are shown"
                                              if preview.prices > len(preview.lines) else ""))
        self.apply_button.setEnabled(preview.prices > 0)

    def refused(self, reason: str) -> None:
        self.summary.setText(reason)
        self.apply_button.setEnabled(False)

    def _apply(self) -> None:
        self.apply_button.setEnabled(False)
        self.apply_requested.emit(self.change())

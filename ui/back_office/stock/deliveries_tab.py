"""Receiving goods: the open deliveries, a new delivery from its note (supplier, reference,
one ``CODE QUANTITY`` a line), and the chosen delivery's lines with what arrives now — typed,
or scanned (each scan adds one to its line) — received in part or in full and closed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.back_office.stock import deliveries
from app.back_office.stock.quantities import parse_lines, shown
from app.domain.decimals import to_decimal
from app.domain.errors import DomainError
from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.back_office.stock.common import paged_table, read, reason, write
from ui.till.entry_fields import MessageLabel

LINE_COLUMNS = ("SKU", "Item", "Expected", "Received", "Over / short", "Receiving now")
NOW = 5  # the column staff type into


def _receive(session, *, staff_id: str, delivery_id: str, received: dict, extra: str,  # noqa: ANN001
             close: bool) -> list[str]:
    return deliveries.receive(session, staff_id=staff_id, delivery_id=delivery_id,
                              received=received, close=close,
                              extra=parse_lines(extra, field="extra") if extra.strip() else [])


def _create(session, *, staff_id: str, supplier: str, reference: str, lines: str) -> str:  # noqa: ANN001
    return deliveries.create_delivery(session, staff_id=staff_id, supplier=supplier,
                                      reference=reference, lines=parse_lines(lines)).id


class DeliveriesTab(QWidget):
    """``shown(str)`` once a delivery's lines are on screen, ``received(str)`` after a receipt
    was posted (the delivery's id), ``refused(str)``."""

    shown = Signal(str)
    received = Signal(str)
    refused = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._view: deliveries.DeliveryView | None = None
        may_write = context.user.may(Permission.STOCK_WRITE)
        self.list, self.model = paged_table(context, deliveries.DeliveriesSource(), self,
                                            "stockDeliveries")
        self.list.selectionModel().currentRowChanged.connect(
            lambda current, _old: self._chosen(current.row()))
        self.message = MessageLabel("stockDeliveryMessage")

        new = QGroupBox("New delivery")
        new.setObjectName("stockNewDelivery")
        form = QFormLayout(new)
        self.supplier = QLineEdit()
        self.supplier.setObjectName("stockDeliverySupplier")
        self.reference = QLineEdit()
        self.reference.setObjectName("stockDeliveryReference")
        self.note_lines = QPlainTextEdit()
        self.note_lines.setObjectName("stockDeliveryLines")
        self.note_lines.setPlaceholderText("One item a line: barcode or SKU, then quantity")
        self.create_button = QPushButton("Expect this delivery")
        self.create_button.setObjectName("stockDeliveryCreate")
        self.create_button.clicked.connect(self.create)
        form.addRow("Supplier", self.supplier)
        form.addRow("Reference", self.reference)
        form.addRow("Lines", self.note_lines)
        form.addRow(self.create_button)
        if not may_write:
            new.hide()

        self.title = QLabel("Choose a delivery to receive it")
        self.lines = QTableWidget(0, len(LINE_COLUMNS))
        self.lines.setObjectName("stockDeliveryLinesTable")
        self.lines.setHorizontalHeaderLabels(LINE_COLUMNS)
        self.scan = QLineEdit()
        self.scan.setObjectName("stockDeliveryScan")
        self.scan.setPlaceholderText("Scan a barcode: one more of it arrived")
        self.scan.returnPressed.connect(self.scanned)
        self.extra = QLineEdit()
        self.extra.setObjectName("stockDeliveryExtra")
        self.extra.setPlaceholderText("Not on the note: CODE QUANTITY (received as extra)")
        self.receive_button = QPushButton("Receive")
        self.receive_button.setObjectName("stockDeliveryReceive")
        self.receive_button.clicked.connect(lambda: self.receive(close=False))
        self.close_button = QPushButton("Receive and close")
        self.close_button.setObjectName("stockDeliveryReceiveClose")
        self.close_button.clicked.connect(lambda: self.receive(close=True))
        actions = QHBoxLayout()
        actions.addWidget(self.scan, 1)
        actions.addWidget(self.receive_button)
        actions.addWidget(self.close_button)
        self._actions = QWidget()
        column = QVBoxLayout(self._actions)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.extra)
        column.addLayout(actions)
        if not may_write:
            self._actions.hide()
        self._actions.setEnabled(False)

        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(new)
        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addWidget(self.lines, 1)
        right.addWidget(self._actions)
        right.addWidget(self.message)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)

    # -- a new delivery ----------------------------------------------------------------------
    def create(self) -> None:
        self.create_button.setEnabled(False)
        write(self.context, self, "stock: new delivery", _create, self._created, self._refused,
              supplier=self.supplier.text(), reference=self.reference.text(),
              lines=self.note_lines.toPlainText())

    def _created(self, delivery_id: str) -> None:
        self.create_button.setEnabled(True)
        for field in (self.supplier, self.reference, self.note_lines):
            field.clear()
        self.message.show_message("Delivery expected: choose it when it arrives.")
        self.model.refresh()
        self.open_delivery(delivery_id)

    # -- receiving ---------------------------------------------------------------------------
    def _chosen(self, row: int) -> None:
        found = self.model.row(row) if row >= 0 else None
        if found is not None:
            self.open_delivery(found.id)

    def open_delivery(self, delivery_id: str) -> None:
        read(self.context, self, "stock: delivery", deliveries.delivery_view, self._show,
             self._refused, delivery_id)

    def _show(self, view: deliveries.DeliveryView) -> None:
        self._view = view
        self.title.setText(f"{view.supplier} {view.reference} · {view.status}".strip())
        self.lines.setRowCount(len(view.lines))
        for row, line in enumerate(view.lines):
            cells = (line.sku, line.name,
                     shown(line.expected_milli, by_weight=line.by_weight),
                     shown(line.received_milli, by_weight=line.by_weight),
                     line.difference, "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != NOW:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.lines.setItem(row, column, item)
        self._actions.setEnabled(view.status == "open")
        self.shown.emit(view.id)

    def scanned(self) -> None:
        code = self.scan.text().strip()
        self.scan.clear()
        if not code or self._view is None:
            return
        read(self.context, self, "stock: scan", deliveries.line_for_code, self._one_more,
             self._refused, self._view.id, code)

    def _one_more(self, line_id: str) -> None:
        if self._view is None:
            return
        for row, line in enumerate(self._view.lines):
            if line.id == line_id:
                cell = self.lines.item(row, NOW)
                try:
                    now = to_decimal(cell.text() or "0", field="now", what="a quantity")
                except DomainError:
                    now = 0
                cell.setText(str(now + 1))
                self.lines.setCurrentCell(row, NOW)
                self.message.show_message(f"{line.name}: {now + 1} arriving now")

    def receive(self, *, close: bool) -> None:
        if self._view is None:
            return
        received = {line.id: self.lines.item(row, NOW).text()
                    for row, line in enumerate(self._view.lines)
                    if self.lines.item(row, NOW).text().strip()}
        delivery_id = self._view.id
        self._actions.setEnabled(False)
        write(self.context, self, "stock: receive", _receive,
              lambda _ids: self._received(delivery_id), self._refused,
              delivery_id=delivery_id, received=received, extra=self.extra.text(), close=close)

    def _received(self, delivery_id: str) -> None:
        self.extra.clear()
        self.message.show_message("Received: the stock levels include it.")
        self.model.refresh()
        self.open_delivery(delivery_id)
        self.received.emit(delivery_id)

    def _refused(self, error: BaseException) -> None:
        self.create_button.setEnabled(True)
        self._actions.setEnabled(self._view is not None and self._view.status == "open")
        self.message.show_message(reason(error))
        self.refused.emit(reason(error))

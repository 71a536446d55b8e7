"""Transfers: goods sent from this store to another store of the chain (one ``CODE
QUANTITY`` a line). They leave this store's level at once; the server books them in at the
other store when the till next syncs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QWidget)

from app.back_office.stock import transfers
from app.back_office.stock.quantities import parse_lines
from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.back_office.stock.common import read, reason, write
from ui.till.entry_fields import MessageLabel

NO_STORES = "No other store of the chain is known here yet (stores arrive with the sync)."


def _send(session, *, staff_id: str, to_store_id: str, lines: str, note: str) -> str:  # noqa: ANN001
    return transfers.transfer(session, staff_id=staff_id, to_store_id=to_store_id,
                              lines=parse_lines(lines), note=note)


class TransfersTab(QWidget):
    """``sent(str)`` (the transfer's id), ``refused(str)``."""

    sent = Signal(str)
    refused = Signal(str)
    stores_loaded = Signal(int)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.to_store = QComboBox()
        self.to_store.setObjectName("stockTransferStore")
        self.lines = QPlainTextEdit()
        self.lines.setObjectName("stockTransferLines")
        self.lines.setPlaceholderText("One item a line: barcode or SKU, then quantity")
        self.note = QLineEdit()
        self.note.setObjectName("stockTransferNote")
        self.send_button = QPushButton("Send to that store")
        self.send_button.setObjectName("stockTransferSend")
        self.send_button.clicked.connect(self.send)
        self.message = MessageLabel("stockTransferMessage")
        form = QFormLayout(self)
        form.addRow(QLabel("Goods leave this store now and arrive at the other once synced."))
        form.addRow("To", self.to_store)
        form.addRow("Items", self.lines)
        form.addRow("Note", self.note)
        form.addRow(self.send_button)
        form.addRow(self.message)
        self.setEnabled(context.user.may(Permission.STOCK_WRITE))
        read(context, self, "stock: stores", transfers.other_stores, self._stores, self._refused)

    def _stores(self, stores: list[tuple[str, str]]) -> None:
        for sid, title in stores:
            self.to_store.addItem(title, sid)
        if not stores:
            self.message.show_message(NO_STORES)
            self.send_button.setEnabled(False)
        self.stores_loaded.emit(len(stores))

    def send(self) -> None:
        self.send_button.setEnabled(False)
        write(self.context, self, "stock: transfer", _send, self._sent, self._refused,
              to_store_id=self.to_store.currentData(), lines=self.lines.toPlainText(),
              note=self.note.text())

    def _sent(self, transfer_id: str) -> None:
        self.send_button.setEnabled(True)
        self.lines.clear()
        self.note.clear()
        self.message.show_message(f"Sent to {self.to_store.currentText()}.")
        self.sent.emit(transfer_id)

    def _refused(self, error: BaseException) -> None:
        self.send_button.setEnabled(self.to_store.count() > 0)
        self.message.show_message(reason(error))
        self.refused.emit(reason(error))

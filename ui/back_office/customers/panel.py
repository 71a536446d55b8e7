"""A customer's side of the Customers page: the form (create and edit, for
``customers:write``; read-only otherwise), the purchase history with what it came to and the
store credit balance, and the GDPR actions (``customers:gdpr``): export to a JSON file, erase
after a confirmation. The panel only shows and asks; the page runs the services."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QPlainTextEdit, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.back_office.customers.detail import CustomerDetail
from app.domain.money import format_amount
from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.till.entry_fields import MessageLabel

FIELDS = ("name", "email", "phone", "address", "tax_number", "notes")
_MULTILINE = ("address", "notes")
HISTORY_COLUMNS = ("Number", "Date", "Channel", "Status", "Total", "Refunded", "Where")
ERASE_QUESTION = ("Erase {name} for good? Their name and contact details are removed here and "
                  "on the server; their orders keep their amounts but lose every personal "
                  "field. This cannot be undone.")


class CustomerPanel(QWidget):
    """Signals: ``save_requested(str | None, dict)`` (the customer's id, None for a new one,
    and the form's fields), ``export_requested()``, ``erase_confirmed()``."""

    save_requested = Signal(object, dict)
    export_requested = Signal()
    erase_confirmed = Signal()

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: CustomerDetail | None = None
        self.may_write = context.user.may(Permission.CUSTOMERS_WRITE)
        self.may_gdpr = context.user.may(Permission.CUSTOMERS_GDPR)
        self.currency = "EUR"
        self.erase_box: QMessageBox | None = None
        layout = QVBoxLayout(self)
        self.heading = QLabel("New customer" if self.may_write else "Choose a customer")
        self.heading.setObjectName("customerHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        form = QFormLayout()
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        for name in FIELDS:
            field = QPlainTextEdit() if name in _MULTILINE else QLineEdit()
            field.setObjectName(f"customer_{name}")
            field.setReadOnly(not self.may_write)
            if isinstance(field, QPlainTextEdit):
                field.setMaximumHeight(60)
            self.fields[name] = field
            form.addRow(name.replace("_", " ").capitalize(), field)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New customer")
        self.new_button.setObjectName("customerNew")
        self.new_button.clicked.connect(self.start_new)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("customerSave")
        self.save_button.clicked.connect(self._save)
        self.export_button = QPushButton("Export (GDPR)…")
        self.export_button.setObjectName("customerExport")
        self.export_button.clicked.connect(self.export_requested)
        self.erase_button = QPushButton("Erase (GDPR)…")
        self.erase_button.setObjectName("customerErase")
        self.erase_button.clicked.connect(self.ask_erase)
        for button in (self.new_button, self.save_button):
            button.setVisible(self.may_write)
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.export_button, self.erase_button):
            button.setVisible(self.may_gdpr)
            button.setEnabled(False)
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.message = MessageLabel("customerMessage")
        layout.addWidget(self.message)
        self.summary = QLabel("")
        self.summary.setObjectName("customerSummary")
        layout.addWidget(self.summary)
        self.history = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history.setObjectName("customerHistory")
        self.history.setHorizontalHeaderLabels(HISTORY_COLUMNS)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.history, 1)

    def say(self, text: str) -> None:
        self.message.show_message(text)

    def busy(self, busy: bool) -> None:
        erased = self.detail is not None and self.detail.erased
        self.save_button.setEnabled(not busy and not erased)
        for button in (self.export_button, self.erase_button):
            button.setEnabled(not busy and self.detail is not None and not erased)

    def values(self) -> dict[str, str]:
        return {name: (field.toPlainText() if isinstance(field, QPlainTextEdit)
                       else field.text()) for name, field in self.fields.items()}

    def start_new(self) -> None:
        self.detail = None
        self.heading.setText("New customer")
        for field in self.fields.values():
            field.clear()
            field.setReadOnly(not self.may_write)
        self.summary.setText("")
        self.history.setRowCount(0)
        self.say("")
        self.busy(False)

    def _save(self) -> None:
        self.save_requested.emit(self.detail.id if self.detail else None, self.values())

    def show_detail(self, detail: CustomerDetail, currency: str) -> None:
        self.detail, self.currency = detail, currency
        self.heading.setText(detail.name + (" (erased)" if detail.erased else ""))
        for name, field in self.fields.items():
            value = getattr(detail, name) or ""
            if isinstance(field, QPlainTextEdit):
                field.setPlainText(value)
            else:
                field.setText(value)
            field.setReadOnly(not self.may_write or detail.erased)
        spent = ", ".join(format_amount(v, c) for c, v in sorted(detail.spent.items())) \
            or format_amount(0, currency)
        self.summary.setText(f"{len(detail.purchases)} order(s), {spent} spent; store credit "
                             f"{format_amount(detail.credit_balance, currency)}")
        self.history.setRowCount(len(detail.purchases))
        for row, p in enumerate(detail.purchases):
            cells = (p.number, p.created_at.strftime("%Y-%m-%d") if p.created_at else "",
                     p.channel, p.status, format_amount(p.total, p.currency),
                     format_amount(p.refunded, p.currency) if p.refunded else "",
                     "this till" if p.here else "server")
            for column, text in enumerate(cells):
                self.history.setItem(row, column, QTableWidgetItem(text))
        self.busy(False)

    def ask_erase(self) -> None:
        """A confirmation that does not block the window: Yes erases, anything else does not."""
        if self.detail is None or not self.may_gdpr:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Erase customer",
                          ERASE_QUESTION.format(name=self.detail.name),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setObjectName("customerEraseConfirm")
        box.finished.connect(lambda _result: self._answered(box))
        self.erase_box = box
        box.open()

    def _answered(self, box: QMessageBox) -> None:
        self.erase_box = None
        clicked = box.clickedButton()
        box.deleteLater()
        if clicked is not None and box.standardButton(clicked) == QMessageBox.StandardButton.Yes:
            self.erase_confirmed.emit()

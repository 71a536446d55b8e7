"""Attaching a customer to the cart: search as you type, or create one on the spot."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QDialog, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit,
                               QListWidget, QListWidgetItem, QVBoxLayout, QWidget)

from app.domain.errors import DomainError
from app.till.views import CustomerRef
from ui.till.controller import InFlight, TillController
from ui.till.entry_fields import MIN_TOUCH, MessageLabel, touch_button

SEARCH_DELAY_MS = 120
CUSTOMER_ROLE = Qt.ItemDataRole.UserRole
NO_MATCH = "No customer matches: create one below"
CREATE_SHORTCUT = "Ctrl+N"
DETACH_SHORTCUT = "Ctrl+R"


def describe_customer(customer: CustomerRef) -> str:
    parts = [customer.name, customer.email or "", customer.phone or ""]
    if customer.credit_balance:
        parts.append(f"credit {customer.credit_text}")
    return " · ".join(part for part in parts if part)


class CustomerDialog(QDialog):
    """``customerSearchField`` over ``customerList`` (Up/Down choose, Enter attaches), and a
    quick-create form (``customerNameField``, ``customerEmailField``, ``customerPhoneField``,
    ``createCustomerButton`` — Ctrl+N). ``detachCustomerButton`` takes the customer off the
    cart. Refusals show in ``customerMessage``."""

    def __init__(self, controller: TillController, current: CustomerRef | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerDialog")
        self.setWindowTitle("Customer")
        self.setAccessibleName("Customer")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._controller = controller
        self._latest = ""
        #: create, attach and detach: one at a time (Enter twice attaches once)
        self._changing = InFlight()

        self.message = MessageLabel("customerMessage")
        self.search_field = QLineEdit()
        self.search_field.setObjectName("customerSearchField")
        self.search_field.setAccessibleName("Find a customer")
        self.search_field.setPlaceholderText("Name, email or phone")
        self.search_field.setMinimumHeight(MIN_TOUCH)
        self.search_field.textEdited.connect(lambda _text: self._timer.start())
        self.search_field.returnPressed.connect(self.attach_current)
        self.search_field.installEventFilter(self)
        self.results = QListWidget()
        self.results.setObjectName("customerList")
        self.results.setAccessibleName("Customers found")
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results.itemActivated.connect(lambda _item: self.attach_current())
        self.results.itemClicked.connect(lambda _item: self.attach_current())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._search)

        self.name_field = self._form_field("customerNameField", "New customer's name")
        self.email_field = self._form_field("customerEmailField", "New customer's email")
        self.phone_field = self._form_field("customerPhoneField", "New customer's phone")
        self.create_button = touch_button("createCustomerButton", f"Create ({CREATE_SHORTCUT})",
                                          "Create and attach the customer")
        self.create_button.clicked.connect(self.create)
        for field in (self.name_field, self.email_field, self.phone_field):
            field.returnPressed.connect(self.create)
        create_key = QShortcut(QKeySequence(CREATE_SHORTCUT), self)
        create_key.activated.connect(self.create)
        form = QFormLayout()
        form.addRow("Name", self.name_field)
        form.addRow("Email", self.email_field)
        form.addRow("Phone", self.phone_field)
        form.addRow(self.create_button)
        new_box = QGroupBox("New customer")
        new_box.setLayout(form)

        self.detach_button = touch_button("detachCustomerButton",
                                          f"Remove from cart ({DETACH_SHORTCUT})",
                                          "Remove the customer from the cart",
                                          shortcut=DETACH_SHORTCUT)
        self.detach_button.setVisible(current is not None)
        self.detach_button.clicked.connect(self.detach)
        close = touch_button("customerCancel", "Close (Esc)", "Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.detach_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.search_field)
        layout.addWidget(self.results, 1)
        layout.addWidget(new_box)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.setMinimumSize(480, 480)
        if current is not None:
            self.message.show_message(f"Now: {describe_customer(current)}")

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt's name
        super().showEvent(event)
        self.search_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.search_field and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.results.count():
                step = -1 if key == Qt.Key.Key_Up else 1
                row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
                self.results.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)

    # -- finding ------------------------------------------------------------------------------

    def _search(self) -> None:
        text = self.search_field.text().strip()
        self._latest = text
        if not text:
            self.results.clear()
            return
        self._controller.call("find_customers", text,
                              on_done=lambda found, asked=text: self._show(asked, found),
                              on_error=self._refused, owner=self)

    def _show(self, asked: str, found: list[CustomerRef]) -> None:
        if asked != self._latest:  # an answer to an older keystroke
            return
        self.results.clear()
        for customer in found:
            item = QListWidgetItem(describe_customer(customer))
            item.setData(CUSTOMER_ROLE, customer)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)
        self.message.show_message("" if found else NO_MATCH)

    # -- actions ------------------------------------------------------------------------------

    def attach_current(self) -> None:
        if self._timer.isActive() or self.search_field.text().strip() != self._latest:
            # Enter before the pause: the list is for older text; search now, Enter again
            self._timer.stop()
            self._search()
            return
        item = self.results.currentItem()
        if item is not None:
            self._attach(item.data(CUSTOMER_ROLE).id)

    def create(self) -> None:
        self._changing.run(self._controller, "quick_create_customer",
                           self.name_field.text().strip(), self.email_field.text().strip(),
                           self.phone_field.text().strip(),
                           on_done=lambda customer: self._attach(customer.id),
                           on_error=self._refused, owner=self)

    def detach(self) -> None:
        if self.detach_button.isVisible():
            self._changing.run(self._controller, "detach_customer",
                               on_done=lambda _cart: self.accept(), on_error=self._refused,
                               owner=self)

    def _attach(self, customer_id: str) -> None:
        self._changing.run(self._controller, "attach_customer", customer_id,
                           on_done=lambda _cart: self.accept(), on_error=self._refused,
                           owner=self)

    def _refused(self, error: DomainError) -> None:
        if not self.isVisible():
            return
        self.message.show_message(error.message)
        field = {"name": self.name_field, "email": self.email_field,
                 "phone": self.phone_field}.get(error.field or "")
        if field is not None:
            field.setFocus()
            field.selectAll()

    @staticmethod
    def _form_field(name: str, accessible: str) -> QLineEdit:
        field = QLineEdit()
        field.setObjectName(name)
        field.setAccessibleName(accessible)
        field.setMinimumHeight(MIN_TOUCH)
        field.setMaxLength(200)
        return field

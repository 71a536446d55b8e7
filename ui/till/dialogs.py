"""Small input dialogs of the selling page: quantity, discount, price, coupon, park label.

Each one sends its text to the service as typed and stays open on a refusal, showing the
service's words under the field, so "abc", "0" or a discount over the price is explained where
it was typed and nothing changes. Enter submits, Esc backs out; the window-modal dialog is
opened with ``open()`` so the event loop never waits on it.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.domain.errors import DomainError
from app.till import ApprovalNeeded
from ui.till.approval_dialog import ApprovalDialog
from ui.till.controller import InFlight, TillController
from ui.till.entry_fields import AmountField, MessageLabel, touch_button

NEEDS_MANAGER = "A manager must approve this: waiting for their PIN"
NOT_APPROVED = "Not approved, nothing changed: Enter asks a manager again, Esc goes back"
Submit = Callable[[str], tuple[str, tuple, dict]]  # text → (method, args, kwargs)


class InputDialog(QDialog):
    """One field, an OK and a Cancel; ``submit(text)`` names the session call to make.

    Object names: the field is ``field_name``, its message ``dialogMessage``, the buttons
    ``dialogOk`` / ``dialogCancel``.
    """

    def __init__(self, controller: TillController, *, title: str, prompt: str,
                 field_name: str, accessible: str, submit: Submit, text: str = "",
                 placeholder: str = "", amount: bool = False, allow_empty: bool = True,
                 on_done: Callable[[Any], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{field_name}Dialog")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._controller = controller
        self._submit = submit
        self._allow_empty = allow_empty
        self._on_done = on_done

        self.message = MessageLabel("dialogMessage")
        if amount:
            self.field: QLineEdit = AmountField(field_name, accessible, self.message)
        else:
            self.field = QLineEdit()
            self.field.setObjectName(field_name)
            self.field.setAccessibleName(accessible)
            self.field.setMaxLength(64)
            self.field.setMinimumHeight(44)
        if placeholder:
            self.field.setPlaceholderText(placeholder)
        self.field.setText(text)
        self.field.selectAll()
        self.field.returnPressed.connect(self.submit)
        self.field.textEdited.connect(lambda _text: self._clear_refusal())

        prompt_label = QLabel(prompt)
        prompt_label.setBuddy(self.field)
        prompt_label.setWordWrap(True)
        self.ok_button = touch_button("dialogOk", "OK (Enter)", "OK")
        self.ok_button.clicked.connect(self.submit)
        self._pending = InFlight(self._set_pending)
        cancel = touch_button("dialogCancel", "Cancel (Esc)", "Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok_button)

        layout = QVBoxLayout(self)
        layout.addWidget(prompt_label)
        layout.addWidget(self.field)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.setMinimumWidth(360)

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt's name
        super().showEvent(event)
        self.field.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        if self._pending.busy:  # Enter pressed twice: the first answer decides
            return
        text = self.field.text().strip()
        if not text and not self._allow_empty:
            self.message.show_message("Type something first, or Esc to go back")
            return
        method, args, kwargs = self._submit(text)
        self._pending.run(self._controller, method, *args, on_done=self._succeeded,
                          on_error=self._refused, **kwargs)

    def _succeeded(self, result: Any) -> None:
        if self._on_done is not None:
            self._on_done(result)
        self.accept()

    def _refused(self, error: DomainError) -> None:
        if not self.isVisible():
            return
        if isinstance(error, ApprovalNeeded):
            self.message.show_message(NEEDS_MANAGER)
            self._follow_approval()
            return
        self.message.show_message(error.message)
        self.field.selectAll()
        self.field.setFocus()

    def _follow_approval(self) -> None:
        # the prompter opened it over this dialog (the active modal one) before this answer
        asking = [d for d in self.findChildren(ApprovalDialog) if d.isVisible()]
        if asking:
            asking[-1].rejected.connect(self._not_approved)

    def _not_approved(self) -> None:
        if self.isVisible():
            self.message.show_message(NOT_APPROVED)
            QTimer.singleShot(0, self, self._refocus)  # once the approval dialog has let go

    def _refocus(self) -> None:
        if self.isVisible():
            self.activateWindow()  # the closed approval dialog may leave no window active
            self.field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _clear_refusal(self) -> None:
        if not isinstance(self.field, AmountField):  # an amount field explains its own refusals
            self.message.show_message("")

    def _set_pending(self, pending: bool) -> None:
        self.ok_button.setEnabled(not pending)


class ConfirmDialog(QDialog):
    """A last question before something that cannot be taken back: Enter does it
    (``confirmButton``), Esc does not (``confirmCancel``)."""

    def __init__(self, *, name: str, title: str, question: str, confirm_text: str,
                 on_confirm: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        label = QLabel(question)
        label.setObjectName("confirmQuestion")
        label.setWordWrap(True)
        self.confirm_button = touch_button("confirmButton", confirm_text, title)
        self.confirm_button.setDefault(True)  # Enter
        self.confirm_button.clicked.connect(self.accept)
        cancel = touch_button("confirmCancel", "Keep it (Esc)", "Keep it")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addLayout(buttons)
        self.setMinimumWidth(360)
        self.accepted.connect(on_confirm)

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt's name
        super().showEvent(event)
        self.confirm_button.setFocus(Qt.FocusReason.OtherFocusReason)


def quantity_dialog(controller: TillController, index: int, current: str,
                    parent: QWidget | None = None) -> InputDialog:
    return InputDialog(
        controller, title="Quantity", prompt="New quantity for the selected line",
        field_name="quantityField", accessible="Quantity", text=current.split(" ")[0],
        placeholder="e.g. 3 or 0.455", allow_empty=False, parent=parent,
        submit=lambda text: ("set_quantity", (index, text), {}))


def line_discount_dialog(controller: TillController, index: int,
                         parent: QWidget | None = None) -> InputDialog:
    return InputDialog(
        controller, title="Line discount",
        prompt="Discount on the selected line: a percentage (10%) or an amount (1.50); "
               "empty or 0 removes it",
        field_name="discountField", accessible="Line discount", placeholder="10% or 1.50",
        parent=parent, submit=lambda text: ("line_discount", (index, text), {}))


def order_discount_dialog(controller: TillController, current: str = "",
                          parent: QWidget | None = None) -> InputDialog:
    return InputDialog(
        controller, title="Order discount",
        prompt="Discount on the whole cart: a percentage (10%) or an amount (5.00); "
               "empty or 0 removes it",
        field_name="orderDiscountField", accessible="Order discount", text=current,
        placeholder="10% or 5.00", parent=parent,
        submit=lambda text: ("order_discount", (text,), {}))


def price_dialog(controller: TillController, index: int, current: str,
                 parent: QWidget | None = None) -> InputDialog:
    return InputDialog(
        controller, title="Price override", prompt="New unit price for the selected line",
        field_name="priceField", accessible="Unit price", amount=True, allow_empty=False,
        text="", placeholder=current, parent=parent,
        submit=lambda text: ("override_price", (index, text), {}))


def coupon_dialog(controller: TillController, current: str | None,
                  parent: QWidget | None = None) -> InputDialog:
    def submit(text: str) -> tuple[str, tuple, dict]:
        if not text and current:
            return "remove_coupon", (), {}
        return "apply_coupon", (text,), {}

    prompt = "Coupon code" + (f" (now {current}; empty removes it)" if current else "")
    return InputDialog(
        controller, title="Coupon", prompt=prompt, field_name="couponField",
        accessible="Coupon code", placeholder="e.g. WELCOME10", allow_empty=bool(current),
        parent=parent, submit=submit)


def park_dialog(controller: TillController, on_done: Callable[[Any], None],
                parent: QWidget | None = None) -> InputDialog:
    return InputDialog(
        controller, title="Park cart",
        prompt="A label to find this cart again (optional): Enter parks it",
        field_name="parkLabelField", accessible="Parked cart label",
        placeholder="e.g. lady in the blue coat", on_done=on_done, parent=parent,
        submit=lambda text: ("park", (), {"label": text}))

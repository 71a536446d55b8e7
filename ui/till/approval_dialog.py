"""A manager approves on the spot: they choose themselves, type their PIN, and the action the
cashier asked for is repeated with their id (``RegisterSession.approve`` checks the PIN and the
permission and writes ``approval.granted`` to the audit log)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from app.domain.errors import DomainError
from app.till.views import StaffCard
from ui.till.controller import ApprovalRequest, TillController
from ui.till.entry_fields import MIN_TOUCH, MessageLabel, PinField, touch_button
from ui.till.shift_dialogs import TillDialog
from ui.till.staff_rows import current_staff_id, fill_staff, staff_list

NO_MANAGER = "No manager can approve on this till (none with a PIN has been synced)."


class ApprovalDialog(TillDialog):
    """``managerList`` and ``managerPin``; Enter approves, Esc gives up (nothing is done)."""

    approved = Signal(str)  # the approver's id, after the request was retried

    def __init__(self, controller: TillController, request: ApprovalRequest,
                 parent: QWidget | None = None) -> None:
        super().__init__("approvalDialog", "Manager approval", controller, parent)
        self.request = request
        self.reason = QLabel(f"{request.message}\nA manager must approve this.")
        self.reason.setObjectName("approvalReason")
        self.reason.setWordWrap(True)
        self.manager_list = staff_list("managerList", "Manager")
        self.manager_list.setMinimumHeight(3 * MIN_TOUCH)
        self.message = MessageLabel("approvalMessage")
        self.pin_field = PinField("managerPin", "Manager PIN", self.message)
        self.pin_field.returnPressed.connect(self.approve)
        self.manager_list.itemActivated.connect(lambda _item: self.pin_field.setFocus())
        self.approve_button = touch_button("approveButton", "Approve (Enter)", "Approve")
        self.approve_button.clicked.connect(self.approve)
        self._action_buttons.append(self.approve_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.reason)
        layout.addWidget(self.manager_list, 1)
        layout.addWidget(QLabel("Manager PIN"))
        layout.addWidget(self.pin_field)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons(self._cancel_button(), self.approve_button))
        self.pin_field.setFocus()
        controller.call("managers", on_done=self.alive(self._show_managers))

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt's name
        # Up/Down choose the manager while the PIN keeps focus: two hands never leave the keys
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.manager_list.count():
            step = -1 if event.key() == Qt.Key.Key_Up else 1
            row = min(max(self.manager_list.currentRow() + step, 0), self.manager_list.count() - 1)
            self.manager_list.setCurrentRow(row)
            self.pin_field.clear()
            return
        super().keyPressEvent(event)

    def approve(self) -> None:
        manager_id = current_staff_id(self.manager_list)
        if manager_id is None:
            self.message.show_message(NO_MANAGER if not self.manager_list.count()
                                      else "Choose the manager first")
            return
        if not self.pin_field.text():
            self.message.show_message("The manager types their PIN, then Enter")
            return
        self.submit("approve", manager_id, self.pin_field.text(),
                    self.request.permission, on_done=self._approved, message=self.message,
                    on_refused=self._refused)

    def _show_managers(self, managers: list[StaffCard]) -> None:
        fill_staff(self.manager_list, managers)
        if not managers:
            self.message.show_message(NO_MANAGER)
        self.pin_field.setFocus()

    def _approved(self, approver_id: str) -> None:
        self.pin_field.clear()
        self.accept()
        self.request.retry(approver_id)
        self.approved.emit(approver_id)

    def _refused(self, _error: DomainError) -> None:
        self.pin_field.clear()  # the next try starts from an empty PIN, not a wrong one
        self.pin_field.setFocus()


class ApprovalPrompter:
    """Opens an :class:`ApprovalDialog` for every ``approval_needed`` of ``controller``, over
    ``parent`` (the register screen): the hook the screen installs once."""

    def __init__(self, controller: TillController, parent: QWidget) -> None:
        self._controller = controller
        self._parent = parent
        self.dialog: ApprovalDialog | None = None
        controller.approval_needed.connect(self.ask)

    def ask(self, request: ApprovalRequest) -> ApprovalDialog:
        if self.dialog is not None:
            self.dialog.reject()
        # over the dialog that asked (a return), or it would be blocked by that dialog's modality
        parent = QApplication.activeModalWidget() or self._parent
        dialog = ApprovalDialog(self._controller, request, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _closed(self, dialog: ApprovalDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

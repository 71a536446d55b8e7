"""The Staff page (``users:manage``: owners and managers): the staff list, the chosen member
with what may be done to them (change role, reset PIN, deactivate or reactivate), and a form
to create a member of staff who signs in at tills with their PIN. The page offers only what the
signed-in person may do (a manager is never offered the owner role, nor an owner's account);
the service checks every rule again when it writes, and the server once more when it arrives.
Every read and write runs on the database worker."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QSplitter, QTableView, QVBoxLayout, QWidget)

from app.back_office.staff import rules, service
from app.back_office.staff.listing import StaffMember, StaffSource, staff_member
from app.domain.errors import DomainError
from app.domain.permissions import Permission, Role
from ui.back_office.context import PageContext
from ui.back_office.paged_model import PagedTableModel
from ui.till.entry_fields import MessageLabel, PinField


def reason(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return str(error)  # "field: what is wrong" when a field is to blame
    return f"it did not work: {error}"


def _role_box(name: str, roles: tuple[str, ...]) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for role in roles:
        box.addItem(role.replace("_", " "), role)
    return box


class StaffPage(QWidget):
    """Signals for tests and the status line: ``member_shown(str)``, ``acted(str)``,
    ``refused(str)``."""

    member_shown = Signal(str)
    acted = Signal(str)
    refused = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        context.user.require(Permission.USERS_MANAGE)
        super().__init__(parent)
        self.setObjectName("staffPage")
        self.context = context
        self.member: StaffMember | None = None
        self.roles = rules.assignable_roles(context.user.role)
        self.model = PagedTableModel(context.runner, context.store, StaffSource(), self)
        self.table = QTableView()
        self.table.setObjectName("staffTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._row_chosen(current.row()))
        self.message = MessageLabel("staffMessage")
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self._member_box())
        side_layout.addWidget(self._create_box())
        side_layout.addWidget(self.message)
        side_layout.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.model.failed.connect(self.message.show_message)
        self.acted.connect(self.message.show_message)
        self.refused.connect(self.message.show_message)
        self._show_member(None)

    # -- building -----------------------------------------------------------------------------
    def _member_box(self) -> QGroupBox:
        box = QGroupBox("Member of staff")
        form = QFormLayout(box)
        self.member_label = QLabel("Choose someone in the list")
        self.member_label.setObjectName("staffMember")
        self.member_label.setWordWrap(True)
        self.role_box = _role_box("staffRole", self.roles)
        self.role_button = QPushButton("Change role")
        self.role_button.setObjectName("staffChangeRole")
        self.role_button.clicked.connect(self.change_role)
        self.pin_message = MessageLabel("staffPinMessage")
        self.pin_field = PinField("staffNewPin", "New PIN", self.pin_message)
        self.pin_button = QPushButton("Reset PIN")
        self.pin_button.setObjectName("staffResetPin")
        self.pin_button.clicked.connect(self.reset_pin)
        self.active_button = QPushButton("Deactivate")
        self.active_button.setObjectName("staffActive")
        self.active_button.clicked.connect(self.toggle_active)
        role_row, pin_row = QHBoxLayout(), QHBoxLayout()
        role_row.addWidget(self.role_box, 1)
        role_row.addWidget(self.role_button)
        pin_row.addWidget(self.pin_field, 1)
        pin_row.addWidget(self.pin_button)
        form.addRow(self.member_label)
        form.addRow("Role", role_row)
        form.addRow("PIN", pin_row)
        form.addRow(self.pin_message)
        form.addRow(self.active_button)
        return box

    def _create_box(self) -> QGroupBox:
        box = QGroupBox("New member of staff")
        form = QFormLayout(box)
        self.new_name, self.new_email = QLineEdit(), QLineEdit()
        self.new_name.setObjectName("staffNewName")
        self.new_email.setObjectName("staffNewEmail")
        self.new_role = _role_box("staffNewRole", self.roles)
        self.new_role.setCurrentIndex(self.new_role.findData(Role.CASHIER.value))
        self.new_pin_message = MessageLabel("staffNewPinMessage")
        self.new_pin = PinField("staffNewMemberPin", "PIN", self.new_pin_message)
        self.create_button = QPushButton("Create")
        self.create_button.setObjectName("staffCreate")
        self.create_button.clicked.connect(self.create)
        form.addRow("Name", self.new_name)
        form.addRow("Email", self.new_email)
        form.addRow("Role", self.new_role)
        form.addRow("PIN", self.new_pin)
        form.addRow(self.new_pin_message)
        form.addRow(self.create_button)
        return box

    # -- the chosen member --------------------------------------------------------------------
    def _row_chosen(self, row: int) -> None:
        found = self.model.row(row)
        if found is not None:
            self.show_member(found.id)

    def show_member(self, staff_id: str) -> None:
        store = self.context.store

        def read() -> StaffMember:
            with store.read() as session:
                return staff_member(session, staff_id)

        self.context.runner.run(read, kind="db", label="staff: member", owner=self,
                                on_success=self._shown,
                                on_failure=lambda e: self.refused.emit(reason(e)))

    def _shown(self, member: StaffMember) -> None:
        self._show_member(member)
        self.member_shown.emit(member.id)

    def _show_member(self, member: StaffMember | None) -> None:
        self.member = member
        me = self.context.user
        # what the page offers; the service decides again
        touchable = member is not None and (member.role != Role.OWNER.value
                                            or me.role == Role.OWNER.value)
        myself = member is not None and member.id == me.id
        if member is not None:
            state = "active" if member.active else "deactivated"
            pin = "PIN set" if member.has_pin else "no PIN"
            self.member_label.setText(f"{member.name} <{member.email}>: "
                                      f"{member.role.replace('_', ' ')}, {state}, {pin}")
            index = self.role_box.findData(member.role)
            if index >= 0:
                self.role_box.setCurrentIndex(index)
        self.role_box.setEnabled(touchable and not myself)
        self.role_button.setEnabled(touchable and not myself)
        self.pin_field.setEnabled(touchable)
        self.pin_button.setEnabled(touchable)
        self.active_button.setText("Reactivate" if member is not None and not member.active
                                   else "Deactivate")
        self.active_button.setEnabled(touchable and not myself)

    # -- actions ------------------------------------------------------------------------------
    def _write(self, fn: Callable[..., Any], label: str, done: Callable[[Any], str],
               after: Callable[[], None] | None = None, **kwargs: Any) -> None:
        """Run ``fn(session, staff_id=…, **kwargs)`` in one write transaction on the database
        worker; ``done`` (there, inside the transaction) says what was done in words,
        ``after`` (back on the UI thread) tidies the form."""
        store, staff_id = self.context.store, self.context.user.id

        def write() -> Any:
            with store.write() as session:
                found = fn(session, staff_id=staff_id, **kwargs)
                return found.id, done(found)

        def succeeded(result: tuple[str, str]) -> None:
            member_id, words = result
            if after is not None:
                after()
            self.acted.emit(words)
            self.model.refresh()
            self.show_member(member_id)

        self.context.runner.run(write, kind="db", label=label, owner=self,
                                on_success=succeeded,
                                on_failure=lambda e: self.refused.emit(reason(e)))

    def change_role(self) -> None:
        if self.member is not None:
            role = self.role_box.currentData()
            self._write(service.change_role, "staff: role", target_id=self.member.id, role=role,
                        done=lambda m: f"{m.name}'s role is now {m.role.replace('_', ' ')}")

    def reset_pin(self) -> None:
        if self.member is None:
            return
        pin = self.pin_field.text()
        self.pin_field.clear()
        self._write(service.reset_pin, "staff: PIN", target_id=self.member.id, pin=pin,
                    done=lambda m: f"{m.name} has a new PIN (other tills at their next sync)")

    def toggle_active(self) -> None:
        if self.member is None:
            return
        active = not self.member.active
        self._write(service.set_active, "staff: active", target_id=self.member.id,
                    active=active,
                    done=lambda m: f"{m.name} is {'active' if active else 'deactivated'}")

    def create(self) -> None:
        pin = self.new_pin.text()
        self.new_pin.clear()
        values = {"name": self.new_name.text(), "email": self.new_email.text(),
                  "role": self.new_role.currentData(), "pin": pin}

        def emptied() -> None:
            self.new_name.clear()
            self.new_email.clear()

        self._write(service.create_staff, "staff: create", after=emptied,
                    done=lambda m: f"{m.name} ({m.role.replace('_', ' ')}) can sign in with "
                                   "their PIN", **values)

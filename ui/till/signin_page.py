"""The sign-in page: a cashier picks their name and types their PIN (works offline: the PIN
hashes are synced to the till, so the check is local)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.domain.errors import DomainError
from app.till.views import SignedIn, StaffCard
from ui.till.controller import InFlight, TillController
from ui.till.entry_fields import MessageLabel, PinField, touch_button
from ui.till.staff_rows import current_staff_id, fill_staff, staff_list

#: errors shown under the PIN while this page is up: its own, and those of no field (a bug, a
#: store that cannot be read) which would otherwise land on a page nobody sees
SIGNIN_FIELDS = frozenset({"", "pin", "staff"})
HEADING = "Who is selling?"
NO_STAFF = "Nobody can sign in here yet: staff with a PIN who may sell appear once synced."


class SignInPage(QWidget):
    """Staff list (``staffList``), PIN (``pinField``), errors in ``pinMessage``.

    Keys: type a name's first letters to jump to it, Enter or Tab goes to the PIN, Up/Down in
    the PIN changes the person, Enter signs in, Esc clears the PIN and goes back to the list.
    After a lock the person who was selling is already chosen: they only type their PIN.
    """

    #: asked for the staff list (tests wait for ``staff_loaded``)
    staff_loaded = Signal(int)

    def __init__(self, controller: TillController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInPage")
        self.setAccessibleName("Sign in")
        self._controller = controller
        self._last_staff_id: str | None = None
        self._signing_in = InFlight(self._signing_changed)

        heading = QLabel(HEADING)
        heading.setObjectName("signInHeading")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)

        self.staff_list = staff_list("staffList", "Staff")
        self.staff_list.setMinimumHeight(220)
        self.staff_list.itemActivated.connect(lambda _item: self._focus_pin())
        self.staff_list.installEventFilter(self)

        self.pin_message = MessageLabel("pinMessage")
        pin_label = QLabel("PIN")
        pin_label.setObjectName("pinLabel")
        self.pin_field = PinField("pinField", "PIN", self.pin_message)
        pin_label.setBuddy(self.pin_field)
        self.pin_field.returnPressed.connect(self.sign_in)
        self.pin_field.installEventFilter(self)

        self.sign_in_button = touch_button("signInButton", "Sign in (Enter)", "Sign in")
        self.sign_in_button.clicked.connect(self.sign_in)

        pin_row = QHBoxLayout()
        pin_row.addWidget(pin_label)
        pin_row.addWidget(self.pin_field, 1)
        pin_row.addWidget(self.sign_in_button)

        column = QVBoxLayout()
        column.addWidget(heading)
        column.addWidget(self.staff_list, 1)
        column.addLayout(pin_row)
        column.addWidget(self.pin_message)
        box = QWidget()
        box.setObjectName("signInBox")
        box.setLayout(column)
        box.setMaximumWidth(560)

        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 3)
        outer.addStretch(1)

        controller.signed_in.connect(self._signed_in)
        # hidden, the page reloads when it is shown again (showEvent). Bound methods only on
        # the controller's signals: Qt drops them with this page, a lambda would outlive it
        controller.locked.connect(self._locked)
        controller.error.connect(self._error)

    # -- public ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Ask for the people who may sign in here (a sync may have brought someone new)."""
        self._controller.call("staff_for_signin", on_done=self._show_staff)

    def sign_in(self) -> None:
        item = self.staff_list.currentItem()
        if item is None:
            self.pin_message.show_message("Choose who you are first")
            self.staff_list.setFocus()
            return
        pin = self.pin_field.text()
        if not pin:
            self.pin_message.show_message("Type your PIN, then Enter")
            self._focus_pin()
            return
        # Enter held down: one check is enough
        self._signing_in.run(self._controller, "sign_in", self._current_id(), pin,
                             on_error=self._refused)

    # -- outcomes --------------------------------------------------------------------------

    def _show_staff(self, staff: list[StaffCard]) -> None:
        chosen = self._current_id() or self._last_staff_id
        fill_staff(self.staff_list, staff, chosen)
        self.pin_message.show_message("" if staff else NO_STAFF)
        if chosen and self._current_id() == chosen:
            self._focus_pin()
        else:
            self._take_focus(self.staff_list)
        self.staff_loaded.emit(len(staff))

    def _signed_in(self, signed: SignedIn) -> None:
        self._last_staff_id = signed.staff.id
        self.pin_field.clear()
        self.pin_message.show_message("")

    def _locked(self) -> None:
        if self.isVisible():
            self.reload()

    def _signing_changed(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)

    def _refused(self, error: DomainError) -> None:
        self.pin_field.clear()
        self.pin_message.show_message(error.message)
        self._focus_pin()

    def _error(self, field: str, message: str) -> None:
        if self.isVisible() and field in SIGNIN_FIELDS:
            self.pin_message.show_message(message)

    # -- keys ------------------------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:  # noqa: N802, ANN001 - Qt's signature
        if event.type() == QKeyEvent.Type.KeyPress:
            key = event.key()
            if watched is self.staff_list and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter,
                                                      Qt.Key.Key_Tab):
                self._focus_pin()
                return True
            if watched is self.pin_field:
                if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                    step = -1 if key == Qt.Key.Key_Up else 1
                    row = self.staff_list.currentRow() + step
                    if 0 <= row < self.staff_list.count():
                        self.staff_list.setCurrentRow(row)
                        self.pin_field.clear()
                    return True
                if key == Qt.Key.Key_Escape:
                    self.pin_field.clear()
                    self.pin_message.show_message("")
                    self.staff_list.setFocus()
                    return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.reload()

    def _focus_pin(self) -> None:
        self._take_focus(self.pin_field)

    def _take_focus(self, widget: QWidget) -> None:
        if self.isVisible() and QApplication.activeWindow() is None:
            # locked with a dialog open: the closed dialog may leave no active window, and
            # without one the PIN typed next would reach nothing
            self.window().activateWindow()
        widget.setFocus()

    def _current_id(self) -> str | None:
        return current_staff_id(self.staff_list)

"""The back office in the window: who is using it (a PIN sign-in for the roles that open it),
then the pages that person's role opens, listed on the left, each built the first time it is
opened. Signing out (or another person signing in) drops every page, so nothing one person
could see stays on screen for the next. Nobody stays signed in by leaving it open: the window
signs the back office out when another screen is chosen (``leave``, wired in ``ui.app``), and
so does a spell without a key, click or touch (``back_office.lock_after_seconds``), as the till
locks itself.

The PIN is checked on the database worker (the hash is slow by design); the window never waits.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QStackedWidget, QVBoxLayout, QWidget)

from app.back_office.access import BackOfficeAccess, BackOfficeUser, Page
from app.domain.errors import DomainError
from app.till.views import StaffCard
from db.engine import LocalStore
from ui.back_office.context import PageContext
from ui.back_office.pages import build_page
from ui.tasks import TaskRunner
from ui.till.entry_fields import MessageLabel, PinField, touch_button
from ui.till.idle_lock import ACTIVITY
from ui.till.staff_rows import current_staff_id, fill_staff, staff_list

log = logging.getLogger(__name__)

HEADING = "Back office: who are you?"
LOCK_AFTER_KEY = "back_office.lock_after_seconds"
NO_STAFF = ("Nobody can open the back office here yet: owners, managers, moderators, support "
            "and stock clerks with a PIN appear once synced.")


class BackOfficeSignIn(QWidget):
    """``boStaffList`` and ``boPinField``; errors in ``boPinMessage``."""

    staff_loaded = Signal(int)
    signed_in = Signal(object)  # BackOfficeUser

    def __init__(self, access: BackOfficeAccess, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backOfficeSignIn")
        self._access, self._runner = access, runner
        self._busy = False
        heading = QLabel(HEADING)
        heading.setObjectName("boSignInHeading")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        self.staff_list = staff_list("boStaffList", "Staff")
        self.staff_list.itemActivated.connect(lambda _item: self.pin_field.setFocus())
        self.message = MessageLabel("boPinMessage")
        self.pin_field = PinField("boPinField", "PIN", self.message)
        self.pin_field.returnPressed.connect(self.sign_in)
        self.button = touch_button("boSignInButton", "Open the back office", "Sign in")
        self.button.clicked.connect(self.sign_in)
        row = QHBoxLayout()
        row.addWidget(QLabel("PIN"))
        row.addWidget(self.pin_field, 1)
        row.addWidget(self.button)
        column = QVBoxLayout()
        column.addWidget(heading)
        column.addWidget(self.staff_list, 1)
        column.addLayout(row)
        column.addWidget(self.message)
        box = QWidget()
        box.setLayout(column)
        box.setMaximumWidth(560)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 3)
        outer.addStretch(1)

    def reload(self) -> None:
        self._runner.run(self._access.staff, label="back office: staff", owner=self,
                         on_success=self._show_staff, on_failure=self._refused)

    def _show_staff(self, staff: list[StaffCard]) -> None:
        fill_staff(self.staff_list, staff, current_staff_id(self.staff_list))
        self.message.show_message("" if staff else NO_STAFF)
        self.staff_loaded.emit(len(staff))

    def sign_in(self) -> None:
        staff_id = current_staff_id(self.staff_list)
        if staff_id is None:
            self.message.show_message("Choose who you are first")
            return
        pin = self.pin_field.text()
        if not pin:
            self.message.show_message("Type your PIN, then Enter")
            self.pin_field.setFocus()
            return
        if self._busy:
            return
        self._busy = True
        self.button.setEnabled(False)
        self._runner.run(self._access.sign_in, staff_id, pin, label="back office: sign in",
                         owner=self, on_success=self._accepted, on_failure=self._refused)

    def _accepted(self, user: BackOfficeUser) -> None:
        self._done()
        self.pin_field.clear()
        self.message.show_message("")
        self.signed_in.emit(user)

    def _refused(self, error: BaseException) -> None:
        self._done()
        self.pin_field.clear()
        self.message.show_message(error.message if isinstance(error, DomainError)
                                  else f"Could not sign in: {error}")
        self.pin_field.setFocus()

    def _done(self) -> None:
        self._busy = False
        self.button.setEnabled(True)


class IdleSignOut(QObject):
    """Calls ``sign_out`` after ``seconds`` without input while ``armed`` (someone signed in);
    an event filter on the application restarts the countdown on every key, click or touch,
    wherever it lands (a dialog of a page counts too). 0 seconds: never by itself."""

    def __init__(self, sign_out, seconds: float, parent: QObject) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._sign_out = sign_out
        self._armed = False
        self._seconds = 0.0
        self.timer = QTimer(self)
        self.timer.setObjectName("boIdleTimer")
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._idle)
        self.set_seconds(seconds)
        app = QApplication.instance()
        if app is not None:  # Qt drops the filter by itself when this object is deleted
            app.installEventFilter(self)

    @property
    def seconds(self) -> float:
        return self._seconds

    @property
    def armed(self) -> bool:
        return self._armed and self.timer.isActive()

    def set_seconds(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"{LOCK_AFTER_KEY} must not be negative")
        self._seconds = seconds
        self.timer.setInterval(round(seconds * 1000))
        self.arm(self._armed)

    def arm(self, on: bool) -> None:
        self._armed = on
        if on and self._seconds > 0:
            self.timer.start()
        else:
            self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # getattr: called by the application while PySide tears this object down (as IdleLock)
        if getattr(self, "_armed", False) and self._seconds > 0 and event.type() in ACTIVITY:
            self.timer.start()
        return False

    def _idle(self) -> None:
        if self._armed:
            self._armed = False
            self._sign_out()


class BackOfficeScreen(QWidget):
    """``backOfficeScreen``: the sign-in, or the pages (``boPages`` navigation, ``boStack``)
    with who is signed in (``boUserLabel``) and ``boSignOut``.

    ``page(key)`` builds (once) and returns the page; ``user_changed`` tells tests and the
    window what happened. ``leave()`` (the window chose another screen) and ``idle`` (the
    countdown of ``back_office.lock_after_seconds``) sign the person out."""

    user_changed = Signal(object)  # BackOfficeUser | None

    def __init__(self, store: LocalStore, runner: TaskRunner, settings, *,  # noqa: ANN001
                 paths=None, printing=None, sync=None,  # noqa: ANN001
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backOfficeScreen")
        self.setAccessibleName("Back office")
        self._store, self._runner, self._settings = store, runner, settings
        self._paths, self._printing, self._sync = paths, printing, sync
        self.access = BackOfficeAccess(store)
        self.user: BackOfficeUser | None = None
        self._pages: dict[str, QWidget] = {}
        self._keys: list[str] = []
        self.idle = IdleSignOut(self.sign_out, self._lock_after(), self)

        self.signin = BackOfficeSignIn(self.access, runner)
        self.signin.signed_in.connect(self._open_for)

        self.nav = QListWidget()
        self.nav.setObjectName("boPages")
        self.nav.setAccessibleName("Back office pages")
        self.nav.setMaximumWidth(220)
        self.nav.currentRowChanged.connect(self._show_row)
        self.user_label = QLabel()
        self.user_label.setObjectName("boUserLabel")
        self.user_label.setWordWrap(True)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setObjectName("boSignOut")
        self.sign_out_button.clicked.connect(self.sign_out)
        self.stack = QStackedWidget()
        self.stack.setObjectName("boStack")
        side = QVBoxLayout()
        side.addWidget(self.user_label)
        side.addWidget(self.nav, 1)
        side.addWidget(self.sign_out_button)
        self.office = QWidget()
        office_layout = QHBoxLayout(self.office)
        office_layout.setContentsMargins(0, 0, 0, 0)
        office_layout.addLayout(side)
        office_layout.addWidget(self.stack, 1)

        self.outer = QStackedWidget()
        self.outer.addWidget(self.signin)
        self.outer.addWidget(self.office)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.outer)
        self.signin.reload()

    # -- who ----------------------------------------------------------------------------------
    def _lock_after(self) -> int:
        return int(self._settings.get(LOCK_AFTER_KEY))

    def _open_for(self, user: BackOfficeUser) -> None:
        self._drop_pages()
        self.idle.set_seconds(self._lock_after())  # as the Settings page last left it
        self.idle.arm(True)
        self.user = user
        self.user_label.setText(f"{user.name}\n{user.role.replace('_', ' ')}")
        allowed = user.pages()
        self._keys = [page.key for page in allowed]
        self.nav.blockSignals(True)
        self.nav.clear()
        for page in allowed:
            self.nav.addItem(self._nav_item(page))
        self.nav.blockSignals(False)
        self.outer.setCurrentWidget(self.office)
        self.user_changed.emit(user)
        if self._keys:
            self.nav.setCurrentRow(0)

    @staticmethod
    def _nav_item(page: Page) -> QListWidgetItem:
        item = QListWidgetItem(page.title)
        item.setData(Qt.ItemDataRole.UserRole, page.key)
        return item

    def leave(self) -> None:
        """The window shows another screen: whoever was signed in is signed out (the next
        person to open the back office signs in themselves), and a PIN half typed is gone."""
        self.signin.pin_field.clear()
        if self.user is not None:
            self.sign_out()

    def sign_out(self) -> None:
        self.idle.arm(False)
        self._drop_pages()
        self.user = None
        self.nav.blockSignals(True)
        self.nav.clear()
        self.nav.blockSignals(False)
        self._keys = []
        self.outer.setCurrentWidget(self.signin)
        self.signin.reload()
        self.user_changed.emit(None)

    def _drop_pages(self) -> None:
        for widget in self._pages.values():
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self._pages.clear()

    # -- pages --------------------------------------------------------------------------------
    @property
    def page_keys(self) -> tuple[str, ...]:
        """The pages the signed-in person may open (none when nobody is)."""
        return tuple(self._keys)

    def page(self, key: str) -> QWidget:
        """The page ``key``, built on first use; ``KeyError`` for a page this person may not
        open (the navigation never lists it)."""
        if self.user is None or key not in self._keys:
            raise KeyError(f"the back office page {key!r} is not open to "
                           f"{self.user.role if self.user else 'nobody signed in'}")
        widget = self._pages.get(key)
        if widget is None:
            context = PageContext(self._store, self._runner, self._settings, self.user,
                                  self._paths, self._printing, self._sync)
            widget = build_page(key, context)
            widget.setObjectName(widget.objectName() or f"bo_{key}")
            self._pages[key] = widget
            self.stack.addWidget(widget)
        return widget

    def open_page(self, key: str) -> QWidget:
        widget = self.page(key)
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(self._keys.index(key))
        self.nav.blockSignals(False)
        self.stack.setCurrentWidget(widget)
        return widget

    def _show_row(self, row: int) -> None:
        if 0 <= row < len(self._keys):
            self.open_page(self._keys[row])

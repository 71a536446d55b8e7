"""The desktop window's shell: navigation, the screens it hosts and a status bar; no business rules.

The navigation list steps aside while the till is in front: a cashier needs every pixel of a
1024 px screen for the cart, and a list that could take the focus would take a scanner's keys
with it. It never takes the focus anyway (Ctrl+1…n switch screens from anywhere) and comes
back as soon as another screen is chosen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QMessageBox, QStackedWidget, QVBoxLayout, QWidget)

from app.domain.errors import DomainError
from app.sales.identity import NotInitialised
from app.status import TillStatus, read_till_status
from db.engine import LocalStore, StoreError
from ui.tasks import TaskRunner

APP_TITLE = "Tillpoint"
LOADING = "Loading…"
NO_SHOP = "No shop yet: run `tillpoint init --demo`"
OFFLINE = "Offline — not paired with a server"
SYNC_NOW_SHORTCUT = "Ctrl+Shift+S"
#: screens shown full width, the navigation hidden (reachable again with Ctrl+1…n, or a
#: button of the screen's own wired to :meth:`MainWindow.toggle_navigation`)
FULL_WIDTH_SCREENS = frozenset({"till"})


class PlaceholderScreen(QWidget):
    """Stands in for a screen that has not been built yet, saying what will plug in here."""

    def __init__(self, title: str, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(title)
        heading.setObjectName("placeholderTitle")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)
        body = QLabel(message)
        body.setObjectName("placeholderMessage")
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addStretch(1)
        self.setAccessibleName(f"{title} (not available yet)")
        self.message = message


#: The screens every till has, in navigation order: key, title, what the placeholder says.
DEFAULT_SCREENS: tuple[tuple[str, str, str], ...] = (
    ("till", "Till", "The till screen plugs in here: scan, cart, tenders."),
    ("back_office", "Back office", "The back office plugs in here: products, stock, customers."),
    ("reports", "Reports", "Reports plug in here: sales, tax, stock valuation."),
)


class MainWindow(QMainWindow):
    """The shell that assembles per-feature screens behind a navigation list.

    Screens plug in with :meth:`add_screen`; the n-th screen is also reachable with Ctrl+n.
    The status bar shows the store, the register and the connection with the number of changes
    waiting to sync, read through the :class:`~ui.tasks.TaskRunner`, never on the UI thread.
    ``screen_left(key)`` says which screen has just been put away for another (the back
    office signs its person out then).
    """

    screen_left = Signal(str)

    def __init__(self, store: LocalStore, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._keys: list[str] = []
        self._current: str | None = None  # the key of the screen in front
        self._shortcuts: list[QShortcut] = []
        self._sync = None  # a ui.sync_controller.SyncController once attached
        self._quit_acknowledged = False
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_TITLE)
        self.setMinimumSize(800, 560)
        self.resize(1280, 800)

        self._nav = QListWidget()
        self._nav.setObjectName("navigation")
        self._nav.setAccessibleName("Screens")
        self._nav.setFixedWidth(200)
        # a tap chooses a screen but leaves the focus (and a scanner's keys) where it was
        self._nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._stack = QStackedWidget()
        self._stack.setObjectName("screens")
        self._stack.setAccessibleName("Current screen")
        self._nav.currentRowChanged.connect(self._screen_chosen)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._nav)
        layout.addWidget(self._stack, 1)
        self.setCentralWidget(central)

        self._store_label = self._status_label("storeStatus", "Store")
        self._register_label = self._status_label("registerStatus", "Register")
        self._connection_label = self._status_label("connectionStatus", "Connection")

        for key, title, message in DEFAULT_SCREENS:
            self.add_screen(key, title, PlaceholderScreen(title, message))
        self._nav.setCurrentRow(0)
        self.refresh_status()

    # -- screens ---------------------------------------------------------------------------

    def add_screen(self, key: str, title: str, widget: QWidget) -> None:
        """Add a screen under ``key``, or replace the one already there (e.g. a placeholder)."""
        widget.setObjectName(widget.objectName() or f"screen_{key}")
        if key in self._keys:
            index = self._keys.index(key)
            old = self._stack.widget(index)
            current = self._stack.currentIndex()
            self._stack.insertWidget(index, widget)
            self._stack.removeWidget(old)
            old.deleteLater()
            self._stack.setCurrentIndex(current)
            self._nav.item(index).setText(title)
            return
        self._keys.append(key)
        self._stack.addWidget(widget)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self._nav.addItem(item)
        number = len(self._keys)
        if number <= 9:
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
            shortcut.activated.connect(lambda row=number - 1: self._nav.setCurrentRow(row))
            self._shortcuts.append(shortcut)
            item.setToolTip(f"{title} (Ctrl+{number})")

    def navigation_shown(self) -> bool:
        return not self._nav.isHidden()

    def toggle_navigation(self) -> None:
        """Show the navigation over a full-width screen (the till's "Screens" button: a
        touch-only till has no Ctrl+n), or put it away again."""
        self._nav.setHidden(not self._nav.isHidden())

    def _screen_chosen(self, row: int) -> None:
        self._stack.setCurrentIndex(row)
        key = self._keys[row] if 0 <= row < len(self._keys) else None
        self._nav.setHidden(key in FULL_WIDTH_SCREENS)
        left, self._current = self._current, key
        if left is not None and left != key:
            self.screen_left.emit(left)

    def show_screen(self, key: str) -> None:
        """Bring the screen added under ``key`` to the front."""
        self._nav.setCurrentRow(self._keys.index(key))

    def current_screen_key(self) -> str:
        return self._keys[self._stack.currentIndex()]

    def screen(self, key: str) -> QWidget:
        return self._stack.widget(self._keys.index(key))

    # -- status ----------------------------------------------------------------------------

    def refresh_status(self) -> None:
        """Reload the store, register and pending count in the background."""
        if self._runner.closed:  # a last sync round finishing while the window closes
            return
        for label in (self._store_label, self._register_label, self._connection_label):
            if not label.text():
                label.setText(LOADING)
        self._runner.run(read_till_status, self._store, on_success=self._show_info,
                         on_failure=self._show_failure, label="load shell info", owner=self)

    def _show_info(self, info: TillStatus) -> None:
        self.setWindowTitle(f"{APP_TITLE} — {info.store_name}")
        self._store_label.setText(f"{info.store_code} · {info.store_name}")
        self._register_label.setText(f"{info.register_code} · {info.register_name}")
        if self._sync is None:  # with sync attached, the controller owns this label
            self._connection_label.setText(f"{OFFLINE} · {info.pending} to sync")

    def _show_failure(self, error: BaseException) -> None:
        self.setWindowTitle(APP_TITLE)
        if isinstance(error, NotInitialised):
            message = NO_SHOP
        elif isinstance(error, DomainError):
            message = error.message
        elif isinstance(error, StoreError):
            message = f"The local store cannot be read: {error}"
        else:  # a bug: the runner has logged it with its traceback
            message = "Could not read the shop (the error is in the log)"
        self._store_label.setText(message)
        self._register_label.setText("")
        self._connection_label.setText(OFFLINE)

    # -- sync ------------------------------------------------------------------------------

    def attach_sync(self, controller) -> None:  # noqa: ANN001 - ui.sync_controller.SyncController
        """Show ``controller``'s state in the status bar; Ctrl+Shift+S syncs now."""
        self._sync = controller
        controller.status_changed.connect(self._show_connection)
        # a round may have brought the shop itself (a till paired while the window was open)
        controller.round_finished.connect(lambda _result: self.refresh_status())
        shortcut = QShortcut(QKeySequence(SYNC_NOW_SHORTCUT), self)
        shortcut.activated.connect(controller.sync_now)
        self._shortcuts.append(shortcut)
        self._connection_label.setToolTip(f"Sync now: {SYNC_NOW_SHORTCUT}")

    def _show_connection(self, text: str, status: object) -> None:
        # short in the bar (a transport error would push the store off a 1024 px screen);
        # the whole line, error and all, in its tooltip
        from ui.till.status_strip import short_connection

        self._connection_label.setText(short_connection(status))
        self._connection_label.setToolTip(f"{text}\nSync now: {SYNC_NOW_SHORTCUT}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Quitting never drops an unsynced sale: the outbox stays in the local store and is
        sent at the next start. When something is waiting the window says so first (without
        blocking the event loop: the notice is window-modal and the close resumes after it)."""
        status = self._sync.last_status if self._sync is not None else None
        if status is not None and status.pending and not self._quit_acknowledged:
            event.ignore()
            notice = QMessageBox(QMessageBox.Icon.Information, "Changes kept for the next sync",
                                 f"{status.pending} change(s) have not reached the server yet. "
                                 "They are kept on this till and sent as soon as it is online "
                                 "again.", QMessageBox.StandardButton.Ok, self)
            notice.setObjectName("quitNotice")
            notice.finished.connect(self._quit_after_notice)
            notice.open()
            return
        if self._sync is not None:
            self._sync.stop()
        super().closeEvent(event)

    def _quit_after_notice(self, _result: int) -> None:
        self._quit_acknowledged = True
        self.close()

    def _status_label(self, name: str, accessible: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addPermanentWidget(label)
        return label

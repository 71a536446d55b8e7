"""Starting the desktop client: the Qt application, the local store, the task runner and the window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from app.config.paths import Paths
from db.engine import LocalStore, StoreError
from ui import ready_hook
from ui.main_window import MainWindow
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

ORGANISATION = "Tillpoint"
APPLICATION = "Tillpoint"
STYLESHEET = Path(__file__).resolve().parents[1] / "resources" / "styles" / "tillpoint.qss"


def load_stylesheet(path: Path = STYLESHEET) -> str:
    """The application's Qt style sheet, or "" (Qt's own look) when the file is not there."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.warning("no style sheet at %s; using Qt's default look", path)
        return ""


def build_window(store: LocalStore, runner: TaskRunner, paths: Paths | None = None, *,
                 sync_interval_s: float | None = None) -> MainWindow:
    """The main window over an open store; screens plug into it here as they arrive. With
    ``paths`` it also syncs in the background (a till that is not paired just says so).

    One print worker serves the window: the till's receipts, the test pages of the back
    office's Settings and its list of what did not print all go through it (a printer prints
    one job at a time, whoever sent it). Settings live in the back office, behind its PIN
    sign-in (``settings:manage``): a cashier at the till never reaches them."""
    from app.config.settings import Settings

    window = MainWindow(store, runner)
    settings = Settings(paths.settings if paths is not None
                        else store.path.parent / "settings.toml")
    printing = build_print_worker(store, runner, settings, window)
    till = build_till_screen(store, runner, paths, settings=settings)
    attach_printing(till, printing)
    window.add_screen("till", "Till", till)
    till.status_strip.screens_requested.connect(window.toggle_navigation)
    controller = None
    if paths is not None:
        from ui.sync_controller import DEFAULT_INTERVAL_S, SyncController

        controller = SyncController(store, paths, runner, parent=window,
                                    interval_s=sync_interval_s or DEFAULT_INTERVAL_S)
    attach_back_office(window, build_back_office_screen(
        store, runner, settings, paths=paths, printing=printing, sync=controller))
    printing.start()  # after the till is wired: a receipt left half-printed reports to it
    if controller is not None:
        window.attach_sync(controller)
        till.attach_sync(controller)
        controller.start()
    if paths is not None:
        start_daily_backups(window, runner, paths, settings)
    return window


def start_daily_backups(window: MainWindow, runner: TaskRunner, paths: Paths,  # noqa: ANN001
                        settings) -> None:
    """The day's backup of the local store, on the I/O pool at start and checked hourly; a
    failure (a full disk, a folder that cannot be written) is said in the status bar and the
    till keeps selling."""
    from ui.back_office.data.backups import DailyBackups

    backups = DailyBackups(runner, paths, settings, parent=window)
    backups.failed.connect(lambda reason: window.statusBar().showMessage(
        f"Daily backup failed: {reason}"))
    window.daily_backups = backups
    backups.start()


def build_back_office_screen(store: LocalStore, runner: TaskRunner, settings, *,  # noqa: ANN001
                             paths: Paths | None = None, printing=None, sync=None):  # noqa: ANN001, ANN201
    """The back office: its own PIN sign-in, then the pages the person's role opens."""
    from ui.back_office.shell import BackOfficeScreen

    return BackOfficeScreen(store, runner, settings, paths=paths, printing=printing, sync=sync)


def attach_back_office(window: MainWindow, screen) -> None:  # noqa: ANN001 - BackOfficeScreen
    """Put the back office in the window, signed out whenever the window shows another screen:
    a manager who goes back to the till must not leave their session for the next person to
    pick from the Screens list."""
    window.add_screen("back_office", "Back office", screen)
    window.screen_left.connect(lambda key: screen.leave() if key == "back_office" else None)


def build_print_worker(store: LocalStore, runner: TaskRunner, settings, parent):  # noqa: ANN001, ANN201
    """The window's one print worker (not started: :func:`build_window` starts it once the
    screens listening to it are in place)."""
    from ui.printing.worker import PrintWorker

    return PrintWorker(runner, store, settings, parent)


def attach_printing(till, printing) -> None:  # noqa: ANN001 - RegisterScreen, PrintWorker
    """Receipts go through the window's print worker, and what did not print is listed over
    every page of the till with a Retry (its buttons never take a scanner's focus)."""
    from ui.printing.problems import PrintProblems

    till.payment_page.receipts.attach_worker(printing)
    till.print_problems = PrintProblems(printing, till, compact=True)
    layout = till.layout()
    layout.insertWidget(layout.indexOf(till.cards_taken) + 1, till.print_problems)


def build_till_screen(store: LocalStore, runner: TaskRunner, paths: Paths | None = None, *,
                      settings=None):  # noqa: ANN001, ANN201
    """The register: one RegisterSession for the window, with this till's card provider and
    cash drawer from its settings (``settings``, else the settings file of ``paths``, else the
    one beside the store)."""
    from app.config.settings import Settings
    from app.devices.drawer import drawer_for
    from app.payments.attempts import CardPayments
    from app.payments.terminal import provider_for
    from app.till.register import RegisterSession
    from ui.till.controller import TillController
    from ui.till.register_screen import RegisterScreen

    if settings is None:
        settings = Settings(paths.settings if paths is not None
                            else store.path.parent / "settings.toml")
    session = RegisterSession(store, settings, payments=CardPayments(store, provider_for(settings)),
                              drawer=drawer_for(settings))
    controller = TillController(session, runner)
    screen = RegisterScreen(controller, settings)
    controller.setParent(screen)
    return screen


def start_card_recovery(till_screen, runner: TaskRunner) -> None:  # noqa: ANN001 - RegisterScreen
    """Once at start-up, on the io pool (the provider may take seconds to answer): settle every
    card payment a crash left open, then list card money that no sale recorded in the till's
    panel, which stays on screen until a manager has refunded each."""
    controller = till_screen.controller
    runner.run(controller.session.recover_cards, kind="io", label="card recovery",
               owner=till_screen, on_success=till_screen.cards_taken.show_cards,
               on_failure=lambda exc: log.warning("card recovery at start-up failed: %s", exc))


def run(paths: Paths, argv: list[str] | None = None) -> int:
    """Run the desktop client on the store under ``paths`` until its window closes; the exit code.

    ``argv`` goes to Qt (default ``sys.argv``); an existing QApplication is reused as it is.
    """
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANISATION)
    app.setStyleSheet(load_stylesheet())
    try:
        # Opening may migrate (copying the file first): done before the window shows, once.
        store = LocalStore.open(paths.store)
    except StoreError as exc:
        log.error("cannot open the local store: %s", exc)
        QMessageBox.critical(None, "Tillpoint cannot start", str(exc))
        return 1
    runner = TaskRunner()
    try:
        window = build_window(store, runner, paths)
        ready_hook.install(window, window.screen("till"))  # off unless TILLPOINT_READY_FILE
        start_card_recovery(window.screen("till"), runner)
        window.show()
        return app.exec()
    finally:
        runner.shutdown(wait=True)
        store.close()

"""The register inside the real window (``ui.app.build_window``): the navigation steps aside for
the till and never takes the focus, Ctrl+1…n still switch screens, the cart's item column stays
readable at 1024×768 in both themes, the status strip's short connection line with the detail
in its tooltip and a colour per state in both themes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QListWidget, QWidget

from app.config.settings import Settings
from sync.status import SyncStatus
from tests.ui.till.conftest import WAIT_MS, TillDriver
from tests.ui.till.selling_support import OFFSCREEN_DIALOGS, page_of
from ui.app import build_window, load_stylesheet
from ui.till.register_screen import RegisterScreen, high_contrast_stylesheet
from ui.till.status_strip import StatusStrip, short_connection

pytestmark = OFFSCREEN_DIALOGS

ITEM_MIN = 200


def _window(qtbot, shop, runner, size, *, high_contrast: bool = False, paths=None):  # noqa: ANN001, ANN202
    """The window as ``tillpoint`` runs it: the app's style sheet, the till's settings file."""
    settings = Settings(paths.settings if paths else shop.path.parent / "settings.toml")
    settings.set("till.high_contrast", high_contrast)
    window = build_window(shop, runner, paths, sync_interval_s=3600)
    window.setStyleSheet(load_stylesheet())
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    return window


def _selling(qtbot, window, demo_items, count: int = 3) -> RegisterScreen:  # noqa: ANN001
    screen = window.screen("till")
    till = TillDriver(qtbot, screen.controller)
    qtbot.waitUntil(lambda: screen.signin_page.staff_list.count() > 0, timeout=WAIT_MS)
    till.sign_in()
    if till.call("current_shift") is None:
        till.open_shift()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=WAIT_MS)
    till.call("cart")
    for item in demo_items[:count]:
        till.call("scan", item.barcode)
    qtbot.waitUntil(lambda: page_of(screen).cart_model.rowCount() == count, timeout=WAIT_MS)
    return screen


def test_the_window_hosts_the_register_and_its_strip_follows_sync(qtbot, shop, runner, tmp_path):
    from app.config.paths import Paths

    window = _window(qtbot, shop, runner, (1280, 800), paths=Paths.resolve(str(tmp_path)))
    till = window.screen("till")
    assert isinstance(till, RegisterScreen)
    strip = till.findChild(QLabel, "connectionLabel")
    shell = window.findChild(QLabel, "connectionStatus")
    # short on the strip and in the window's status bar, the whole line in their tooltips
    qtbot.waitUntil(lambda: strip.text().startswith("Offline — not paired with a server · ")
                    and strip.text() == shell.text()
                    and shell.toolTip().startswith(strip.toolTip() + "\n"), timeout=WAIT_MS)
    assert strip.property("status") == "offline"
    qtbot.waitUntil(lambda: till.signin_page.staff_list.count() > 0, timeout=WAIT_MS)
    window.close()


def test_the_navigation_steps_aside_for_the_till_and_never_takes_the_focus(qtbot, shop, runner):
    window = _window(qtbot, shop, runner, (1024, 768))
    nav = window.findChild(QListWidget, "navigation")
    assert window.current_screen_key() == "till"
    assert not nav.isVisible() and nav.focusPolicy() == Qt.FocusPolicy.NoFocus

    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_screen_key() == "back_office" and nav.isVisible()
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton,
                     pos=nav.visualItemRect(nav.item(2)).center())
    assert window.current_screen_key() == "reports"
    assert not nav.hasFocus()  # a tap chose the screen; the focus stayed where it was

    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_screen_key() == "till" and not nav.isVisible()
    window.close()


@pytest.mark.parametrize("high_contrast", [False, True], ids=["normal", "high-contrast"])
def test_the_cart_is_readable_in_the_window_at_1024(qtbot, shop, runner, demo_items,
                                                    high_contrast):
    window = _window(qtbot, shop, runner, (1024, 768), high_contrast=high_contrast)
    screen = _selling(qtbot, window, demo_items)
    table = page_of(screen).cart_view
    qtbot.wait(20)  # the widths follow the style sheet on the next turn of the event loop

    assert table.item_column_width() >= ITEM_MIN
    header = table.horizontalHeader()
    assert header.sectionPosition(4) + header.sectionSize(4) <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways to
    assert (window.width(), window.height()) == (1024, 768)  # nothing forced it to grow
    grid = page_of(screen).action_grid
    assert grid.columns >= 2
    assert all(button.width() >= button.sizeHint().width() - 1
               for button in grid.findChildren(QWidget, "qtyButton"))
    window.close()


# -- the themes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("till_settings_values", [{"till.high_contrast": True}])
def test_the_high_contrast_theme_when_the_setting_is_on(qtbot, selling_screen):
    assert selling_screen.property("theme") == "high_contrast"
    assert "#ffff00" in selling_screen.styleSheet()
    scan = page_of(selling_screen).scan_field
    assert scan.palette().color(scan.backgroundRole()).name() == "#000000"


def test_the_normal_theme_by_default(qtbot, selling_screen):
    assert selling_screen.property("theme") is None
    assert selling_screen.styleSheet() == ""


# -- the connection on the status strip --------------------------------------------------------

def _status(**changes) -> SyncStatus:  # noqa: ANN003
    values = dict(paired=True, server_url="https://hq.example", device_id="d", store_id="s",
                  register_id="r", online=True, last_success_at=None, last_attempt_at=None,
                  last_error=None, pending=0, issues_unseen=0)
    values.update(changes)
    return SyncStatus(**values)


def test_the_connection_reads_short_and_says_since_when_it_is_offline():
    at = datetime(2026, 3, 2, 11, 21, tzinfo=timezone.utc)
    today = at.astimezone().date()
    assert short_connection(_status(pending=2), today) == "Online · 2 to sync"
    shown = f"{at.astimezone():%H:%M}"
    assert short_connection(_status(online=False, last_success_at=at, pending=1),
                            today) == f"Offline since {shown} · 1 to sync"
    yesterday = short_connection(_status(online=False, last_success_at=at - timedelta(days=1)),
                                 today)
    assert yesterday.startswith("Offline since ") and "Mar" in yesterday  # the day matters
    assert short_connection(_status(online=False), today) == "Offline · never synced · 0 to sync"
    assert short_connection(_status(paired=False, online=False, pending=3),
                            today) == "Offline — not paired with a server · 3 to sync"
    assert short_connection(_status(issues_unseen=2), today) == "Online · 0 to sync · 2 to review"


def test_the_transport_error_goes_to_the_tooltip_not_the_strip(qtbot):
    strip = StatusStrip()
    qtbot.addWidget(strip)
    error = "HTTPSConnectionPool(host='hq.example', port=443): Max retries exceeded"
    status = _status(online=False, last_error=error,
                     last_success_at=datetime.now(timezone.utc), pending=1)
    strip.show_connection(f"Offline ({error}) · last synced 12:21 · 1 to sync", status)
    label = strip.connection_label
    assert label.text().startswith("Offline since ") and label.text().endswith(" · 1 to sync")
    assert "HTTPSConnectionPool" not in label.text() and error in label.toolTip()


@pytest.mark.parametrize("theme", ["normal", "high-contrast"])
def test_online_and_offline_look_different_in_both_themes(qtbot, theme):
    host = QWidget()
    sheet = load_stylesheet()
    if theme == "high-contrast":
        sheet += "\n" + high_contrast_stylesheet()
    host.setStyleSheet(sheet)
    strip = StatusStrip(host)
    qtbot.addWidget(host)
    host.show()
    label = strip.connection_label
    colours = {}
    for online in (True, False):
        strip.show_connection("", _status(online=online))
        label.ensurePolished()
        colours[online] = label.palette().color(label.foregroundRole()).name()
    assert colours[True] != colours[False], colours
    assert label.font().bold()  # offline is not told by colour alone


def test_the_receipt_machinery_is_warmed_up_on_the_io_pool_at_start(qtbot, till_controller,
                                                                    till_settings, runner):
    """The first receipt of the day would otherwise load reportlab (~0.3 s) on the database
    worker, in front of the next customer's scans."""
    import sys
    import threading

    from app import printing

    threads: list[str] = []
    real = printing.warm_up

    def watched() -> None:
        threads.append(threading.current_thread().name)
        real()
    printing.warm_up = watched  # seen, not replaced: the real warm-up still runs
    try:
        with qtbot.waitSignal(runner.finished, timeout=WAIT_MS,
                              check_params_cb=lambda label: label == "till warm up receipts"):
            screen = RegisterScreen(till_controller, till_settings)
            qtbot.addWidget(screen)
    finally:
        printing.warm_up = real
    assert threads and threads[0].startswith("tillpoint-io")
    assert "app.printing.receipt" in sys.modules

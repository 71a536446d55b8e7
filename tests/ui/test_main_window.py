"""The main window shell: store info loaded off the UI thread, screens, shortcuts, rendering."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QStackedWidget

from app.outbox import enqueue, pending_count
from db.base import new_id
from ui.app import build_window, load_stylesheet
from ui.main_window import LOADING, NO_SHOP, MainWindow, PlaceholderScreen


def _label(window: MainWindow, name: str) -> QLabel:
    label = window.findChild(QLabel, name)
    assert label is not None, name
    return label


def _open(qtbot, store, runner) -> MainWindow:
    window = build_window(store, runner)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_window_shows_the_shop_register_and_pending_count(qtbot, shop, runner):
    with shop.write() as session:
        for _ in range(3):
            enqueue(session, kind="order.created", entity_id=new_id(), payload={})
    with shop.read() as session:
        pending = pending_count(session)
    assert pending >= 3

    window = _open(qtbot, shop, runner)
    qtbot.waitUntil(lambda: "Tillpoint Demo Shop" in window.windowTitle())

    assert window.windowTitle() == "Tillpoint — Tillpoint Demo Shop"
    assert _label(window, "storeStatus").text() == "S01 · Tillpoint Demo Shop"
    assert _label(window, "registerStatus").text() == "R01 · Till 1"
    connection = _label(window, "connectionStatus").text()
    assert connection.startswith("Offline — not paired with a server")
    assert connection.endswith(f"{pending} to sync")


def test_status_reads_loading_until_the_store_info_arrives(qtbot, shop, immediate_runner):
    window = build_window(shop, immediate_runner)
    qtbot.addWidget(window)

    # The synchronous executor has already read the store; delivery waits for the event loop.
    assert _label(window, "storeStatus").text() == LOADING
    assert window.windowTitle() == "Tillpoint"
    qtbot.waitUntil(lambda: _label(window, "storeStatus").text() == "S01 · Tillpoint Demo Shop")


def test_a_store_without_a_shop_says_how_to_create_one(qtbot, store, runner):
    window = _open(qtbot, store, runner)
    qtbot.waitUntil(lambda: _label(window, "storeStatus").text() != LOADING)

    assert _label(window, "storeStatus").text() == NO_SHOP
    assert "tillpoint init --demo" in NO_SHOP
    assert window.windowTitle() == "Tillpoint"
    assert window.isVisible()


def test_ctrl_number_switches_screens(qtbot, shop, runner):
    window = _open(qtbot, shop, runner)
    with qtbot.waitActive(window):  # window shortcuts fire only in the active window
        window.activateWindow()
    stack = window.findChild(QStackedWidget, "screens")
    nav = window.findChild(QListWidget, "navigation")
    assert window.current_screen_key() == "till"
    assert not window.navigation_shown()  # the till takes the whole width
    till_page = stack.currentWidget()

    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_screen_key() == "back_office"
    assert stack.currentWidget() is not till_page
    assert nav.currentRow() == 1 and window.navigation_shown()

    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_screen_key() == "reports"
    assert "Reports" in stack.currentWidget().accessibleName()


def test_navigation_lists_the_three_screens_the_till_first_and_real(qtbot, shop, runner):
    from ui.till.register_screen import RegisterScreen

    window = _open(qtbot, shop, runner)
    nav = window.findChild(QListWidget, "navigation")

    # Settings are a page of the back office (behind its PIN sign-in), not a screen a
    # cashier at the till could open
    assert [nav.item(i).text() for i in range(nav.count())] == [
        "Till", "Back office", "Reports"]
    till = window.screen("till")
    assert isinstance(till, RegisterScreen)  # the register replaced its placeholder
    assert till.current_page_name() == "signin"
    assert isinstance(window.screen("reports"), PlaceholderScreen)
    assert nav.accessibleName() == "Screens"
    for name in ("storeStatus", "registerStatus", "connectionStatus"):
        assert _label(window, name).accessibleName()


def test_a_real_screen_replaces_its_placeholder_in_place(qtbot, shop, runner):
    window = _open(qtbot, shop, runner)
    nav = window.findChild(QListWidget, "navigation")
    reports = QLabel("the real reports")

    window.add_screen("reports", "Reports", reports)
    window.show_screen("reports")

    assert nav.count() == 3
    assert window.screen("reports") is reports
    assert window.findChild(QStackedWidget, "screens").currentWidget() is reports
    assert window.current_screen_key() == "reports"


def test_window_renders_with_the_style_sheet(qtbot, shop, runner, test_output):
    window = _open(qtbot, shop, runner)
    window.setStyleSheet(load_stylesheet())
    qtbot.waitUntil(lambda: "Tillpoint Demo Shop" in window.windowTitle())
    # Once the layout has caught up with the loaded texts, no status label is clipped.
    labels = [_label(window, name) for name in ("storeStatus", "registerStatus", "connectionStatus")]
    qtbot.waitUntil(lambda: all(l.width() >= l.sizeHint().width() for l in labels))

    image = window.grab().toImage()
    out = test_output / "ui" / "shell.png"
    out.parent.mkdir(parents=True, exist_ok=True)

    assert not image.isNull()
    assert image.size() == window.size() * image.devicePixelRatio()
    assert len({image.pixel(x, y) for x in range(0, image.width(), 16)
                for y in range(0, image.height(), 16)}) > 2  # not a blank rectangle
    assert image.save(str(out))
    assert out.stat().st_size > 0


def test_a_touch_only_till_gets_off_the_till_with_the_screens_button(qtbot, shop, runner):
    from PySide6.QtWidgets import QPushButton

    window = _open(qtbot, shop, runner)
    nav = window.findChild(QListWidget, "navigation")
    button = window.screen("till").findChild(QPushButton, "screensButton")
    assert window.current_screen_key() == "till" and not nav.isVisible()
    assert button.isVisible() and button.text().split() == ["Screens", "(Ctrl+1…)"]
    assert button.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert button.width() >= 44 and button.height() >= 44

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # a tap, no keyboard
    assert nav.isVisible() and window.current_screen_key() == "till"
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton,
                     pos=nav.visualItemRect(nav.item(1)).center())
    assert window.current_screen_key() == "back_office" and nav.isVisible()
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton,
                     pos=nav.visualItemRect(nav.item(0)).center())
    assert window.current_screen_key() == "till" and not nav.isVisible()  # full width again

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert nav.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # changed their mind: away again
    assert not nav.isVisible() and window.current_screen_key() == "till"

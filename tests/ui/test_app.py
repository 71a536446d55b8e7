"""Starting the desktop client: the window over a real store, and a clear refusal of a bad one."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from app import demo
from app.config.paths import Paths
from db.engine import LocalStore
from ui import app as ui_app
from ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _restore_style_sheet(qapp):
    """run() styles the whole application; later tests should see the one they had."""
    before = qapp.styleSheet()
    yield
    qapp.setStyleSheet(before)


def test_run_shows_the_window_and_returns_when_it_closes(qtbot, tmp_path, monkeypatch):
    paths = Paths(tmp_path)
    local = LocalStore.open(paths.store)
    with local.write() as session:
        demo.generate(session, products=5, customers=1)
    local.close()
    seen: list[str] = []

    def exec_until_loaded(app: QApplication) -> int:
        # Stands in for the event loop: a real exec()/quit() would end the test session's loop.
        def loaded() -> bool:
            return any(isinstance(w, MainWindow) and w.isVisible()
                       and "Tillpoint Demo Shop" in w.windowTitle()
                       for w in QApplication.topLevelWidgets())

        qtbot.waitUntil(loaded)
        [window] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, MainWindow) and w.isVisible()]
        seen.append(window.windowTitle())
        window.close()
        window.deleteLater()
        return 0

    monkeypatch.setattr(QApplication, "exec", exec_until_loaded)
    assert ui_app.run(paths, []) == 0
    assert seen == ["Tillpoint — Tillpoint Demo Shop"]
    assert QApplication.applicationName() == "Tillpoint"


def test_run_reports_an_unusable_store_and_exits_with_1(qtbot, tmp_path, monkeypatch):
    paths = Paths(tmp_path)
    paths.store.write_bytes(b"this is not a database" * 100)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a, **k: shown.append((title, text)))

    assert ui_app.run(paths, []) == 1
    [(title, text)] = shown
    assert "Tillpoint" in title
    assert str(paths.store) in text


def test_style_sheet_is_found_and_sizes_buttons_for_touch():
    qss = ui_app.load_stylesheet()
    assert "min-height: 44px" in qss


def test_a_missing_style_sheet_falls_back_to_qt_default(tmp_path):
    assert ui_app.load_stylesheet(tmp_path / "nope.qss") == ""

"""Background sync in the window: rounds run on a worker thread against a real server, the
status bar says online/offline and what waits, and quitting with unsynced changes keeps them
and says so."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox

from app.config.paths import Paths
from app.outbox import enqueue, pending_count
from db.base import new_id
from sync.engine import SyncEngine
from sync.pairing import pair
from sync.status import read_status
from tests.support.file_keyring import file_keyring  # noqa: F401 - fixture
from tests.support.tills import issue_code
from ui.app import build_window
from ui.sync_controller import SyncController, describe


class RecordingEngine(SyncEngine):
    """The real engine, noting which thread each round ran on."""

    threads: list[threading.Thread] = []

    def run_round(self):  # noqa: ANN201
        type(self).threads.append(threading.current_thread())
        return super().run_round()


def _label(window, name: str) -> QLabel:
    return window.findChild(QLabel, name)


def test_an_unpaired_till_says_so_and_counts_what_waits(qtbot, shop, runner, tmp_path):
    with shop.write() as session:
        enqueue(session, kind="order.created", entity_id=new_id(), payload={})
    window = build_window(shop, runner, Paths.resolve(str(tmp_path)))
    qtbot.addWidget(window)
    label = _label(window, "connectionStatus")
    qtbot.waitUntil(lambda: label.text().startswith("Offline — not paired"), timeout=10_000)
    assert label.text().endswith("1 to sync")


def test_a_paired_till_syncs_off_the_ui_thread_and_shows_it(qtbot, server_factory, store,
                                                             runner, tmp_path, file_keyring):
    server = server_factory()
    pair(store, server=server.base_url, code=issue_code(server, "R01"))
    paths = Paths.resolve(str(tmp_path))
    RecordingEngine.threads = []
    controller = SyncController(store, paths, runner, interval_s=3600,
                                engine_factory=lambda: RecordingEngine(store, paths))
    finished = []
    controller.round_finished.connect(finished.append)
    texts = []
    controller.status_changed.connect(lambda text, _status: texts.append(text))
    controller.start()
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)

    assert RecordingEngine.threads and all(t is not threading.main_thread()
                                           for t in RecordingEngine.threads)
    result = finished[0]
    assert not isinstance(result, BaseException) and result.succeeded, result
    qtbot.waitUntil(lambda: any(t.startswith("Online · synced") for t in texts), timeout=10_000)
    assert controller.last_status.online and controller.last_status.pending == 0
    controller.stop()

    server.stop()  # the network goes away: the next round says offline and keeps the sale
    with store.write() as session:
        enqueue(session, kind="order.created", entity_id=new_id(), payload={})
    finished.clear()
    controller.sync_now()
    qtbot.waitUntil(lambda: bool(finished), timeout=120_000)
    qtbot.waitUntil(lambda: controller.last_status is not None
                    and not controller.last_status.online, timeout=10_000)
    assert texts[-1].startswith("Offline") and texts[-1].endswith("1 to sync")


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, showing a dialog
def test_quitting_with_unsynced_changes_keeps_them_and_says_so(qtbot, shop, runner, tmp_path):
    with shop.write() as session:
        for _ in range(2):
            enqueue(session, kind="order.created", entity_id=new_id(), payload={})
    window = build_window(shop, runner, Paths.resolve(str(tmp_path)))
    qtbot.addWidget(window)
    window.show()
    label = _label(window, "connectionStatus")
    qtbot.waitUntil(lambda: "2 to sync" in label.text(), timeout=10_000)

    window.close()  # the notice shows first; the window stays until it is read
    notice = window.findChild(QMessageBox, "quitNotice")
    assert notice is not None and window.isVisible()
    assert "2 change(s)" in notice.text() and "kept on this till" in notice.text()
    notice.accept()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    with shop.read() as session:
        assert pending_count(session) == 2  # nothing dropped


def test_describe_names_every_state(store):
    status = read_status(store)
    assert describe(status).startswith("Offline — not paired")

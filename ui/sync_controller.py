"""Background sync for the window: a round every ``interval_s`` (and on demand) on the network
pool, never on the UI thread; the status bar text from what the round left behind."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.config.paths import Paths
from db.engine import LocalStore
from sync.engine import SyncEngine
from sync.errors import NotPaired, SyncBusy
from sync.status import SyncStatus, read_status
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 30
#: while not paired, look again soon: ``tillpoint demo`` (or a terminal's ``tillpoint pair``)
#: pairs the till while the window is open
UNPAIRED_INTERVAL_S = 5


def _clock(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%H:%M") if moment else "never"


def describe(status: SyncStatus) -> str:
    """One line for the status bar: online or not, since when, what waits, what went wrong."""
    waiting = f"{status.pending} to sync"
    if not status.paired:
        return f"Offline — not paired with a server · {waiting}"
    if status.online:
        text = f"Online · synced {_clock(status.last_success_at)} · {waiting}"
    else:
        reason = f" ({status.last_error})" if status.last_error else ""
        text = f"Offline{reason} · last synced {_clock(status.last_success_at)} · {waiting}"
    if status.issues_unseen:
        text += f" · {status.issues_unseen} sync notice(s) to review"
    return text


class SyncController(QObject):
    """Runs sync rounds off the UI thread and reports the state.

    Signals (GUI thread): ``status_changed(str, object)`` the status bar text and the
    :class:`SyncStatus`; ``round_finished(object)`` the round's result or the error.
    A round never overlaps another of this window (and the engine's lock file keeps a
    terminal's ``tillpoint sync`` out too)."""

    status_changed = Signal(str, object)
    round_finished = Signal(object)

    def __init__(self, store: LocalStore, paths: Paths, runner: TaskRunner, *,
                 interval_s: float = DEFAULT_INTERVAL_S,
                 engine_factory: Callable[[], SyncEngine] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._engine_factory = engine_factory or (lambda: SyncEngine(store, paths))
        self._running = False
        self.last_status: SyncStatus | None = None
        self._interval_ms = int(interval_s * 1000)
        self._timer = QTimer(self)
        self._timer.setInterval(self._interval_ms)
        self._timer.timeout.connect(self.sync_now)

    def start(self) -> None:
        """Read the state at once, then sync now and every interval."""
        self.refresh()
        self.sync_now()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def running(self) -> bool:
        return self._running

    def sync_now(self) -> None:
        if self._running or self._runner.closed:
            return
        self._running = True
        self._runner.run(self._round, kind="io", on_success=self._finished,
                         on_failure=self._finished, label="sync round", owner=self)

    def refresh(self) -> None:
        if self._runner.closed:  # the window is closing: nothing left to show
            return
        self._runner.run(read_status, self._store, on_success=self._show, on_failure=self._failed,
                         label="read sync status", owner=self)

    def _round(self):  # runs on a worker: the engine does the network and its own writes
        engine = self._engine_factory()
        try:
            result = engine.run_round()
        except (NotPaired, SyncBusy):  # nothing to do yet / a terminal's round is running
            result = None
        return result, read_status(self._store)

    def _finished(self, outcome) -> None:
        self._running = False
        if isinstance(outcome, BaseException):
            self.round_finished.emit(outcome)
            self.refresh()
            return
        result, status = outcome
        self.round_finished.emit(result)
        self._show(status)

    def _show(self, status: SyncStatus) -> None:
        self.last_status = status
        self._timer.setInterval(self._interval_ms if status.paired
                                else min(self._interval_ms, UNPAIRED_INTERVAL_S * 1000))
        self.status_changed.emit(describe(status), status)

    def _failed(self, error: BaseException) -> None:
        self.status_changed.emit(f"Sync state unavailable: {error}", None)

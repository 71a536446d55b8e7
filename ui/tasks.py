"""Running service calls off the UI thread and handing their outcome back on it (after Anki's taskman)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import CancelledError, Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Literal

from PySide6.QtCore import QObject, Qt, Signal, Slot
from shiboken6 import isValid

from app.domain.errors import DomainError
from db.engine import StoreError

log = logging.getLogger(__name__)

TaskKind = Literal["db", "io"]

#: Errors that are the user's or the environment's fault: shown as a message, not logged as bugs.
KNOWN_ERRORS: tuple[type[BaseException], ...] = (DomainError, StoreError)

IO_WORKERS = 4


@dataclass(frozen=True, slots=True)
class _Outcome:
    future: Future
    label: str
    on_success: Callable[[Any], None] | None
    on_failure: Callable[[BaseException], None] | None
    owner: QObject | None


class TaskRunner(QObject):
    """The one way to run work off the UI thread.

    Database work runs on a single-worker executor (SQLite has one writer, and one queue keeps
    the order of a cashier's actions); network and printing run on a small pool beside it.
    The outcome comes back on the GUI thread through a queued signal, so callbacks may touch
    widgets and workers never do. Callbacks run from the event loop, never inside :meth:`run`,
    even when an executor finishes the work synchronously.

    Known errors (:data:`KNOWN_ERRORS`) reach ``on_failure`` as they are; anything else is logged
    with its traceback (a bug) and then reaches ``on_failure`` too. A task whose ``owner`` widget
    was deleted before the outcome arrived gets no callback.

    Signals (all emitted on the GUI thread):
        started(str): a task with this label was handed to an executor.
        finished(str): the outcome of the task with this label was delivered (success or failure).
        busy_changed(bool): True when the first task is outstanding, False when the last is done.

    Use it from the GUI thread only; create one per application and pass it to the screens.
    """

    started = Signal(str)
    finished = Signal(str)
    busy_changed = Signal(bool)
    _done = Signal(object)  # an _Outcome, emitted from a worker thread

    def __init__(self, parent: QObject | None = None, *, db_executor: Executor | None = None,
                 io_executor: Executor | None = None) -> None:
        super().__init__(parent)
        self._executors: dict[str, Executor] = {
            "db": db_executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="tillpoint-db"),
            "io": io_executor or ThreadPoolExecutor(max_workers=IO_WORKERS,
                                                    thread_name_prefix="tillpoint-io"),
        }
        self._outstanding = 0
        self._closed = False
        # Queued explicitly: even a synchronous executor must not call back inside run().
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """Whether any task has been submitted and its outcome not yet delivered."""
        return self._outstanding > 0

    def run(self, fn: Callable[..., Any], *args: Any,
            on_success: Callable[[Any], None] | None = None,
            on_failure: Callable[[BaseException], None] | None = None,
            kind: TaskKind = "db", label: str | None = None, owner: QObject | None = None,
            **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` on the ``kind`` executor; call back on the GUI thread.

        ``on_success(result)`` or ``on_failure(exception)`` is called once the task is done.
        ``label`` names the task in signals and logs (default: the function's name); ``owner``
        is the widget the callbacks belong to, skipped if it has been deleted by then.
        Returns the task's :class:`~concurrent.futures.Future`.
        """
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        executor = self._executors.get(kind)
        if executor is None:
            raise ValueError(f"unknown task kind {kind!r}: expected 'db' or 'io'")
        label = label or getattr(fn, "__qualname__", repr(fn))
        future = executor.submit(_call_logged, label, fn, args, kwargs)
        self._outstanding += 1
        if self._outstanding == 1:
            self.busy_changed.emit(True)
        self.started.emit(label)
        outcome = _Outcome(future, label, on_success, on_failure, owner)
        future.add_done_callback(lambda _future: self._done.emit(outcome))
        return future

    @property
    def closed(self) -> bool:
        """Shut down: ``run`` refuses new work (late signals of a closing window check this)."""
        return self._closed

    def shutdown(self, wait: bool = True) -> None:
        """Refuse new tasks, drop queued ones and (by default) wait for the running ones."""
        self._closed = True
        for executor in self._executors.values():
            executor.shutdown(wait=wait, cancel_futures=True)

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        try:
            self._call_back(outcome)
        finally:
            # Bookkeeping happens even if a callback raised (that bug still surfaces: Qt reports it).
            self._outstanding -= 1
            self.finished.emit(outcome.label)
            if self._outstanding == 0:
                self.busy_changed.emit(False)

    @staticmethod
    def _call_back(outcome: _Outcome) -> None:
        if outcome.owner is not None and not isValid(outcome.owner):
            log.debug("task %s finished after its owner was deleted", outcome.label)
            return
        try:
            error = outcome.future.exception()
        except CancelledError:
            log.debug("task %s was cancelled before it ran", outcome.label)
            return
        if error is None:
            if outcome.on_success is not None:
                outcome.on_success(outcome.future.result())
        elif outcome.on_failure is not None:
            outcome.on_failure(error)
        elif isinstance(error, KNOWN_ERRORS):
            # Unexpected errors were logged by the worker already; a known one would vanish.
            log.error("task %s failed and no one handled it: %s", outcome.label, error)


def _call_logged(label: str, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Runs on a worker: a bug is logged here, with its traceback, while it is still at hand."""
    try:
        return fn(*args, **kwargs)
    except KNOWN_ERRORS:
        raise
    except BaseException:
        log.exception("task %s failed unexpectedly (thread %s)", label,
                      threading.current_thread().name)
        raise

"""Fixtures for the Qt layer: task runners with real thread pools or a synchronous executor."""

from __future__ import annotations

from concurrent.futures import Executor, Future
from typing import Any, Callable

import pytest

from ui.tasks import TaskRunner


class ImmediateExecutor(Executor):
    """Runs each task inside ``submit``: tests decide exactly when work happens."""

    def __init__(self) -> None:
        self.submitted = 0
        self._shut = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self._shut:
            raise RuntimeError("cannot schedule new futures after shutdown")
        self.submitted += 1
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed over whole, as a thread pool would
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shut = True


@pytest.fixture
def runner(qtbot):
    """A runner with its real executors (one database worker, a small I/O pool)."""
    task_runner = TaskRunner()
    yield task_runner
    task_runner.shutdown(wait=True)


@pytest.fixture
def immediate_runner(qtbot):
    """A runner whose work happens inside ``run``; outcomes still arrive through the event loop."""
    task_runner = TaskRunner(db_executor=ImmediateExecutor(), io_executor=ImmediateExecutor())
    yield task_runner
    task_runner.shutdown(wait=True)

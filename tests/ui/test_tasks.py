"""TaskRunner: work off the GUI thread, outcomes back on it, one database task at a time."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from PySide6.QtCore import QThread

from app.domain.errors import RuleViolation
from db.engine import StoreError
from tests.ui.conftest import ImmediateExecutor
from ui.tasks import TaskRunner


def test_success_is_delivered_on_the_gui_thread_with_the_result(qtbot, qapp, runner):
    seen: dict[str, object] = {}

    def work(a: int, b: int, *, times: int) -> int:
        seen["work_thread"] = threading.current_thread()
        return (a + b) * times

    def on_success(result: int) -> None:
        seen["result"] = result
        seen["callback_thread"] = QThread.currentThread()

    runner.run(work, 2, 3, times=4, on_success=on_success)
    qtbot.waitUntil(lambda: "result" in seen)

    assert seen["result"] == 20
    assert seen["callback_thread"] is qapp.thread()
    assert seen["work_thread"] is not threading.main_thread()


def test_a_domain_error_reaches_on_failure_as_is_and_is_not_logged_as_a_bug(qtbot, runner, caplog):
    refusal = RuleViolation("coupon expired", field="coupon")
    failures: list[BaseException] = []
    successes: list[object] = []

    def work() -> None:
        raise refusal

    with caplog.at_level(logging.DEBUG, logger="ui.tasks"):
        runner.run(work, on_success=successes.append, on_failure=failures.append)
        qtbot.waitUntil(lambda: len(failures) == 1)

    assert failures == [refusal]
    assert failures[0].field == "coupon"
    assert successes == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_store_error_reaches_on_failure(qtbot, runner):
    failures: list[BaseException] = []

    def work() -> None:
        raise StoreError("disk full")

    runner.run(work, on_failure=failures.append)
    qtbot.waitUntil(lambda: len(failures) == 1)
    assert isinstance(failures[0], StoreError)


def test_an_unexpected_exception_is_logged_with_traceback_and_reaches_on_failure(
        qtbot, runner, caplog):
    failures: list[BaseException] = []

    def broken() -> None:
        raise KeyError("missing")

    with caplog.at_level(logging.ERROR, logger="ui.tasks"):
        runner.run(broken, on_failure=failures.append, label="broken task")
        qtbot.waitUntil(lambda: len(failures) == 1)

    assert isinstance(failures[0], KeyError)
    [record] = [r for r in caplog.records if r.name == "ui.tasks"]
    assert record.levelno == logging.ERROR
    assert "broken task" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_database_tasks_run_one_at_a_time_in_submission_order(qtbot, runner):
    lock = threading.Lock()
    running = 0
    most = 0
    order: list[int] = []

    def work(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
            order.append(n)
        return n

    futures = [runner.run(work, n) for n in range(6)]
    for future in futures:
        future.result(timeout=5)

    assert most == 1
    assert order == list(range(6))


def test_io_tasks_run_side_by_side(qtbot, runner):
    # Each task waits for the other two: this only completes if they run concurrently.
    barrier = threading.Barrier(3, timeout=5)
    futures = [runner.run(barrier.wait, kind="io") for _ in range(3)]
    assert sorted(f.result(timeout=10) for f in futures) == [0, 1, 2]


def test_callbacks_never_run_inside_run_even_with_a_synchronous_executor(qtbot, immediate_runner):
    results: list[int] = []
    future = immediate_runner.run(lambda: 7, on_success=results.append)

    assert future.done() and future.result() == 7
    assert results == []  # delivered by the event loop, not re-entrantly
    qtbot.waitUntil(lambda: results == [7])


def test_started_finished_and_busy_signals_frame_a_task(qtbot, immediate_runner):
    busy: list[bool] = []
    finished: list[str] = []
    immediate_runner.busy_changed.connect(busy.append)
    immediate_runner.finished.connect(finished.append)

    with qtbot.waitSignal(immediate_runner.started) as started:
        immediate_runner.run(lambda: None, label="first")
        immediate_runner.run(lambda: None, label="second")
    assert started.args == ["first"]
    assert immediate_runner.busy
    qtbot.waitUntil(lambda: busy == [True, False])

    assert finished == ["first", "second"]
    assert not immediate_runner.busy


def test_no_callback_once_its_owner_widget_is_deleted(qtbot, immediate_runner):
    from PySide6.QtWidgets import QWidget
    from shiboken6 import delete

    owner = QWidget()
    results: list[int] = []
    immediate_runner.run(lambda: 1, on_success=results.append, owner=owner, label="orphan")
    delete(owner)

    with qtbot.waitSignal(immediate_runner.finished) as done:
        pass
    assert done.args == ["orphan"]
    assert results == []


def test_shutdown_waits_for_running_work_and_refuses_new_tasks(qtbot):
    task_runner = TaskRunner()
    release = threading.Event()
    started = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "done"

    future = task_runner.run(slow)
    assert started.wait(5)
    threading.Timer(0.1, release.set).start()
    task_runner.shutdown(wait=True)

    assert future.done() and future.result() == "done"
    with pytest.raises(RuntimeError, match="shut down"):
        task_runner.run(slow)


def test_shutdown_drops_queued_database_work(qtbot):
    task_runner = TaskRunner()
    release = threading.Event()
    ran: list[int] = []

    def work(n: int) -> None:
        release.wait(5)
        ran.append(n)

    first = task_runner.run(work, 1)
    queued = task_runner.run(work, 2)
    release.set()
    task_runner.shutdown(wait=True)

    assert first.done()
    assert queued.cancelled()
    assert ran == [1]


def test_injected_executors_receive_the_work(qtbot):
    db, io = ImmediateExecutor(), ImmediateExecutor()
    task_runner = TaskRunner(db_executor=db, io_executor=io)
    task_runner.run(lambda: None)
    task_runner.run(lambda: None, kind="io")
    task_runner.run(lambda: None, kind="io")
    assert (db.submitted, io.submitted) == (1, 2)
    with pytest.raises(ValueError, match="unknown task kind"):
        task_runner.run(lambda: None, kind="gpu")
    task_runner.shutdown()

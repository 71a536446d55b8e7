"""The window's print worker with the real task runner and a real store: jobs print in order off
the UI thread, a failure stops its printer's line and is listed with a Retry that prints it,
a job a crash left half-printed prints at the next start, reprints come out marked COPY."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from app.printing.queue import PrintQueue
from tests.support import pdf
from tests.ui.printing.conftest import WAIT_MS
from ui.printing.problems import PrintProblems
from ui.printing.worker import PrintWorker


@pytest.fixture
def problems_panel(qtbot):
    """Makes the panel inside a window that is not shown (as it sits in the till's screen);
    the windows are kept for the test (pytest-qt holds only weak references)."""
    windows: list[QWidget] = []

    def make(worker: PrintWorker) -> PrintProblems:
        windows.append(QWidget())
        qtbot.addWidget(windows[-1])
        return PrintProblems(worker, windows[-1])

    yield make
    windows.clear()


def started(qtbot, worker: PrintWorker) -> PrintWorker:
    with qtbot.waitSignal(worker.started, timeout=WAIT_MS):
        worker.start()
    return worker


def printed_ids(qtbot, worker: PrintWorker, count: int, action) -> list[str]:
    done: list[str] = []
    worker.printed.connect(lambda job_id, _printer: done.append(job_id))
    action()
    qtbot.waitUntil(lambda: len(done) >= count, timeout=WAIT_MS)
    return done


def test_documents_print_in_the_order_they_were_sent(qtbot, runner, shop_store, settings, sale,
                                                     tmp_path):
    folder = tmp_path / "out"
    worker = started(qtbot, PrintWorker(runner, shop_store, settings))
    queued: list[tuple[str, str]] = []
    worker.queued.connect(lambda job_id, title: queued.append((job_id, title)))

    def send() -> None:
        for n in range(3):
            worker.submit(f"file:{folder}", "receipt", f"ref-{n}", sale["pdf"])

    done = printed_ids(qtbot, worker, 3, send)
    qtbot.waitUntil(lambda: len(queued) == 3, timeout=WAIT_MS)
    jobs = {job.id: job for job in PrintQueue(shop_store, recover=False).jobs()}
    assert [jobs[job_id].document_ref for job_id in done] == ["ref-0", "ref-1", "ref-2"]
    assert {jobs[job_id].status for job_id in done} == {"done"}
    assert {title for _id, title in queued} == {f"Receipt {sale['number']}"}
    assert len(list(folder.glob("*.pdf"))) == 3


def test_a_failure_stops_the_line_is_listed_and_retry_prints_everything_in_order(
        qtbot, runner, shop_store, settings, sale, tmp_path, problems_panel):
    device = tmp_path / "lp0"  # not plugged in yet
    printer = f"escpos:file:{device}"
    worker = started(qtbot, PrintWorker(runner, shop_store, settings))
    panel = problems_panel(worker)
    failures: list[tuple[str, str, str]] = []
    worker.failed.connect(lambda *failure: failures.append(failure))

    worker.submit(printer, "receipt", "first", sale["pdf"])
    worker.submit(printer, "receipt", "second", sale["pdf"])
    qtbot.waitUntil(lambda: bool(failures and panel.rows), timeout=WAIT_MS)
    queue = PrintQueue(shop_store, recover=False)
    (failed_id, title, reason) = failures[0]
    assert title == f"Receipt {sale['number']}" and reason.startswith("printer offline")
    assert [(j.document_ref, j.status) for j in queue.jobs()] == [("first", "failed"),
                                                                 ("second", "queued")]
    assert not panel.isHidden() and list(panel.rows) == [failed_id]
    said = panel.rows[failed_id].findChild(QLabel, "reason").text()
    assert said.startswith(f"Receipt {sale['number']} not printed on {printer}: printer offline")

    device.write_bytes(b"")  # plugged in
    retry = panel.rows[failed_id].findChild(QPushButton, "retry")
    done = printed_ids(qtbot, worker, 2, retry.click)
    assert [queue.get(job_id).document_ref for job_id in done] == ["first", "second"]
    qtbot.waitUntil(lambda: panel.isHidden() and not panel.rows, timeout=WAIT_MS)
    assert device.read_bytes().count(b"\x1b@") == 2 and len(failures) == 1


def test_a_job_a_crash_left_half_printed_prints_first_at_the_next_start(
        qtbot, runner, shop_store, settings, sale, tmp_path):
    folder = tmp_path / "out"
    left = PrintQueue(shop_store)
    job_id = left.enqueue(f"file:{folder}", "receipt", sale["id"], sale["pdf"])
    left.take(f"file:{folder}")  # ... and the till died here

    worker = PrintWorker(runner, shop_store, settings)
    recovered: list[int] = []
    worker.started.connect(recovered.append)

    def start_and_sell_at_once() -> None:
        worker.start()
        worker.submit(f"file:{folder}", "receipt", "the next sale", sale["pdf"])

    done = printed_ids(qtbot, worker, 2, start_and_sell_at_once)
    queue = PrintQueue(shop_store, recover=False)
    assert recovered == [1] and done[0] == job_id  # the interrupted one first, then the new
    assert queue.get(job_id).attempts == 2 and queue.get(done[1]).document_ref == "the next sale"


def test_a_document_goes_to_the_printer_set_for_its_kind_and_reprints_say_copy(
        qtbot, runner, shop_store, settings, sale, tmp_path):
    folder = tmp_path / "receipts"
    settings.set("printer.receipt", f"file:{folder}")
    worker = started(qtbot, PrintWorker(runner, shop_store, settings))
    (original,) = printed_ids(qtbot, worker, 1,
                              lambda: worker.submit_document("receipt", sale["id"]))
    (copy,) = printed_ids(qtbot, worker, 1, lambda: worker.reprint(original))
    queue = PrintQueue(shop_store, recover=False)
    assert (queue.get(original).copy, queue.get(copy).copy) == (False, True)
    texts = {f.name: pdf.load(f.read_bytes()).text() for f in folder.glob("*.pdf")}
    assert len(texts) == 2 and sorted("COPY" in text for text in texts.values()) == [False, True]


def test_a_system_printer_that_is_not_there_is_reported_not_raised(
        qtbot, runner, shop_store, settings, sale):
    worker = started(qtbot, PrintWorker(runner, shop_store, settings))
    with qtbot.waitSignal(worker.failed, timeout=WAIT_MS) as failure:
        worker.submit("Nowhere_Laser", "invoice", "inv-1", sale["pdf"])
    _job_id, _title, reason = failure.args
    assert reason.startswith("printer Nowhere_Laser is not set up on this computer")


def test_discard_forgets_a_failed_job(qtbot, runner, shop_store, settings, sale, tmp_path,
                                      problems_panel):
    worker = started(qtbot, PrintWorker(runner, shop_store, settings))
    panel = problems_panel(worker)
    worker.submit(f"escpos:file:{Path(tmp_path) / 'none'}", "receipt", "a", sale["pdf"])
    qtbot.waitUntil(lambda: bool(panel.rows), timeout=WAIT_MS)
    (row,) = panel.rows.values()
    row.findChild(QPushButton, "discard").click()
    qtbot.waitUntil(lambda: panel.isHidden(), timeout=WAIT_MS)
    assert PrintQueue(shop_store, recover=False).jobs() == []

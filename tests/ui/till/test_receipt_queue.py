"""The till's receipts go through the print queue and its worker: a receipt folder is the
queue's ``file:DIR`` printer, a receipt that does not print is kept and listed with a Retry
that prints it (the sale and the next customer never wait for it), a printer that hangs holds
up nothing, F3 adds a gift receipt and F4 reprints the last receipt marked COPY."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from app.printing.backends import PrinterError
from app.printing.queue import PrintQueue
from tests.support import pdf
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.payment_support import (panel, receipt_dir,  # noqa: F401 - fixtures
                                           till_payments)
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, key
from ui.printing.problems import PrintProblems
from ui.printing.qt_backend import window_backend
from ui.printing.worker import PrintWorker

pytestmark = OFFSCREEN_SIZE_HINTS


def _pay(qtbot, panel):  # noqa: ANN001, ANN202 - exact cash, F12: the sale
    key(qtbot, panel.amount_field, "F1")
    qtbot.waitUntil(lambda: panel.complete_button.isEnabled(), timeout=WAIT_MS)
    with qtbot.waitSignal(panel._controller.sale_completed, timeout=WAIT_MS) as sale:
        key(qtbot, panel.amount_field, "F12")
    qtbot.waitUntil(panel.after_sale.next_field.hasFocus, timeout=WAIT_MS)
    return sale.args[0]


def _next_sale(qtbot, panel, till, demo_items):  # noqa: ANN001, ANN202
    till.call("scan", demo_items[2].barcode)
    till.call("begin_payment")
    qtbot.waitUntil(lambda: panel.pages.currentIndex() == 0 and panel.amount_field.hasFocus(),
                    timeout=WAIT_MS)
    return _pay(qtbot, panel)


def _texts(folder) -> dict[str, str]:  # noqa: ANN001
    return {f.name: pdf.load(f.read_bytes()).text() for f in sorted(folder.glob("*.pdf"))}


def test_a_receipt_folder_is_the_queues_file_printer(qtbot, panel, shop, receipt_dir):
    sale = _pay(qtbot, panel)
    with qtbot.waitSignal(panel.receipts.printed, timeout=WAIT_MS) as printed:
        key(qtbot, QApplication.focusWidget(), "F1")
    (job,) = PrintQueue(shop, recover=False).jobs()
    assert (job.printer, job.kind, job.document_ref, job.status, job.copy) == (
        f"file:{receipt_dir}", "receipt", sale.order_id, "done", False)
    assert printed.args[0].startswith(str(receipt_dir)) and sale.number in _texts(receipt_dir)[
        printed.args[0].rsplit("/", 1)[-1]]


def test_a_receipt_that_does_not_print_is_kept_listed_and_retry_prints_it(
        qtbot, panel, shop, till_controller, till_settings, monkeypatch, tmp_path):
    monkeypatch.delenv("TILLPOINT_RECEIPT_DIR")
    device = tmp_path / "lp0"  # the receipt printer is not plugged in
    till_settings.set("printer.receipt", f"escpos:file:{device}")
    holder = QWidget()
    qtbot.addWidget(holder)
    strip = PrintProblems(panel.receipts.worker, holder, compact=True)
    sale = _pay(qtbot, panel)
    errors: list[tuple[str, str]] = []
    till_controller.error.connect(lambda field, message: errors.append((field, message)))

    with qtbot.waitSignal(panel.receipts.failed, timeout=WAIT_MS) as failed:
        with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):  # the till moved on at once
            key(qtbot, QApplication.focusWidget(), "F1")
    message = failed.args[0]
    assert message.startswith(f"Receipt {sale.number} not printed: printer offline")
    assert "Retry" in message and errors == [("receipt", message)]
    (job,) = PrintQueue(shop, recover=False).jobs()
    assert (job.status, job.document_ref) == ("failed", sale.order_id)  # kept, with its PDF
    qtbot.waitUntil(lambda: list(strip.rows) == [job.id], timeout=WAIT_MS)
    row = strip.rows[job.id]
    assert "printer offline" in row.findChild(QLabel, "reason").text()
    retry = row.findChild(QPushButton, "retry")
    assert retry.focusPolicy() == Qt.FocusPolicy.NoFocus  # a scan never lands there

    device.write_bytes(b"")  # plugged in
    with qtbot.waitSignal(panel.receipts.printed, timeout=WAIT_MS) as printed:
        retry.click()
    assert printed.args[0] == f"escpos:file:{device}"
    assert device.read_bytes().startswith(b"\x1b@")  # the printer was reset, then the raster
    qtbot.waitUntil(lambda: strip.isHidden() and not strip.rows, timeout=WAIT_MS)
    assert PrintQueue(shop, recover=False).get(job.id).status == "done"


class HangingPrinter:
    """A printer that takes the job and answers only when the test lets it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.jobs: list[str] = []

    def print_pdf(self, pdf_bytes: bytes, title: str) -> None:
        if not self.release.wait(WAIT_MS / 1000):
            raise PrinterError("printer offline", "the test never let it answer")
        self.jobs.append(title)


def test_a_printer_that_hangs_holds_up_neither_the_sale_nor_the_next_one(
        qtbot, panel, till, runner, shop, till_settings, demo_items, monkeypatch):
    monkeypatch.delenv("TILLPOINT_RECEIPT_DIR")
    till_settings.set("printer.receipt", "Slow_Thermal")
    printer = HangingPrinter()
    worker = PrintWorker(runner, shop, till_settings, panel,
                         backend_for=lambda name: printer if name == "Slow_Thermal"
                         else window_backend(name))
    with qtbot.waitSignal(worker.started, timeout=WAIT_MS):
        worker.start()
    panel.receipts.attach_worker(worker)
    first = _pay(qtbot, panel)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        key(qtbot, QApplication.focusWidget(), "F1")
    second = _next_sale(qtbot, panel, till, demo_items)  # while the first is still printing
    key(qtbot, QApplication.focusWidget(), "F1")
    assert printer.jobs == []
    printed: list[str] = []
    panel.receipts.printed.connect(printed.append)
    printer.release.set()
    qtbot.waitUntil(lambda: len(printer.jobs) == 2, timeout=WAIT_MS)
    assert printer.jobs == [f"Receipt {first.number}", f"Receipt {second.number}"]  # in order
    qtbot.waitUntil(lambda: len(printed) == 2, timeout=WAIT_MS)


def test_f3_prints_the_receipt_and_a_gift_receipt_with_the_same_barcode(qtbot, panel,
                                                                        receipt_dir):
    sale = _pay(qtbot, panel)
    printed: list[str] = []
    panel.receipts.printed.connect(printed.append)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        key(qtbot, QApplication.focusWidget(), "F3")
    qtbot.waitUntil(lambda: len(printed) == 2, timeout=WAIT_MS)
    receipt, gift = (pdf.load(open(path, "rb").read()) for path in printed)
    assert "GIFT RECEIPT" not in receipt.text() and sale.total_text in receipt.text()
    assert "GIFT RECEIPT" in gift.text() and sale.total_text not in gift.text()
    for document in (receipt, gift):
        assert ("Code128", sale.receipt_code) in pdf.barcodes(document.render(0))


def test_f4_reprints_the_last_receipt_marked_copy_and_leaves_this_sale_open(
        qtbot, panel, till, demo_items, receipt_dir):
    after = panel.after_sale
    first = _pay(qtbot, panel)
    assert after.reprint_button.isHidden()  # nothing printed yet
    with qtbot.waitSignal(panel.receipts.printed, timeout=WAIT_MS):
        key(qtbot, QApplication.focusWidget(), "F1")
    second = _next_sale(qtbot, panel, till, demo_items)
    assert not after.reprint_button.isHidden()
    assert after.reprint_button.text() == f"Reprint {first.number} (F4)"

    with qtbot.waitSignal(panel.receipts.printed, timeout=WAIT_MS) as printed:
        key(qtbot, QApplication.focusWidget(), "F4")
    copy = pdf.load(open(printed.args[0], "rb").read())
    assert "COPY" in copy.text() and first.number in copy.text()
    assert ("Code128", first.receipt_code) in pdf.barcodes(copy.render(0))
    assert after.sale is second and after.next_field.hasFocus()  # still this sale's choices
    assert first.number in after.message.text()
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        key(qtbot, QApplication.focusWidget(), "Esc")

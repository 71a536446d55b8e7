"""Settings › Printers: which printer each kind of document goes to (receipts, invoices,
shipping labels), a test page per kind to preview and print before trusting it, and the
documents that did not print, each with Retry and Discard.

Nothing waits on the UI thread: the system's printers are listed and the settings written on
the I/O pool (:class:`ui.printing.chooser.PrinterChoices`), the test page is drawn there too,
and printing goes through the window's print worker like every other document, so a test page
that does not print is listed with its reason like a receipt would be.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from app.printing.sample_page import render_test_page
from ui.printing.chooser import CHOICES, PrinterChoices, system_printers
from ui.printing.preview import PrintPreview
from ui.printing.problems import PrintProblems
from ui.printing.worker import DEFAULT_PRINTER, PrintWorker, reason_of
from ui.tasks import TaskRunner
from ui.till.receipt_output import receipt_dir_from, receipt_printer

#: the printer setting → the kind of test page drawn for it
TEST_KINDS = {"printer.receipt": "receipt", "printer.invoice": "invoice",
              "printer.label": "label"}
ALL_PRINTED = "Every document has printed."


class PrintersSection(QGroupBox):
    """``printersSection``: the printer choices (``printer.receipt`` … combos, a
    ``testPage_<kind>`` button beside each), ``testPageStatus``, and ``printProblems`` with
    ``allPrinted`` while nothing is waiting. ``preview`` is the test page shown last."""

    def __init__(self, runner: TaskRunner, settings: Any, worker: PrintWorker,
                 parent: QWidget | None = None, *,
                 list_printers: Callable[[], list[str]] = system_printers) -> None:
        super().__init__("Printers", parent)
        self.setObjectName("printersSection")
        self._runner = runner
        self._settings = settings
        self._worker = worker
        self.preview: PrintPreview | None = None
        self._test_jobs: set[str] = set()
        self.test_buttons: dict[str, QPushButton] = {}

        self.receipt_dir_note = QLabel(self)
        self.receipt_dir_note.setObjectName("receiptDirNote")
        self.receipt_dir_note.setWordWrap(True)
        self.choices = PrinterChoices(runner, settings, self, list_printers=list_printers,
                                      row_extra=self._test_button)
        self.test_status = QLabel(self)
        self.test_status.setObjectName("testPageStatus")
        self.test_status.setWordWrap(True)

        waiting = QGroupBox("Documents not printed", self)
        self.problems = PrintProblems(worker, waiting)
        self.all_printed = QLabel(ALL_PRINTED, waiting)
        self.all_printed.setObjectName("allPrinted")
        self.problems.listed.connect(lambda count: self.all_printed.setVisible(count == 0))
        inner = QVBoxLayout(waiting)
        inner.addWidget(self.problems)
        inner.addWidget(self.all_printed)

        layout = QVBoxLayout(self)
        layout.addWidget(self.receipt_dir_note)
        layout.addWidget(self.choices)
        layout.addWidget(self.test_status)
        layout.addWidget(waiting)
        worker.delivered.connect(self._test_printed)
        worker.failed.connect(self._test_failed)
        self._show_receipt_dir()
        self.problems.refresh()

    def _show_receipt_dir(self) -> None:
        directory = receipt_dir_from(self._settings)
        self.receipt_dir_note.setVisible(directory is not None)
        if directory is not None:
            self.receipt_dir_note.setText(
                f"Receipts are saved as PDF files in {directory} instead of printed "
                "(printer.receipt_dir or TILLPOINT_RECEIPT_DIR); the receipt printer below "
                "is used once that is cleared.")

    def _test_button(self, key: str) -> QWidget:
        label = dict(CHOICES)[key].lower()
        button = QPushButton("Test page…")
        button.setObjectName(f"testPage_{TEST_KINDS[key]}")
        button.setAccessibleName(f"Preview a test page for {label}")
        button.clicked.connect(lambda: self.test_page(key))
        self.test_buttons[TEST_KINDS[key]] = button
        return button

    def printer_for_test(self, key: str) -> str:
        """Where a test page for ``key`` prints: the printer chosen in the form now (saved or
        not: a printer is tried before it is saved), receipts in their folder if one is set."""
        if key == "printer.receipt" and receipt_dir_from(self._settings) is not None:
            return receipt_printer(self._settings)
        return self.choices.value(key)

    # -- the test page -------------------------------------------------------------------------
    def test_page(self, key: str) -> None:
        """Draw the test page for ``key``'s printer (I/O pool), then preview it."""
        kind, printer = TEST_KINDS[key], self.printer_for_test(key)
        width, paper = self._settings.get("receipt.width"), self._settings.get("invoice.paper")
        self.test_buttons[kind].setEnabled(False)
        self.test_status.setText("Drawing the test page…")

        def draw() -> bytes:
            return render_test_page(kind, printer=printer, now=datetime.now(), width=width,
                                    paper=paper)

        self._runner.run(draw, kind="io", label="settings test page", owner=self,
                         on_success=lambda pdf: self._preview(kind, printer, pdf),
                         on_failure=lambda error: self._not_drawn(kind, error))

    def _preview(self, kind: str, printer: str, pdf: bytes) -> None:
        self.test_buttons[kind].setEnabled(True)
        self.test_status.setText("")
        if self.preview is not None:
            self.preview.close()
        self.preview = PrintPreview(pdf, f"Test page ({kind})", self._runner, self,
                                    on_print=lambda: self._print(kind, printer, pdf),
                                    printer_name=printer or DEFAULT_PRINTER)
        self.preview.setObjectName("testPagePreview")
        self.preview.open()  # window-modal, and the event loop carries on

    def _not_drawn(self, kind: str, error: BaseException) -> None:
        self.test_buttons[kind].setEnabled(True)
        self.test_status.setText(f"The test page could not be drawn: {reason_of(error)}")

    def _print(self, kind: str, printer: str, pdf: bytes) -> None:
        self.test_status.setText(f"Test page sent to {printer or DEFAULT_PRINTER}…")
        self._worker.submit(printer, "test_page", kind, pdf, owner=self,
                            on_queued=self._test_jobs.add)

    def _test_printed(self, job_id: str, where: str) -> None:
        if job_id in self._test_jobs:
            self._test_jobs.discard(job_id)
            self.test_status.setText(f"Test page printed: {where}")

    def _test_failed(self, job_id: str, _title: str, reason: str) -> None:
        if job_id in self._test_jobs:
            self.test_status.setText(f"The test page did not print: {reason} (listed below "
                                     "with a Retry)")

"""Getting a receipt out of the till: the register draws it as PDF, this prints it through Qt
print support on the receipt printer, or saves it as a file when a receipt directory is set
(``printer.receipt_dir`` or ``TILLPOINT_RECEIPT_DIR``: headless tills, tests, "print to PDF").

Nothing here runs on the UI thread: the PDF is drawn on the database worker (it reads the order)
and printed or written on the I/O pool; the outcome comes back as ``printed(path or printer)``
or ``failed(message)`` and as the controller's ``notice``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QSizeF, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from ui.tasks import TaskRunner
from ui.till.controller import TillController

log = logging.getLogger(__name__)

ENV_RECEIPT_DIR = "TILLPOINT_RECEIPT_DIR"
RECEIPT_DIR_SETTING = "printer.receipt_dir"
PRINTER_SETTING = "printer.receipt"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class PrintFailed(Exception):
    """The receipt could not be printed or saved; the message says why in words."""


def receipt_dir_from(settings: Any | None) -> Path | None:
    """The directory receipts are saved to instead of printed, if one is configured."""
    configured = os.environ.get(ENV_RECEIPT_DIR, "").strip()
    if not configured and settings is not None:
        try:
            configured = str(settings.get(RECEIPT_DIR_SETTING) or "").strip()
        except Exception:  # noqa: BLE001 - an older settings file without the key: none set
            configured = ""
    return Path(configured).expanduser() if configured else None


def save_pdf(pdf: bytes, directory: Path, name: str) -> Path:
    """Write ``pdf`` as ``<directory>/receipt-<name>.pdf`` atomically; returns the path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"receipt-{_UNSAFE.sub('_', name) or 'sale'}.pdf"
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def print_pdf(pdf: bytes, printer_name: str = "") -> str:
    """Print ``pdf`` on ``printer_name`` (empty: the system default); returns the printer used.

    Runs on a worker thread: QPainter may paint on a QPrinter off the GUI thread, and the PDF
    is rasterised page by page at the printer's resolution with QtPdf.
    """
    info = QPrinterInfo.printerInfo(printer_name) if printer_name else QPrinterInfo.defaultPrinter()
    if info.isNull():
        known = ", ".join(QPrinterInfo.availablePrinterNames()) or "none"
        wanted = f"printer {printer_name!r}" if printer_name else "a default printer"
        raise PrintFailed(f"Receipt not printed: {wanted} is not set up on this computer "
                          f"(printers: {known})")
    render_to_printer(pdf, QPrinter(info, QPrinter.PrinterMode.HighResolution))
    return info.printerName()


def render_to_printer(pdf: bytes, printer: QPrinter) -> None:
    """Lay every page of ``pdf`` on ``printer`` at its resolution (any thread)."""
    with tempfile.TemporaryDirectory(prefix="tillpoint-receipt-") as scratch:
        path = Path(scratch) / "receipt.pdf"
        path.write_bytes(pdf)
        document = QPdfDocument()
        try:
            if document.load(str(path)) != QPdfDocument.Error.None_:
                raise PrintFailed("Receipt not printed: the PDF could not be read back")
            _paint(document, printer)
        finally:
            document.close()


def _page_size(document: QPdfDocument, page: int) -> QPageSize:
    size = document.pagePointSize(page)
    return QPageSize(QSizeF(size.width(), size.height()), QPageSize.Unit.Point)


def _paint(document: QPdfDocument, printer: QPrinter) -> None:
    # a roll has no fixed page: each page prints at the size the receipt was drawn
    printer.setPageSize(_page_size(document, 0))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintFailed(f"Receipt not printed: {printer.printerName()} refused the job")
    try:
        dpi = printer.resolution()
        for page in range(document.pageCount()):
            if page:
                printer.setPageSize(_page_size(document, page))  # applies from the next page
                printer.newPage()
            size = document.pagePointSize(page)
            pixels = QSizeF(size.width() * dpi / 72, size.height() * dpi / 72).toSize()
            painter.drawImage(0, 0, document.render(page, pixels))
    finally:
        painter.end()


class ReceiptOutput(QObject):
    """Print or save a sale's receipt without the UI waiting: ``print_receipt(order_id)``."""

    printed = Signal(str)  # where it went: a file path or a printer's name
    failed = Signal(str)

    def __init__(self, controller: TillController, runner: TaskRunner, settings: Any | None = None,
                 parent: QObject | None = None, *, receipt_dir: Path | None = None) -> None:
        super().__init__(parent if parent is not None else controller)
        self._controller = controller
        self._runner = runner
        self._settings = settings
        self._receipt_dir = receipt_dir

    @property
    def receipt_dir(self) -> Path | None:
        return self._receipt_dir or receipt_dir_from(self._settings)

    def print_receipt(self, order_id: str, name: str | None = None,
                      on_done: Callable[[str], None] | None = None) -> None:
        """Draw the receipt (database worker), then print or save it (I/O pool)."""
        self._controller.call(
            "receipt_pdf", order_id,
            on_done=lambda pdf: self._output(pdf, name or order_id, on_done))

    def _output(self, pdf: bytes, name: str, on_done: Callable[[str], None] | None) -> None:
        directory = self.receipt_dir
        if directory is not None:
            work: Callable[[], str] = lambda: str(save_pdf(pdf, directory, name))
            said = "Receipt saved to {}"
        else:
            printer = str(self._settings.get(PRINTER_SETTING) or "") if self._settings else ""
            work = lambda: print_pdf(pdf, printer)
            said = "Receipt sent to {}"

        def succeeded(where: str) -> None:
            self._controller.notice.emit(said.format(where))
            self.printed.emit(where)
            if on_done is not None:
                on_done(where)

        self._runner.run(work, kind="io", label="till print receipt", owner=self,
                         on_success=succeeded, on_failure=self._failed)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, PrintFailed):
            message = str(error)
        elif isinstance(error, OSError):
            message = f"Receipt not saved: {error.strerror or error}"
        else:  # a bug: the runner logged it with its traceback
            message = "Receipt not printed; the error is in the log"
        self._controller.error.emit("receipt", message)
        self.failed.emit(message)

"""Printing a finished PDF on a system printer through Qt print support.

Qt cannot hand a PDF to a printer as it is: each page is rendered with QtPdf and painted on the
QPrinter, at the printer's resolution up to :data:`MAX_RENDER_DPI` (a 1200 dpi page of A4 would
be a 550 MB image; 300 dpi is past what a laser's toner or a label printer's head shows) and
scaled to the page, whose size is the PDF's own (a receipt roll has no fixed page).

Runs on a worker (the task runner's I/O pool): QPainter may paint on a QPrinter off the GUI
thread. Failures are :class:`app.printing.backends.PrinterError` in words.
"""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from app.printing.backends import OFFLINE, PrinterBackend, PrinterError, backend_for, check_pdf

log = logging.getLogger(__name__)

MAX_RENDER_DPI = 300
POINTS_PER_INCH = 72


class QtPrinterBackend:
    """A system printer by its name ("" is the system's default). ``make_printer`` replaces
    the lookup (tests print to a PDF-format QPrinter)."""

    def __init__(self, name: str = "", *,
                 make_printer: Callable[[], QPrinter] | None = None) -> None:
        self.name = name.strip()
        self._make_printer = make_printer
        #: the system's name of the printer the last document went to (the default's own)
        self.printer_name = ""

    def print_pdf(self, pdf: bytes, title: str) -> None:
        check_pdf(pdf)
        printer = self._make_printer() if self._make_printer else self._system_printer()
        printer.setDocName(title)
        paint_pdf(pdf, printer)
        self.printer_name = printer.printerName() or self.name

    def _system_printer(self) -> QPrinter:
        info = QPrinterInfo.printerInfo(self.name) if self.name else QPrinterInfo.defaultPrinter()
        if info.isNull():
            known = ", ".join(QPrinterInfo.availablePrinterNames()) or "none"
            wanted = f"printer {_named(self.name)}" if self.name else "a default printer"
            raise PrinterError(f"{wanted} is not set up on this computer", f"printers: {known}",
                               printer=self.name)
        if info.state() == QPrinter.PrinterState.Error:
            raise PrinterError(OFFLINE, f"{info.printerName()} reports an error",
                               printer=self.name)
        return QPrinter(info, QPrinter.PrinterMode.HighResolution)


def _named(name: str) -> str:
    # "printer Back Office Laser is not set up" reads as if 'printer Back' were the printer
    return repr(name) if any(ch.isspace() for ch in name) else name


def window_backend(printer: str, *, width: str = "80mm") -> PrinterBackend:
    """The backend the window prints with: ESC/POS, file and CUPS targets as everywhere,
    a plain system printer through Qt."""
    return backend_for(printer, width=width, system=QtPrinterBackend)


def paint_pdf(pdf: bytes, printer: QPrinter) -> None:
    """Lay every page of ``pdf`` on ``printer`` (any thread)."""
    data = QByteArray(bytes(pdf))
    buffer = QBuffer()
    buffer.setData(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    try:
        document.load(buffer)
        if document.status() != QPdfDocument.Status.Ready or document.pageCount() < 1:
            raise PrinterError("the document could not be read back", str(document.error()),
                               printer=printer.printerName())
        _paint(document, printer)
    finally:
        document.close()
        buffer.close()


def _page_size(document: QPdfDocument, page: int) -> QPageSize:
    size = document.pagePointSize(page)
    return QPageSize(QSizeF(size.width(), size.height()), QPageSize.Unit.Point)


def _paint(document: QPdfDocument, printer: QPrinter) -> None:
    printer.setPageSize(_page_size(document, 0))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        raise PrinterError(f"{printer.printerName() or 'the printer'} refused the job",
                           printer=printer.printerName())
    try:
        device_dpi = printer.resolution()
        dpi = min(device_dpi, MAX_RENDER_DPI)
        for page in range(document.pageCount()):
            if page:
                printer.setPageSize(_page_size(document, page))  # applies from the next page
                printer.newPage()
            points = document.pagePointSize(page)
            pixels = QSize(round(points.width() * dpi / POINTS_PER_INCH),
                           round(points.height() * dpi / POINTS_PER_INCH))
            target = QRectF(0, 0, points.width() * device_dpi / POINTS_PER_INCH,
                            points.height() * device_dpi / POINTS_PER_INCH)
            painter.drawImage(target, document.render(page, pixels))
    finally:
        painter.end()
    if printer.printerState() in (QPrinter.PrinterState.Error, QPrinter.PrinterState.Aborted):
        raise PrinterError(OFFLINE, f"{printer.printerName() or 'the printer'} stopped the job",
                           printer=printer.printerName())

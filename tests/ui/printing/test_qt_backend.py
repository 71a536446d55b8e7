"""The window's Qt printing, offscreen, on a PDF-format QPrinter (what "Print to PDF" is): the
printed file has the document's own page sizes and still scans; a printer that is not there is
said in words."""

from __future__ import annotations

import io

import pytest
from PySide6.QtPrintSupport import QPrinter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from app.printing.backends import CupsBackend, FileBackend, PrinterError
from app.printing.escpos_backend import EscPosBackend
from app.sales.receipt_code import receipt_code
from tests.support import pdf
from tests.ui.printing.conftest import WAIT_MS
from ui.printing.qt_backend import MAX_RENDER_DPI, QtPrinterBackend, window_backend


def pdf_printer(path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def test_a_receipt_printed_through_qt_keeps_its_roll_size_and_scans(qtbot, runner, sale, tmp_path):
    out = tmp_path / "printed.pdf"
    backend = QtPrinterBackend(make_printer=lambda: pdf_printer(out))
    future = runner.run(backend.print_pdf, sale["pdf"], f"Receipt {sale['number']}", kind="io")
    qtbot.waitUntil(future.done, timeout=WAIT_MS)
    assert future.exception() is None

    source, printed = pdf.load(sale["pdf"]), pdf.load(out.read_bytes())
    assert printed.pages == 1
    assert [round(v) for v in printed.size_mm()] == [round(v) for v in source.size_mm()]
    assert pdf.barcodes(printed.render()) == [("Code128", receipt_code(sale["id"],
                                                                        sale["number"]))]


def test_every_page_prints_at_its_own_size(qtbot, tmp_path):
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.drawString(72, 720, "page one, A4")
    canvas.showPage()
    canvas.setPageSize((4 * 72, 6 * 72))
    canvas.drawString(20, 200, "page two, a 4 x 6 in label")
    canvas.showPage()
    canvas.save()
    out = tmp_path / "printed.pdf"
    QtPrinterBackend(make_printer=lambda: pdf_printer(out)).print_pdf(buffer.getvalue(), "two")
    printed = pdf.load(out.read_bytes())
    assert printed.pages == 2
    assert [round(v) for v in printed.size_mm(0)] == [210, 297]
    assert [round(v) for v in printed.size_mm(1)] == [102, 152]
    # printed as pictures of the pages: the ink is where it was drawn (20 pt from the left)
    first, _last = pdf.ink_columns(printed.render(1, dpi=72))
    assert abs(first - 20) <= 2
    assert MAX_RENDER_DPI <= 300  # a 1200 dpi page is never rendered whole


def test_a_printer_that_is_not_set_up_is_said_in_words(qtbot, sale):
    with pytest.raises(PrinterError, match="printer Nowhere_Laser is not set up on this computer"):
        QtPrinterBackend("Nowhere_Laser").print_pdf(sale["pdf"], "Receipt")


def test_the_window_prints_system_printers_through_qt_and_the_rest_as_everywhere(tmp_path):
    assert isinstance(window_backend("Office_Laser"), QtPrinterBackend)
    assert window_backend("").name == ""
    assert isinstance(window_backend("escpos:net:10.0.0.7", width="58mm"), EscPosBackend)
    assert isinstance(window_backend(f"file:{tmp_path}"), FileBackend)
    assert isinstance(window_backend("cups:Office"), CupsBackend)

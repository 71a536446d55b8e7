"""Looking at PDFs the way a printer and a scanner would: pages rendered with Qt's QtPdf (the
same engine as the print preview) at a printer's resolution, text read back, and barcodes
decoded with zxing-cpp."""

from __future__ import annotations

import os
from dataclasses import dataclass

import zxingcpp
from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication

POINTS_PER_INCH = 72
THERMAL_DPI = 203  # receipt printers' usual resolution


def _app() -> QApplication:
    # A QApplication (not a bare QGuiApplication), so pytest-qt's widgets still work later in
    # the same process. Offscreen unless told otherwise: this also runs outside the suite.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QApplication.instance() or QApplication([])


@dataclass
class Pdf:
    """A loaded PDF; keep it while its pages are used (Qt reads from its buffer)."""

    document: QPdfDocument
    buffer: QBuffer
    data: QByteArray

    @property
    def pages(self) -> int:
        return self.document.pageCount()

    def size_mm(self, page: int = 0) -> tuple[float, float]:
        size = self.document.pagePointSize(page)
        return size.width() / POINTS_PER_INCH * 25.4, size.height() / POINTS_PER_INCH * 25.4

    def text(self, page: int = 0) -> str:
        return self.document.getAllText(page).text()

    def render(self, page: int = 0, dpi: int = THERMAL_DPI) -> QImage:
        size = self.document.pagePointSize(page)
        pixels = QSize(round(size.width() * dpi / POINTS_PER_INCH),
                       round(size.height() * dpi / POINTS_PER_INCH))
        image = self.document.render(page, pixels)
        # Pages have no background of their own: lay them on white paper.
        paper = QImage(image.size(), QImage.Format.Format_RGB32)
        paper.fill(0xFFFFFFFF)
        painter = QPainter(paper)
        painter.drawImage(0, 0, image)
        painter.end()
        return paper


def load(pdf: bytes) -> Pdf:
    _app()
    data = QByteArray(pdf)
    buffer = QBuffer()
    buffer.setData(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready:
        raise AssertionError(f"QtPdf could not read the PDF: {document.error()}")
    return Pdf(document, buffer, data)


def grey(image: QImage) -> Image.Image:
    """The image as 8-bit grey: 0 is ink, 255 is paper (Pillow, which zxing reads directly)."""
    g = image.convertToFormat(QImage.Format.Format_Grayscale8)
    raw = bytes(g.constBits())[:g.bytesPerLine() * g.height()]
    return Image.frombuffer("L", (g.width(), g.height()), raw, "raw", "L", g.bytesPerLine(), 1)


def barcodes(image: QImage, formats: zxingcpp.BarcodeFormat | None = None) -> list[tuple[str, str]]:
    """Every barcode zxing finds, as (format name, text)."""
    kwargs = {"formats": formats} if formats is not None else {}
    found = zxingcpp.read_barcodes(grey(image), **kwargs)
    return [(b.format.name, b.text) for b in found]


def ink_columns(image: QImage, threshold: int = 160) -> tuple[int, int]:
    """The first and last pixel columns with any ink: what was printed stays inside them."""
    box = grey(image).point(lambda v: 255 if v < threshold else 0).getbbox()
    if box is None:
        return -1, -1
    return box[0], box[2] - 1

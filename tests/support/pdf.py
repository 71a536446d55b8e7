"""Looking at PDFs the way a printer and a scanner would: pages rendered with Qt's QtPdf (the
same engine as the print preview) at a printer's resolution, text read back, and barcodes
decoded with zxing-cpp."""

from __future__ import annotations

import math
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


# -- nothing drawn where it cannot print --------------------------------------------------------
MM_PER_INCH = 25.4


def printable_columns(image: QImage, paper_mm: float, print_mm: float) -> tuple[int, int]:
    """The first and last pixel columns a print head ``print_mm`` wide, centred on paper
    ``paper_mm`` wide, reaches on ``image`` (rendered at any resolution)."""
    per_mm = image.width() / paper_mm
    margin = (paper_mm - print_mm) / 2 * per_mm
    return math.floor(margin), math.ceil(image.width() - margin) - 1


def ink_outside_columns(image: QImage, first: int, last: int, white: int = 250) -> list[int]:
    """The pixel columns left of ``first`` or right of ``last`` holding anything darker than
    ``white``: ink where the printer cannot print (empty when the margins are clean)."""
    paper = grey(image)
    columns: list[int] = []
    for box in ((0, 0, first, paper.height), (last + 1, 0, paper.width, paper.height)):
        if box[2] <= box[0]:
            continue
        margin = paper.crop(box).point(lambda v: 255 if v < white else 0)
        dark = margin.getbbox()
        if dark is not None:
            # every column of the margin band with ink (a band is a few dozen pixels wide)
            columns += [box[0] + x for x in range(dark[0], dark[2])
                        if margin.crop((x, 0, x + 1, margin.height)).getbbox() is not None]
    return columns


def assert_inside_print_width(doc: Pdf, paper_mm: float, print_mm: float,
                              dpi: int = THERMAL_DPI) -> None:
    """Every page of ``doc`` is white outside the ``print_mm`` the head reaches."""
    for page in range(doc.pages):
        image = doc.render(page, dpi)
        first, last = printable_columns(image, paper_mm, print_mm)
        stray = ink_outside_columns(image, first, last)
        assert not stray, (f"page {page}: ink outside the {print_mm} mm printable width "
                           f"(columns {first}–{last} of {image.width()}): {stray[:10]}")


def ink_beyond_page(pdf: bytes, grow: float = 72.0, dpi: int = 72) -> list[tuple[int, tuple]]:
    """Anything drawn outside its page's box, which every viewer and printer silently cuts
    off (a renderer of the page itself cannot show it): each page's box is grown by ``grow``
    points on every side, rendered with pdfium, and the ink found outside the original box is
    returned as (page, its bounding box in pixels of the grown page)."""
    import pypdfium2

    found: list[tuple[int, tuple]] = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            left, bottom, right, top = page.get_mediabox()
            page.set_mediabox(left - grow, bottom - grow, right + grow, top + grow)
            page.set_cropbox(left - grow, bottom - grow, right + grow, top + grow)
            scale = dpi / POINTS_PER_INCH
            image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            inset = round(grow * scale)
            ink = image.point(lambda v: 255 if v < 250 else 0)
            inside = (inset, inset, image.width - inset, image.height - inset)
            ink.paste(0, inside)  # blank the page itself: what is left lies beyond it
            box = ink.getbbox()
            if box is not None:
                found.append((index, box))
            page.close()
    finally:
        document.close()
    return found


def char_boxes(pdf: bytes, page: int = 0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every character drawn on ``page`` with its box (left, bottom, right, top) in points
    from the page's lower left corner, as pdfium reads them: where each letter actually
    landed, to show a wrapped name stays inside its column."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        text = document[page].get_textpage()
        out = []
        for index in range(text.count_chars()):
            char = text.get_text_range(index, 1)
            if char.strip():
                out.append((char, text.get_charbox(index)))
        return out
    finally:
        document.close()

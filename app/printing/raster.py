"""A PDF as a printer's dots, with PDFium (pypdfium2): what a receipt printer driven with ESC/POS
prints, since it cannot read a PDF itself. Also the title a PDF carries (the print queue shows it).

PDFium is not thread-safe: every call into it holds one lock, so the till's print workers and
the window's preview never use it at the same time.
"""

from __future__ import annotations

import threading

import pypdfium2 as pdfium
from PIL import Image

from app.domain.errors import InvalidInput

POINTS_PER_INCH = 72
THERMAL_DPI = 203  # receipt printers' usual resolution
#: grey below this is ink: a hard threshold keeps text and bars crisp (dithering blurs them)
INK_THRESHOLD = 160

_PDFIUM = threading.Lock()


def _open(pdf: bytes) -> pdfium.PdfDocument:
    if not isinstance(pdf, (bytes, bytearray)) or not pdf.startswith(b"%PDF-"):
        raise InvalidInput("is not a PDF document", field="pdf")
    try:
        return pdfium.PdfDocument(bytes(pdf))
    except pdfium.PdfiumError as exc:
        raise InvalidInput(f"cannot be read as a PDF ({exc})", field="pdf") from exc


def rasterise(pdf: bytes, *, dots: int, dpi: int = THERMAL_DPI) -> list[Image.Image]:
    """Each page of ``pdf`` as a 1-bit image at most ``dots`` wide (the print head's width).

    A roll's page is as wide as its paper, wider than the head reaches (80 mm paper, 72 mm of
    dots): the margins are cut off when they are blank, so the print keeps its exact size (and
    barcodes their bar widths); a page whose ink reaches beyond the head is scaled down to fit
    instead, so nothing is ever cut off.
    """
    if dots <= 0:
        raise InvalidInput("must be a positive number of dots", field="dots")
    pages: list[Image.Image] = []
    with _PDFIUM:
        document = _open(pdf)
        try:
            for index in range(len(document)):
                page = document[index]
                try:
                    bitmap = page.render(scale=dpi / POINTS_PER_INCH, grayscale=True,
                                         fill_color=(255, 255, 255, 255))
                    grey = bitmap.to_pil().convert("L")
                finally:
                    page.close()
                pages.append(_fit(grey, dots))
        finally:
            document.close()
    return pages


def _fit(grey: Image.Image, dots: int) -> Image.Image:
    width, height = grey.size
    if width > dots:
        left = (width - dots) // 2
        ink = _ink_box(grey)
        if ink is None or (ink[0] >= left and ink[2] <= left + dots):
            grey = grey.crop((left, 0, left + dots, height))
        else:
            grey = grey.resize((dots, max(1, round(height * dots / width))), Image.LANCZOS)
    return grey.point(lambda v: 255 if v >= INK_THRESHOLD else 0).convert("1")


def _ink_box(grey: Image.Image) -> tuple[int, int, int, int] | None:
    return grey.point(lambda v: 255 if v < INK_THRESHOLD else 0).getbbox()


def page_count(pdf: bytes) -> int:
    with _PDFIUM:
        document = _open(pdf)
        try:
            return len(document)
        finally:
            document.close()


def pdf_title(pdf: bytes) -> str:
    """The document's title ("Receipt S01-R01-000042"), or "" when it has none or is not a
    readable PDF (a title is only ever shown, never relied on)."""
    with _PDFIUM:
        try:
            document = _open(pdf)
        except InvalidInput:
            return ""
        try:
            return (document.get_metadata_value("Title") or "").strip()
        finally:
            document.close()

"""A printer's test page, per kind of document it is chosen for: on the receipt roll, on the
invoice paper (A4 or Letter) or on a 4×6 in label, so what is tested is what will print there.

It shows what a shop needs to see before trusting a printer: the printer's name, the edges of
the printable area (a frame, or on a roll the head's reach), the embedded font with accents,
Greek and Cyrillic, and a Code 128 sized in printer dots, as a receipt's order number is — a
scanner that reads it here reads the receipts.
"""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from app.domain.errors import InvalidInput
from app.printing.barcodes import code128_for_width
from app.printing.fonts import BOLD, FONT
from app.printing.page import MARGIN, paper_size
from app.printing.roll import RollDocument, printable, roll_for, wrap

KINDS = ("receipt", "invoice", "label")
SAMPLE = "Crème brûlée · Ελληνικά · Кириллица · Øresund · 0123456789"
LABEL_SIZE = (4 * inch, 6 * inch)
LABEL_MARGIN = inch / 8


def page_code(now: datetime) -> str:
    """What the test page's barcode carries: scanning it proves the printer and the scanner."""
    return f"TP{now:%y%m%d%H%M}"


def render_test_page(kind: str, *, printer: str, now: datetime, width: str = "80mm",
                     paper: str = "A4") -> bytes:
    """The test page for a printer chosen for ``kind`` (receipt: on a ``width`` roll; invoice:
    on ``paper``; label: 4×6 in)."""
    if kind not in KINDS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(KINDS)}", field="kind")
    where = printer.strip() or "the system's default printer"
    if kind == "receipt":
        return _roll_page(where, now, width)
    size, margin = (LABEL_SIZE, LABEL_MARGIN) if kind == "label" else (paper_size(paper), MARGIN)
    return _sheet_page(kind, where, now, size, margin)


def _title(kind: str, where: str) -> str:
    return f"Test page — {kind}s on {where}"


def _roll_page(where: str, now: datetime, width: str) -> bytes:
    roll = roll_for(width)
    doc = RollDocument(roll)
    doc.banner("TEST PAGE")
    doc.text(f"Receipts on {where}", bold=True, align="center")
    doc.text(f"{now:%Y-%m-%d %H:%M}", align="center")
    doc.rule()
    doc.text(f"Roll {roll.paper_mm:g} mm, printed {roll.print_mm:g} mm wide: the rules below "
             "reach the edges of what the head prints.")
    doc.rule()
    doc.text(SAMPLE)
    doc.pair("Total", "1 234,56")
    doc.rule()
    doc.barcode(page_code(now))
    return doc.pdf(title=_title("receipt", where))


def _sheet_page(kind: str, where: str, now: datetime, size: tuple[float, float],
                margin: float) -> bytes:
    page_width, page_height = size
    inner = page_width - 2 * margin
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=size, invariant=True, pageCompression=1)
    c.setTitle(_title(kind, where))
    c.setCreator("Tillpoint")
    c.setLineWidth(1)
    c.rect(margin, margin, inner, page_height - 2 * margin)  # the printable area, as drawn
    x, y = margin + 8, page_height - margin - 24
    c.setFont(BOLD, 16)
    c.drawString(x, y, "TEST PAGE")
    lines = [f"{kind.capitalize()}s on {where}", f"{now:%Y-%m-%d %H:%M}",
             "The frame is drawn on the margins every document keeps.", SAMPLE]
    size_pt = 10
    c.setFont(FONT, size_pt)
    for text in lines:
        for line in wrap(printable(text), inner - 16, size=size_pt):
            y -= size_pt * 1.4
            c.drawString(x, y, line)
    code = page_code(now)
    symbol = code128_for_width(code, inner - 16, inner, 0.5 * inch)
    if symbol is not None:
        y -= symbol.height + 12
        symbol.drawOn(c, margin + (inner - symbol.width) / 2, y)
    c.drawCentredString(page_width / 2, y - size_pt * 1.4, code)
    c.showPage()
    c.save()
    return buffer.getvalue()

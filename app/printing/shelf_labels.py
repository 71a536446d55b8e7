"""Shelf and price labels: an A4 (or Letter) sheet of 3 × 8 labels of 70 × 37 mm (the common
label sheets), one per variant, each with the product's name (wrapped over up to three lines,
the last one ellipsised), the variant, the price in the store's currency and its barcode —
EAN-13 when the variant has one (in-house items get one when they are created), Code 128
otherwise, the SKU when it has none. Many variants run over as many sheets as they need.

The document kind is ``shelf_labels``; its reference is the variants' ids, comma separated.
"""

from __future__ import annotations

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.barcodes import is_valid_gtin
from app.domain.errors import InvalidInput, NotFound
from app.domain.money import format_amount
from app.printing.fonts import BOLD, FONT
from app.printing.page import paper_size, wrap_words
from app.printing.roll import printable
from app.sales.identity import this_register
from db.models import Barcode, Product, Variant

COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70 * mm, 37 * mm
PAD = 3 * mm
NAME_SIZE, PRICE_SIZE, SMALL = 8.5, 16, 6.5
NAME_LINES = 3
BAR_HEIGHT = 11 * mm
MAX_LABELS = 2400  # 100 sheets


def _codes(session: Session, variant_ids: list[str]) -> dict[str, str]:
    """Each variant's barcode to print: its first valid EAN-13, else its first code."""
    chosen: dict[str, str] = {}
    for variant_id, code in session.execute(
            select(Barcode.variant_id, Barcode.code)
            .where(Barcode.variant_id.in_(variant_ids)).order_by(Barcode.code)):
        best = chosen.get(variant_id)
        ean = len(code) == 13 and is_valid_gtin(code)
        if best is None or (ean and not (len(best) == 13 and is_valid_gtin(best))):
            chosen[variant_id] = code
    return chosen


def label_ids(ref: str) -> list[str]:
    ids = [part.strip() for part in ref.split(",") if part.strip()]
    if not ids:
        raise InvalidInput("name at least one variant", field="variants")
    if len(ids) > MAX_LABELS:
        raise InvalidInput(f"at most {MAX_LABELS} labels at once", field="variants")
    return ids


def render_shelf_labels(session: Session, ref: str, *, paper: str = "A4") -> bytes:
    """The label sheet(s) of the variants named in ``ref`` (ids, comma separated), in that
    order; an unknown id raises ``NotFound`` naming it."""
    width, height = paper_size(paper)
    ids = label_ids(ref)
    store, _ = this_register(session)
    rows = {v.id: (v, p) for v, p in session.execute(
        select(Variant, Product).join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(f"no variant {missing[0]}", field="variants")
    codes = _codes(session, ids)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"Shelf labels ({len(ids)})")
    canvas.setAuthor(store.name)
    left = (width - COLUMNS * LABEL_W) / 2
    top = height - (height - ROWS * LABEL_H) / 2
    for n, variant_id in enumerate(ids):
        if n and n % (COLUMNS * ROWS) == 0:
            canvas.showPage()
        slot = n % (COLUMNS * ROWS)
        x = left + (slot % COLUMNS) * LABEL_W
        y = top - (slot // COLUMNS + 1) * LABEL_H
        variant, product = rows[variant_id]
        _label(canvas, x, y, product.name, variant.name, format_amount(variant.price,
               store.currency), store.currency, codes.get(variant_id), variant.sku)
    canvas.save()
    return buffer.getvalue()


def _fit_lines(text: str, width: float) -> list[str]:
    lines = wrap_words(text, width, NAME_SIZE)
    if len(lines) <= NAME_LINES:
        return lines
    last = lines[NAME_LINES - 1]
    while last and stringWidth(last + "…", FONT, NAME_SIZE) > width:
        last = last[:-1]
    return lines[:NAME_LINES - 1] + [last.rstrip() + "…"]


def _label(canvas: Canvas, x: float, y: float, name: str, variant: str, price: str,
           currency: str, code: str | None, sku: str) -> None:
    inner = LABEL_W - 2 * PAD
    text_top = y + LABEL_H - PAD - NAME_SIZE
    canvas.setFont(BOLD, NAME_SIZE)
    for i, line in enumerate(_fit_lines(name, inner)):
        canvas.drawString(x + PAD, text_top - i * (NAME_SIZE + 1.5), line)
    if variant:
        canvas.setFont(FONT, SMALL)
        canvas.drawString(x + PAD, text_top - NAME_LINES * (NAME_SIZE + 1.5) + 1,
                          printable(variant)[:60])
    canvas.setFont(BOLD, PRICE_SIZE)
    canvas.drawRightString(x + LABEL_W - PAD, y + PAD + 1, price)
    canvas.setFont(FONT, SMALL)
    canvas.drawRightString(x + LABEL_W - PAD, y + PAD + PRICE_SIZE + 1, currency)
    if code is None:
        canvas.setFont(FONT, SMALL)
        canvas.drawString(x + PAD, y + PAD, printable(sku))
        return
    if len(code) == 13 and is_valid_gtin(code):
        drawing = createBarcodeDrawing("EAN13", value=code[:12], barHeight=BAR_HEIGHT,
                                       barWidth=0.33 * mm, humanReadable=True, fontName=FONT,
                                       fontSize=SMALL)
    else:
        drawing = createBarcodeDrawing("Code128", value=code, barHeight=BAR_HEIGHT,
                                       barWidth=0.3 * mm, humanReadable=True, quiet=False,
                                       fontName=FONT, fontSize=SMALL)
    room = inner - stringWidth(price, BOLD, PRICE_SIZE) - 2 * mm
    if drawing.width > room:  # a long Code 128 is squeezed, never drawn into the price
        drawing.scale(room / drawing.width, 1)
        drawing.width = room
    renderPDF.draw(drawing, canvas, x + PAD, y + PAD - 1)

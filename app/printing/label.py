"""Shipping labels, 4×6 in, one page per parcel.

Top to bottom: the carrier and service, the sender (the shop), the recipient in the largest
print that fits, the weight, "parcel n of m" and the order (also as a QR code carrying the
order number), and the tracking number as Code 128 with its text. Label printers print at
203 dpi, so the barcode's bars and the QR code's modules are whole printer dots wide.

``render_label`` takes plain data (``LabelData``), never the database: the back office can
print online orders from the server's view later through the same function. Every line is
wrapped (and shrunk, down to a smallest readable size) to its box before it is drawn; what
still does not fit is refused, naming the field, instead of being drawn off the label.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Callable

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, NotFound
from app.printing.barcodes import DOT, code128_for_width
from app.printing.fonts import BOLD, FONT
from app.printing.roll import printable, text_width, wrap
from app.sales.identity import this_register
from app.shipping.address import MAX_LINES, MIN_LINES, sender_lines
from app.shipping.carriers import carrier_title
from db.models import Order, Shipment, Store

PAGE_WIDTH, PAGE_HEIGHT = 4 * inch, 6 * inch
MARGIN = inch / 8
WIDTH = PAGE_WIDTH - 2 * MARGIN
LEADING = 1.2
MAX_PARCELS = 20
TO_SIZES = (16, 15, 14, 13, 12, 11, 10, 9, 8, 7)
FROM_SIZES = (8, 7.5, 7, 6.5, 6, 5.5)
SERVICE_SIZES = tuple(float(size) for size in range(20, 9, -1))
CARRIER_SIZES = (10.0, 9.0, 8.0, 7.0)
INFO_MIN = 6.0  # the smallest print of the weight, parcel and order figures
# heights of the fixed bands, in points, top to bottom (the recipient takes what is left)
HEADER_H, FROM_H, INFO_H, BARCODE_H = 36.0, 58.0, 82.0, 84.0
BAR_HEIGHT = 60.0
QR_MAX = 76.0


@dataclass(frozen=True, slots=True)
class LabelData:
    """Everything a label shows, as printed (``service`` e.g. "EXPRESS")."""

    order_number: str
    tracking_number: str
    carrier: str
    service: str
    weight_grams: int
    parcels: int
    ship_to: tuple[str, ...]  # the recipient's name first
    ship_from: tuple[str, ...]  # the shop's name first
    shipped_on: date | None = None
    copy: bool = False  # a reprint


@dataclass(frozen=True, slots=True)
class _Block:
    size: float
    lines: tuple[tuple[str, bool], ...]  # (text, bold)

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING


def _fit(lines: tuple[str, ...], width: float, height: float, sizes: tuple[float, ...],
         *, bold_first: bool) -> _Block | None:
    """The largest size at which ``lines``, wrapped to ``width``, fit ``height``."""
    for size in sizes:
        out: list[tuple[str, bool]] = []
        for n, line in enumerate(lines):
            bold = bold_first and n == 0
            out += [(part, bold) for part in wrap(line, width, bold=bold, size=size)]
        block = _Block(size, tuple(out))
        if block.height <= height:
            return block
    return None


def _to_box_height() -> float:
    return PAGE_HEIGHT - 2 * MARGIN - HEADER_H - FROM_H - INFO_H - BARCODE_H - 18


def _fit_to(ship_to: tuple[str, ...]) -> _Block:
    block = _fit(ship_to, WIDTH - 8, _to_box_height(), TO_SIZES, bold_first=True)
    if block is None:
        raise InvalidInput("is too long to fit the label even in small print: shorten it",
                           field="ship_to")
    return block


def _fit_from(ship_from: tuple[str, ...]) -> _Block:
    block = _fit(ship_from, WIDTH - 8, FROM_H - 12, FROM_SIZES, bold_first=True)
    if block is None:
        raise InvalidInput("the shop's name and address are too long for a label's sender "
                           "block: shorten the store's address", field="ship_from")
    return block


def check_addresses(ship_to: tuple[str, ...], ship_from: tuple[str, ...]) -> None:
    """Refuse addresses a label could not hold (``InvalidInput`` naming the field)."""
    if not MIN_LINES <= len(ship_to) <= MAX_LINES or not all(
            isinstance(line, str) and line.strip() for line in ship_to):
        raise InvalidInput(f"needs {MIN_LINES} to {MAX_LINES} lines: the name, then the "
                           "address", field="ship_to")
    if not ship_from or not all(isinstance(line, str) and line.strip() for line in ship_from):
        raise InvalidInput("needs at least the shop's name", field="ship_from")
    _fit_to(ship_to)
    _fit_from(ship_from)


def format_weight(grams: int) -> str:
    if grams < 1000:
        return f"{grams} g"
    kilos, rest = divmod(grams, 1000)
    return f"{kilos}.{rest:03d}".rstrip("0").rstrip(".") + " kg"


def _check(data: LabelData) -> None:
    for field in ("order_number", "tracking_number", "carrier", "service"):
        value = getattr(data, field)
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("must not be empty", field=field)
    for field, value, longest in (("order_number", data.order_number, 40),
                                  ("tracking_number", data.tracking_number, 60)):
        if len(value) > longest or not value.isascii() or not value.isprintable():
            raise InvalidInput(f"must be at most {longest} printable ASCII characters (it is "
                               "printed as a barcode)", field=field)
    for field, value, high in (("weight_grams", data.weight_grams, 10**7),
                               ("parcels", data.parcels, MAX_PARCELS)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
            raise InvalidInput(f"must be a whole number from 1 to {high}", field=field)
    check_addresses(tuple(data.ship_to), tuple(data.ship_from))


def render_label(data: LabelData) -> bytes:
    """The label of ``data`` as a PDF, one 4×6 in page per parcel."""
    _check(data)
    to_block, from_block = _fit_to(tuple(data.ship_to)), _fit_from(tuple(data.ship_from))
    header = _fit_header(data)
    symbol = code128_for_width(data.tracking_number, WIDTH, PAGE_WIDTH, BAR_HEIGHT)
    if symbol is None:
        raise InvalidInput("is too long for a scannable barcode on a 4 in label",
                           field="tracking_number")
    qr = _qr_modules(data.order_number)
    if text_width(printable(data.order_number), True, INFO_MIN) > _qr_geometry(qr)[2]:
        raise InvalidInput("is too long to print beside the label's QR code",
                           field="order_number")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True, pageCompression=1)
    canvas.setTitle(f"Label {data.tracking_number} (order {data.order_number})")
    canvas.setAuthor(data.ship_from[0])
    canvas.setCreator("Tillpoint")
    for parcel in range(1, data.parcels + 1):
        _page(canvas, data, parcel, header, to_block, from_block,
              lambda c, x, y: symbol.drawOn(c, x, y), symbol.width, qr)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _page(c: Canvas, data: LabelData, parcel: int, header: _Header, to_block: _Block,
          from_block: _Block, draw_barcode: Callable[[Canvas, float, float], None], barcode_width: float,
          qr: list[list[bool]]) -> None:
    left, right, top = MARGIN, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN
    _header(c, data, header, top)
    y = top - HEADER_H
    _rule(c, y, 1.5)
    y = _block(c, "FROM", from_block, y - 3, label_size=6.5)
    y = top - HEADER_H - FROM_H
    _rule(c, y, 0.75)
    _block(c, "SHIP TO", to_block, y - 3, label_size=8)
    info_top = MARGIN + BARCODE_H + INFO_H
    _rule(c, info_top, 2)
    _info(c, data, parcel, info_top, qr)
    _rule(c, MARGIN + BARCODE_H, 0.75)
    draw_barcode(c, (PAGE_WIDTH - barcode_width) / 2, MARGIN + 18)
    _text(c, data.tracking_number, (left + right) / 2, MARGIN + 4, size=11, bold=True,
          align="center")


@dataclass(frozen=True, slots=True)
class _Header:
    service: str
    service_size: float
    carrier: str
    carrier_size: float
    room: float  # what the service leaves on the left, for the carrier and the date


def _largest_size(text: str, width: float, sizes: tuple[float, ...], field: str) -> float:
    """The first of ``sizes`` (largest first) ``text`` fits ``width`` in, in bold; a name
    that does not fit even the smallest is refused: cut off, it could name another carrier
    or service."""
    for size in sizes:
        if text_width(text, True, size) <= width:
            return size
    raise InvalidInput("is too long to fit the label's header even in small print: shorten it",
                       field=field)


def _fit_header(data: LabelData) -> _Header:
    service = printable(data.service.upper())
    service_size = _largest_size(service, WIDTH / 2, SERVICE_SIZES, "service")
    room = WIDTH - text_width(service, True, service_size) - 8
    carrier = printable(data.carrier)
    return _Header(service, service_size, carrier,
                   _largest_size(carrier, room, CARRIER_SIZES, "carrier"), room)


def _header(c: Canvas, data: LabelData, header: _Header, top: float) -> None:
    _text(c, header.service, PAGE_WIDTH - MARGIN, top - header.service_size,
          size=header.service_size, bold=True, align="right")
    _text(c, header.carrier, MARGIN, top - 11, size=header.carrier_size, bold=True)
    room = header.room
    second = " · ".join(part for part in (
        "COPY" if data.copy else "", data.shipped_on.isoformat() if data.shipped_on else "")
        if part)
    if second:
        _text(c, wrap(second, room, bold=data.copy, size=8)[0], MARGIN, top - 24, size=8,
              bold=data.copy)


def _block(c: Canvas, label: str, block: _Block, top: float, *, label_size: float) -> float:
    _text(c, label, MARGIN, top - label_size, size=label_size, bold=True)
    y = top - label_size * LEADING - 1
    for line, bold in block.lines:
        _text(c, line, MARGIN + 8, y - block.size, size=block.size, bold=bold)
        y -= block.size * LEADING
    return y


def _info(c: Canvas, data: LabelData, parcel: int, top: float, qr: list[list[bool]]) -> None:
    module, side, column = _qr_geometry(qr)
    qr_x, qr_y = PAGE_WIDTH - MARGIN - side, top - 3 - side
    _draw_qr(c, qr, qr_x, qr_y, module)
    y = top - 4
    rows = (("WEIGHT", format_weight(data.weight_grams), 11.0),
            ("PARCEL", f"{parcel} of {data.parcels}", 14.0),
            ("ORDER", data.order_number, 9.0))
    for caption, value, size in rows:
        _text(c, caption, MARGIN, y - 6, size=6, bold=True)
        while size > INFO_MIN and text_width(printable(value), True, size) > column:
            size -= 0.5
        _text(c, printable(value), MARGIN, y - 7 - size, size=size, bold=True)
        y -= 8 + size * LEADING + 2


def _qr_geometry(qr: list[list[bool]]) -> tuple[float, float, float]:
    """The QR code's module and side in points, and the width left of it for the figures."""
    modules = len(qr) + 8  # with the four-module quiet zone the standard asks for
    dots = max(int(QR_MAX / (modules * DOT)), 1)
    side = modules * dots * DOT
    return dots * DOT, side, WIDTH - side - 6


def _qr_modules(value: str) -> list[list[bool]]:
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(value)
    code.make()
    return [[bool(m) for m in row] for row in code.modules]


def _draw_qr(c: Canvas, modules: list[list[bool]], x: float, y: float, module: float) -> None:
    """Dark runs of each row as one rectangle (far fewer drawing operations than modules)."""
    size = len(modules) + 8
    c.setFillGray(0)
    for r, row in enumerate(modules):
        row_y = y + (size - 4 - r - 1) * module
        start = None
        for col, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                c.rect(x + (4 + start) * module, row_y, (col - start) * module, module,
                       stroke=0, fill=1)
                start = None


def _rule(c: Canvas, y: float, width: float) -> None:
    c.setLineWidth(width)
    c.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)


def _text(c: Canvas, text: str, x: float, baseline: float, *, size: float, bold: bool = False,
          align: str = "left") -> None:
    c.setFont(BOLD if bold else FONT, size)
    if align == "right":
        c.drawRightString(x, baseline, text)
    elif align == "center":
        c.drawCentredString(x, baseline, text)
    else:
        c.drawString(x, baseline, text)


def label_data(session: Session, shipment_id: str, *, copy: bool = False) -> LabelData:
    """What the label of a shipment shows, from the local store: the address and order number
    as the shipment kept them (an online order's may since have left this till)."""
    shipment = session.get(Shipment, shipment_id) if isinstance(shipment_id, str) else None
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id}", field="shipment")
    order = session.get(Order, shipment.order_id) if shipment.order_id else None
    store = session.get(Store, order.store_id) if order is not None else \
        this_register(session)[0]
    return LabelData(order_number=shipment.order_number or order.number,
                     tracking_number=shipment.tracking_number,
                     carrier=carrier_title(shipment.carrier), service=shipment.service.upper(),
                     weight_grams=shipment.weight_grams, parcels=shipment.parcels,
                     ship_to=tuple(shipment.ship_to.split("\n")),
                     ship_from=sender_lines(store.name, store.address),
                     shipped_on=(shipment.printed_at or shipment.created_at).date(), copy=copy)

"""Laying text out on a receipt roll: a column of lines as wide as the printer prints, as long
as the content (a roll has no page height), drawn with reportlab.

Everything is wrapped to the printable width before it is drawn, so nothing can run off the
paper: long words are broken, and characters the embedded font has no glyph for are replaced by
their plain letter (or ``?``) instead of printing as empty boxes.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from app.domain.errors import InvalidInput
from app.printing.barcodes import DOT, code128_for_width
from app.printing.fonts import BOLD, FONT
from app.printing.fonts import GLYPHS as _GLYPHS


#: Acrobat's largest page is 200 in; a longer receipt continues on another page of the roll.
MAX_PAGE_HEIGHT = 14_000.0
LEADING = 1.25


@dataclass(frozen=True, slots=True)
class Roll:
    name: str
    paper_mm: float
    print_mm: float  # what the print head reaches: 72 mm of an 80 mm roll, 48 of a 58 mm one
    font_size: float
    barcode_mm: float  # bar height

    @property
    def paper(self) -> float:
        return self.paper_mm * mm

    @property
    def width(self) -> float:
        return self.print_mm * mm

    @property
    def left(self) -> float:
        return (self.paper - self.width) / 2

    # Text and rules stay a printer dot inside what the head reaches: a glyph's edge (W, V)
    # overshoots its box a little, and anti-aliased or rounded outwards it would put ink on
    # the dot just outside. A barcode may use the whole width (its bars are whole dots).
    @property
    def text_left(self) -> float:
        return self.left + DOT

    @property
    def text_width(self) -> float:
        return self.width - 2 * DOT


ROLLS = {"80mm": Roll("80mm", 80, 72, 8.5, 12), "58mm": Roll("58mm", 58, 48, 7.5, 10)}


def roll_for(width: str) -> Roll:
    roll = ROLLS.get(width)
    if roll is None:
        raise InvalidInput(f"{width!r} is not a receipt width ({', '.join(ROLLS)})", field="width")
    return roll


def printable(text: object) -> str:
    """``text`` as the font can print it, on one line."""
    out: list[str] = []
    for ch in str(text):
        if ch.isspace():
            out.append(" ")
        elif ord(ch) in _GLYPHS:
            out.append(ch)
        elif ch.isprintable():
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch)
                            if ord(c) in _GLYPHS and not unicodedata.combining(c))
            out.append(plain or "?")
    return "".join(out)


def text_width(text: str, bold: bool, size: float) -> float:
    return pdfmetrics.stringWidth(text, BOLD if bold else FONT, size)


def wrap(text: str, width: float, *, bold: bool = False, size: float) -> list[str]:
    """Greedy word wrap to ``width`` points; a word longer than a line is broken."""
    def fits(s: str) -> bool:
        return text_width(s, bold, size) <= width

    lines: list[str] = []
    current = ""
    for word in printable(text).split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        while not fits(word):
            cut = 1
            while fits(word[:cut + 1]):
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


@dataclass(slots=True)
class _Item:
    height: float
    draw: Callable[[Canvas, float], None]  # given the y of the item's top edge


@dataclass
class RollDocument:
    """Rows added top to bottom, then :meth:`pdf`."""

    roll: Roll
    items: list[_Item] = field(default_factory=list)

    def text(self, text: str, *, align: str = "left", bold: bool = False,
             scale: float = 1.0, indent: float = 0.0) -> None:
        size = self.roll.font_size * scale
        for line in wrap(text, self.roll.text_width - indent, bold=bold, size=size):
            self.items.append(_Item(size * LEADING, self._text_drawer(line, align, bold, size,
                                                                      indent)))

    def pair(self, left: str, right: str, *, bold: bool = False, scale: float = 1.0,
             indent: float = 0.0) -> None:
        """``left`` wrapped on the left, ``right`` flush right on its last line."""
        size = self.roll.font_size * scale
        right = printable(right)
        right_width = text_width(right, bold, size)
        room = self.roll.text_width - indent - right_width - size
        if room < self.roll.text_width / 3:  # an amount too wide to share takes its own line
            self.text(left, bold=bold, scale=scale, indent=indent)
            self.text(right, align="right", bold=bold, scale=scale)
            return
        lines = wrap(left, room, bold=bold, size=size)
        for line in lines[:-1]:
            self.items.append(_Item(size * LEADING, self._text_drawer(line, "left", bold, size,
                                                                      indent)))
        last, x_right = lines[-1], self.roll.text_left + self.roll.text_width

        def draw(c: Canvas, top: float) -> None:
            baseline = top - size
            c.setFont(BOLD if bold else FONT, size)
            c.drawString(self.roll.text_left + indent, baseline, last)
            c.drawRightString(x_right, baseline, right)

        self.items.append(_Item(size * LEADING, draw))

    def rule(self) -> None:
        size = self.roll.font_size

        def draw(c: Canvas, top: float) -> None:
            y = top - size * 0.5
            c.setDash(2, 2)
            c.setLineWidth(0.5)
            c.line(self.roll.text_left, y, self.roll.text_left + self.roll.text_width, y)
            c.setDash()

        self.items.append(_Item(size, draw))

    def banner(self, text: str, *, scale: float = 1.4) -> None:
        """``text`` in white on a black band across the printable width: a mark (COPY, GIFT
        RECEIPT) nobody misses, and no scissors or tape can hide without showing it."""
        size = self.roll.font_size * scale
        lines = wrap(text, self.roll.text_width - size, bold=True, size=size)
        pad = size * 0.3
        height = len(lines) * size * LEADING + 2 * pad
        left, width = self.roll.text_left, self.roll.text_width

        def draw(c: Canvas, top: float) -> None:
            c.saveState()
            c.setFillGray(0)
            c.rect(left, top - height, width, height, stroke=0, fill=1)
            c.setFillGray(1)
            c.setFont(BOLD, size)
            for n, line in enumerate(lines):
                baseline = top - pad - size * LEADING * n - size
                c.drawCentredString(left + width / 2, baseline + size * 0.1, line)
            c.restoreState()

        self.items.append(_Item(height, draw))
        self.space(size * 0.3)

    def space(self, points: float) -> None:
        self.items.append(_Item(points, lambda c, top: None))

    def barcode(self, value: str, text: str | None = None) -> None:
        """A Code 128 of ``value``, centred, with ``text`` (default: the value) under it."""
        symbol = code128_for_width(value, self.roll.width, self.roll.paper,
                                   self.roll.barcode_mm * mm)
        if symbol is not None:
            x = (self.roll.paper - symbol.width) / 2  # its quiet zones may reach the margins
            self.items.append(_Item(symbol.height,
                                    lambda c, top: symbol.drawOn(c, x, top - symbol.height)))
        self.text(value if text is None else text, align="center")

    def pdf(self, *, title: str, author: str = "") -> bytes:
        top_margin, bottom_margin = 4 * mm, 8 * mm  # the bottom leaves room to tear the roll
        buffer = io.BytesIO()
        canvas = Canvas(buffer, invariant=True, pageCompression=1)
        canvas.setTitle(title)
        canvas.setAuthor(author)
        canvas.setCreator("Tillpoint")
        for page in self._pages(MAX_PAGE_HEIGHT - top_margin - bottom_margin):
            height = top_margin + sum(item.height for item in page) + bottom_margin
            canvas.setPageSize((self.roll.paper, height))
            y = height - top_margin
            for item in page:
                item.draw(canvas, y)
                y -= item.height
            canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    def _pages(self, limit: float) -> list[list[_Item]]:
        pages: list[list[_Item]] = [[]]
        used = 0.0
        for item in self.items:
            if pages[-1] and used + item.height > limit:
                pages.append([])
                used = 0.0
            pages[-1].append(item)
            used += item.height
        return pages

    def _text_drawer(self, line: str, align: str, bold: bool, size: float,
                     indent: float) -> Callable[[Canvas, float], None]:
        left, right = self.roll.text_left + indent, self.roll.text_left + self.roll.text_width

        def draw(c: Canvas, top: float) -> None:
            baseline = top - size
            c.setFont(BOLD if bold else FONT, size)
            if align == "center":
                c.drawCentredString((left + right) / 2, baseline, line)
            elif align == "right":
                c.drawRightString(right, baseline, line)
            else:
                c.drawString(left, baseline, line)

        return draw

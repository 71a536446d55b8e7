"""The frame of a document on A4 or Letter paper, drawn with reportlab's platypus: a running
header (who and what) and a footer with "Page n of m" on every page, margins a laser printer
reaches, and the parts documents are made of — wrapped paragraphs and tables whose columns are
as wide as their widest figure, so nothing is cut off or drawn past the margin.

"Page n of m" needs m before the first page is finished: the canvas keeps each finished page
and draws the header and footer on all of them once the last one is known (one pass, not two).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table

from app.domain.errors import InvalidInput
from app.printing.fonts import BOLD, FONT
from app.printing.roll import printable, wrap

PAPERS: dict[str, tuple[float, float]] = {"A4": A4, "Letter": LETTER}
#: wider than any office printer's unprintable edge (about 5 mm), so the whole page prints
MARGIN = 16 * mm
RUNNING_SIZE = 7.5
RUNNING_ROOM = 10 * mm  # between the margin and the body, for the running header and footer
CELL_PAD = 3  # points left and right of a table cell's text
GREY = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.6, 0.6, 0.6)
SHADE = colors.Color(0.92, 0.92, 0.92)


def _style(name: str, size: float, *, bold: bool = False, right: bool = False,
           color=colors.black) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=BOLD if bold else FONT, fontSize=size,
                          leading=size * 1.25, alignment=TA_RIGHT if right else 0,
                          textColor=color, splitLongWords=1)


STYLES = {
    "title": _style("title", 16, bold=True),
    "heading": _style("heading", 9.5, bold=True),
    "body": _style("body", 9),
    "bold": _style("bold", 9, bold=True),
    "small": _style("small", 7.5, color=GREY),
    "cell": _style("cell", 8),
    "cell_bold": _style("cell_bold", 8, bold=True),
    "right": _style("right", 9, right=True),
    "mark": _style("mark", 11, bold=True, color=colors.white),
}


def paper_size(paper: str) -> tuple[float, float]:
    size = PAPERS.get(paper)
    if size is None:
        raise InvalidInput(f"{paper!r} is not a paper size ({', '.join(PAPERS)})", field="paper")
    return size


def body_width(paper: str) -> float:
    return paper_size(paper)[0] - 2 * MARGIN


def para(text: str, style: str = "body") -> Paragraph:
    """``text`` (line breaks kept) as a paragraph that wraps to its column, in characters the
    font has (its markup characters escaped: a name is never read as a tag)."""
    markup = "<br/>".join(escape(printable(line)) for line in text.splitlines() or [""])
    return Paragraph(markup, STYLES[style])


def wrap_words(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap to ``width`` points, each word measured once (the font has no kerning,
    so a line is as wide as its words and spaces); a word longer than a line is broken."""
    space = stringWidth(" ", FONT, size)
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in printable(text).split():
        word_width = stringWidth(word, FONT, size)
        if current and used + space + word_width <= width:
            current.append(word)
            used += space + word_width
            continue
        if current:
            lines.append(" ".join(current))
        if word_width > width:
            *whole, word = wrap(word, width, size=size)  # rare: broken letter by letter
            lines += whole
            word_width = stringWidth(word, FONT, size)
        current, used = [word], word_width
    if current:
        lines.append(" ".join(current))
    return lines or [""]


class TextCell(Flowable):
    """Text wrapped to its table column, and a smaller grey line under it: a light stand-in
    for a paragraph in each of hundreds of rows (a table asks every cell for its height several
    times; this wraps once per width, a paragraph parses its markup and wraps each time)."""

    def __init__(self, text: str, small: str = "", *, size: float = 8.0) -> None:
        super().__init__()
        self.text, self.small, self.size = text, small, size
        self._laid: tuple[float, list[tuple[str, float]]] | None = None

    def _lines(self, width: float) -> list[tuple[str, float]]:
        if self._laid is None or self._laid[0] != width:
            lines = [(line, self.size) for line in wrap_words(self.text, width, self.size)]
            if self.small:
                small = self.size * 0.8
                lines += [(line, small) for line in wrap_words(self.small, width, small)]
            self._laid = (width, lines)
        return self._laid[1]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        self.height = sum(size * 1.2 for _, size in self._lines(availWidth))
        return self.width, self.height

    def draw(self) -> None:
        y = self.height
        for line, size in self._lines(self.width):
            y -= size * 1.2
            self.canv.setFont(FONT, size)
            self.canv.setFillColor(colors.black if size == self.size else GREY)
            self.canv.drawString(0, y + size * 0.22, line)


# -- tables ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Column:
    title: str
    right: bool = True  # figures line up on the right
    flex: bool = False  # takes the width the others leave (and wraps)


def column_widths(columns: list[Column], rows: list[list[object]], width: float,
                  size: float) -> list[float]:
    """Each fixed column as wide as its widest text (header included); the flexible ones share
    the rest. Figures never wrap, so a column is never narrower than its longest amount."""
    fixed = []
    for index, column in enumerate(columns):
        if column.flex:
            fixed.append(None)
            continue
        texts = [column.title] + [str(row[index]) for row in rows if isinstance(row[index], str)]
        fixed.append(max(stringWidth(printable(t), BOLD, size) for t in texts) + 2 * CELL_PAD)
    flexible = [i for i, w in enumerate(fixed) if w is None]
    room = width - sum(w for w in fixed if w is not None)
    if flexible and room < width * 0.25:
        raise InvalidInput("the figures are too wide for the page", field="lines")
    share = room / len(flexible) if flexible else 0
    return [share if w is None else w for w in fixed]


def table(columns: list[Column], rows: list[list[object]], *, width: float, size: float = 8,
          total_rows: int = 0, shade_header: bool = True) -> Table:
    """A table with ``columns``' titles as its header, repeated on every page it runs over;
    the last ``total_rows`` rows are set in bold above a rule."""
    header = [para(c.title, "cell_bold") if c.flex else printable(c.title) for c in columns]
    body = [[printable(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    widths = column_widths(columns, rows, width, size)
    style = [("FONT", (0, 0), (-1, 0), BOLD, size), ("FONT", (0, 1), (-1, -1), FONT, size),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
             ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
             ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black)]
    if shade_header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    for index, column in enumerate(columns):
        if column.right:
            style.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
    if rows and not total_rows:
        style.append(("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE))
    if total_rows and len(rows) >= total_rows:
        first = len(rows) - total_rows + 1
        style += [("FONT", (0, first), (-1, -1), BOLD, size),
                  ("LINEABOVE", (0, first), (-1, first), 0.6, colors.black)]
    return Table([header] + body, colWidths=widths, repeatRows=1, style=style, hAlign="LEFT")


def copy_mark(text: str, width: float) -> Table:
    """``text`` in white on a black band across the page: a reprint nobody takes for the
    original."""
    return Table([[para(text, "mark")]], colWidths=[width], hAlign="LEFT",
                 style=[("BACKGROUND", (0, 0), (-1, -1), colors.black),
                        ("TOPPADDING", (0, 0), (-1, -1), 3),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                        ("LEFTPADDING", (0, 0), (-1, -1), 2 * CELL_PAD)])


def pairs(rows: list[tuple[str, str]], *, width: float, size: float = 9,
          bold_last: bool = False) -> Table:
    """Label and amount pairs, right-aligned on the page (a totals block)."""
    label_width = max(stringWidth(printable(l), BOLD, size) for l, _ in rows) + 2 * CELL_PAD
    value_width = max(stringWidth(printable(v), BOLD, size) for _, v in rows) + 2 * CELL_PAD
    label_width = min(label_width, width - value_width)
    style = [("FONT", (0, 0), (-1, -1), FONT, size), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
             ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
             ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
             ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]
    if bold_last:
        style += [("FONT", (0, -1), (-1, -1), BOLD, size * 1.15),
                  ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                  ("TOPPADDING", (0, -1), (-1, -1), 4)]
    cells = [[para(label, "body"), printable(value)] for label, value in rows]
    return Table(cells, colWidths=[label_width, value_width], style=style, hAlign="RIGHT")


# -- the document ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Running:
    """What every page repeats: the header's left and right, the footer's left."""

    header_left: str
    header_right: str
    footer_left: str = ""


def _numbered_canvas(running: Running):
    class NumberedCanvas(Canvas):
        """Keeps finished pages until the last one, then stamps "Page n of m" on each."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._finished: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._finished.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._finished)
            for state in self._finished:
                self.__dict__.update(state)
                self._stamp(total)
                super().showPage()
            super().save()

        def _stamp(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFont(FONT, RUNNING_SIZE)
            self.setFillColor(GREY)
            top = height - MARGIN - RUNNING_SIZE
            page = f"Page {self._pageNumber} of {total}"
            right = printable(running.header_right)
            room = width - 2 * MARGIN - stringWidth(right, FONT, RUNNING_SIZE) - 12
            self.drawString(MARGIN, top, _fit(printable(running.header_left), room))
            self.drawRightString(width - MARGIN, top, right)
            room = width - 2 * MARGIN - stringWidth(page, FONT, RUNNING_SIZE) - 12
            self.drawString(MARGIN, MARGIN, _fit(printable(running.footer_left), room))
            self.drawRightString(width - MARGIN, MARGIN, page)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.4)
            self.line(MARGIN, top - 3, width - MARGIN, top - 3)
            self.line(MARGIN, MARGIN + RUNNING_SIZE + 2, width - MARGIN,
                      MARGIN + RUNNING_SIZE + 2)
            self.restoreState()

    return NumberedCanvas


def _fit(text: str, width: float) -> str:
    """``text`` cut (with an ellipsis) to ``width`` points: a running line never wraps."""
    if stringWidth(text, FONT, RUNNING_SIZE) <= width:
        return text
    while text and stringWidth(text + "…", FONT, RUNNING_SIZE) > width:
        text = text[:-1]
    return text + "…"


def build_pdf(story: list[Flowable], *, paper: str, title: str, author: str,
              running: Running) -> bytes:
    """The PDF of ``story`` on ``paper``, every page inside the margins."""
    size = paper_size(paper)
    buffer = io.BytesIO()
    document = BaseDocTemplate(buffer, pagesize=size, title=printable(title),
                               author=printable(author), creator="Tillpoint", invariant=1,
                               pageCompression=1, leftMargin=MARGIN, rightMargin=MARGIN,
                               topMargin=MARGIN, bottomMargin=MARGIN)
    frame = Frame(MARGIN, MARGIN + RUNNING_ROOM, size[0] - 2 * MARGIN,
                  size[1] - 2 * MARGIN - 2 * RUNNING_ROOM, leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0, id="body")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame], pagesize=size)])
    document.build(story, canvasmaker=_numbered_canvas(running))
    return buffer.getvalue()

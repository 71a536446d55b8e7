"""The stock count sheet: every variant the store stocks, grouped by category, with the
quantity the till expects and an empty box for the clerk to write what is on the shelf.

A4 or Letter (the store's invoice paper). Each category is a table whose name and column
titles repeat on every page it runs over, so a loose page still says what it counts; the store,
the date and "Page n of m" are on every page. Nothing is cut off: a name, SKU or barcode too
long for its column wraps inside it (long words broken) instead of running into the next.

Figures come from the stock levels as they are when the sheet is drawn: print it when the
count starts, and the difference written in the boxes is what the count corrects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Spacer, Table
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.domain.quantity import format_quantity
from app.printing.fonts import BOLD, FONT
from app.printing.figures import COPY_MARK, local_time
from app.printing.page import (CELL_PAD, RULE, SHADE, Running, body_width, build_pdf,
                               copy_mark, para, paper_size)
from app.printing.roll import printable
from app.sales.identity import this_register
from db.models import Barcode, Category, Product, StockLevel, Store, Variant

SIZE = 8  # points: the table's text
NO_CATEGORY = "No category"
#: fixed column widths; the name takes what is left of the page's width
SKU_WIDTH, BARCODE_WIDTH, EXPECTED_WIDTH, COUNTED_WIDTH = 30 * mm, 32 * mm, 20 * mm, 26 * mm
BOX_HEIGHT = 6.5 * mm


@dataclass(frozen=True, slots=True)
class SheetRow:
    sku: str
    barcodes: tuple[str, ...]
    name: str
    expected: str


def render_stock_sheet(session: Session, *, paper: str, category_id: str | None = None,
                       now: datetime | None = None, copy: bool = False) -> bytes:
    """The count sheet of the whole store, or of one category and the categories under it.
    ``copy``: a reprint, marked COPY on every page (its quantities are those of now)."""
    paper_size(paper)  # a wrong paper is refused before anything is read
    store, _ = this_register(session)
    categories = {c.id: c for c in session.scalars(select(Category))}
    if category_id is not None and category_id not in categories:
        raise NotFound(f"no category {category_id}", field="category")
    scope = (_path(categories, category_id) if category_id is not None else "All categories")
    groups = _rows_by_category(session, store, categories, category_id)
    at = local_time(now or datetime.now(timezone.utc), store.timezone)
    story = _title(store, scope, at, groups)
    if copy:
        story.insert(1, copy_mark(COPY_MARK, body_width(paper)))
    width = body_width(paper)
    for name, rows in groups:
        story.append(_category_table(name, rows, width))
        story.append(Spacer(1, 4 * mm))
    if not groups:
        story.append(para("Nothing to count here: no products in stock records.", "body"))
    story += [Spacer(1, 8 * mm),
              para("Counted by: ______________________   Checked by: ______________________"
                   "   Date: ____________", "body")]
    mark = f" · {COPY_MARK}" if copy else ""
    running = Running(f"{store.name} · Stock count · {scope}{mark}", at,
                      "Write what is on the shelf in the box; leave no box empty (write 0).")
    return build_pdf(story, paper=paper, title=f"Stock count {scope} {at}{mark}",
                     author=store.name, running=running)


# -- what is counted -------------------------------------------------------------------------
def _path(categories: dict[str, Category], category_id: str | None) -> str:
    names: list[str] = []
    seen: set[str] = set()
    while category_id is not None and category_id in categories and category_id not in seen:
        seen.add(category_id)  # a loop in the tree (a sync mix-up) must not hang the till
        names.append(categories[category_id].name)
        category_id = categories[category_id].parent_id
    return " › ".join(reversed(names)) if names else NO_CATEGORY


def _sort_key(categories: dict[str, Category], category_id: str | None) -> tuple:
    """Categories in the order the back office arranged them (position, then name), each
    under its parent; products without a category come last."""
    chain: list[tuple[int, str]] = []
    seen: set[str] = set()
    while category_id is not None and category_id in categories and category_id not in seen:
        seen.add(category_id)
        category = categories[category_id]
        chain.append((category.position, category.name.casefold()))
        category_id = category.parent_id
    return (0, tuple(reversed(chain))) if chain else (1, ())


def _subtree(categories: dict[str, Category], root: str) -> set[str]:
    children: dict[str | None, list[str]] = defaultdict(list)
    for category in categories.values():
        children[category.parent_id].append(category.id)
    found, todo = set(), [root]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += children[current]
    return found


def _rows_by_category(session: Session, store: Store, categories: dict[str, Category],
                      category_id: str | None) -> list[tuple[str, list[SheetRow]]]:
    where = [Variant.archived.is_(False), Product.archived.is_(False)]
    if category_id is not None:
        where.append(Product.category_id.in_(_subtree(categories, category_id)))
    level = and_(StockLevel.variant_id == Variant.id, StockLevel.store_id == store.id)
    found = session.execute(
        select(Variant.id, Variant.sku, Variant.name, Product.name, Product.category_id,
               Product.sold_by_weight, StockLevel.quantity_milli)
        .join(Product, Product.id == Variant.product_id).outerjoin(StockLevel, level)
        .where(*where)).all()
    codes: dict[str, list[str]] = defaultdict(list)
    for variant_id, code in session.execute(
            select(Barcode.variant_id, Barcode.code).join(Variant, Variant.id == Barcode.variant_id)
            .join(Product, Product.id == Variant.product_id).where(*where)
            .order_by(Barcode.code)):
        codes[variant_id].append(code)
    grouped: dict[str | None, list[tuple[tuple, SheetRow]]] = defaultdict(list)
    for variant_id, sku, variant_name, product_name, cat, weighed, milli in found:
        name = f"{product_name} — {variant_name}" if variant_name else product_name
        quantity = format_quantity(milli or 0)
        row = SheetRow(sku, tuple(codes[variant_id]), name,
                       f"{quantity} kg" if weighed else quantity)
        grouped[cat].append(((name.casefold(), sku), row))
    ordered = sorted(grouped, key=lambda cat: (_sort_key(categories, cat),
                                               _path(categories, cat).casefold()))
    return [(_path(categories, cat), [row for _, row in sorted(grouped[cat],
                                                               key=lambda item: item[0])])
            for cat in ordered]


# -- drawing ---------------------------------------------------------------------------------
class CountBox(Flowable):
    """The empty box the clerk writes the counted quantity in."""

    def __init__(self, width: float, height: float = BOX_HEIGHT) -> None:
        super().__init__()
        self.box_width, self.box_height = width, height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.box_width, self.box_height

    def draw(self) -> None:
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, 0, self.box_width, self.box_height, stroke=1, fill=0)


def _title(store: Store, scope: str, at: str,
           groups: list[tuple[str, list[SheetRow]]]) -> list[Flowable]:
    count = sum(len(rows) for _, rows in groups)
    return [para("Stock count", "title"), Spacer(1, 2 * mm),
            para(store.name, "bold"),
            *([para(store.address, "body")] if store.address else []),
            para(f"{scope} · {count} item{'s' if count != 1 else ''} in "
                 f"{len(groups)} categor{'ies' if len(groups) != 1 else 'y'} · printed {at}",
                 "small"),
            Spacer(1, 5 * mm)]


def _cell(text: str, width: float, style: str = "cell") -> str | Paragraph:
    """Plain text when it fits its column (quick to lay out), a wrapping paragraph when not."""
    text = printable(text)
    if stringWidth(text, BOLD if style == "cell_bold" else FONT, SIZE) <= width - 2 * CELL_PAD:
        return text
    return para(text, style)


def _barcodes_cell(codes: tuple[str, ...], width: float) -> str | Paragraph:
    if not codes:
        return ""
    if len(codes) == 1:
        return _cell(codes[0], width)
    return para("\n".join(codes), "cell")


def _category_table(name: str, rows: list[SheetRow], width: float) -> Table:
    name_width = width - SKU_WIDTH - BARCODE_WIDTH - EXPECTED_WIDTH - COUNTED_WIDTH
    widths = [SKU_WIDTH, BARCODE_WIDTH, name_width, EXPECTED_WIDTH, COUNTED_WIDTH]
    header = [para(name, "cell_bold"), "", "", "", ""]
    titles = ["SKU", "Barcode", "Name", "Expected", "Counted"]
    body = [[_cell(row.sku, SKU_WIDTH), _barcodes_cell(row.barcodes, BARCODE_WIDTH),
             _cell(row.name, name_width), _cell(row.expected, EXPECTED_WIDTH),
             CountBox(COUNTED_WIDTH - 2 * CELL_PAD)]
            for row in rows]
    style = [("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
             ("FONT", (0, 1), (-1, 1), BOLD, SIZE), ("FONT", (0, 2), (-1, -1), FONT, SIZE),
             ("LINEBELOW", (0, 1), (-1, 1), 0.6, colors.black),
             ("LINEBELOW", (0, 2), (-1, -1), 0.25, RULE),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("ALIGN", (3, 1), (3, -1), "RIGHT"), ("ALIGN", (4, 1), (4, 1), "CENTER"),
             ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
             ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    # the category's name and the column titles repeat on every page the table runs over,
    # and a page never ends on them without at least one row under them
    return Table([header, titles] + body, colWidths=widths, repeatRows=2, style=style,
                 hAlign="LEFT")

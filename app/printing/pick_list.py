"""The pick list: what to take off the shelves for a batch of orders to ship, one row per item
(the same item of several orders added up), with its barcode to scan at the shelf, the
quantity, an empty box to tick and the orders it goes into — so one walk through the shop
picks them all, and the orders' numbers say which parcel each piece goes in.

A4 or Letter (the store's invoice paper); the store, the date and "Page n of m" on every
page, the column titles repeated. Drawn from ``app.back_office.orders.fulfilment.pick_list``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table
from sqlalchemy.orm import Session

from app.domain.quantity import format_quantity
from app.printing.figures import local_time
from app.printing.fonts import BOLD
from app.printing.page import (CELL_PAD, RULE, SHADE, Running, body_width, build_pdf, para,
                               paper_size)
from app.printing.roll import printable
from app.sales.identity import this_register

SIZE = 8
SKU_WIDTH, BARCODE_WIDTH, QTY_WIDTH, BOX_WIDTH, ORDERS_WIDTH = (26 * mm, 54 * mm, 14 * mm,
                                                                 10 * mm, 32 * mm)
#: 0.3 mm bars: a 13-digit code fits its column and scans off laser paper
MODULE = 0.3 * mm
BAR_HEIGHT = 9 * mm


class TickBox(Flowable):
    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 5 * mm, 5 * mm

    def draw(self) -> None:
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, 0, 5 * mm, 5 * mm, stroke=1, fill=0)


def _barcode(code: str) -> Flowable | str:
    if not code or not code.isascii() or not code.isprintable():
        return printable(code)
    symbol = Code128(code, barWidth=MODULE, barHeight=BAR_HEIGHT, humanReadable=True,
                     fontSize=6, quiet=1, lquiet=10 * MODULE, rquiet=10 * MODULE)
    symbol.hAlign = "LEFT"
    # a code too long for bars that scan is printed as text (typed in at the shelf instead)
    return symbol if symbol.width <= BARCODE_WIDTH - 2 * CELL_PAD else printable(code)


def render_pick_list(session: Session, ref: str, *, paper: str,
                     now: datetime | None = None) -> bytes:
    """The pick list of the orders whose ids ``ref`` names, comma separated."""
    from app.back_office.orders.fulfilment import pick_list  # the document's data

    paper_size(paper)
    store, _ = this_register(session)
    picked = pick_list(session, [part.strip() for part in ref.split(",")])
    at = local_time(now or datetime.now(timezone.utc), store.timezone)
    width = body_width(paper)
    count = len(picked.orders)
    story: list[Flowable] = [
        para("Pick list", "title"), Spacer(1, 2 * mm), para(store.name, "bold"),
        para(f"{count} order{'s' if count != 1 else ''} · {len(picked.rows)} "
             f"item{'s' if len(picked.rows) != 1 else ''} · printed {at}", "small"),
        Spacer(1, 2 * mm),
        para(" · ".join(f"{o.number} {o.ship_to}".strip() for o in picked.orders), "body"),
        Spacer(1, 4 * mm)]
    name_width = width - SKU_WIDTH - BARCODE_WIDTH - QTY_WIDTH - BOX_WIDTH - ORDERS_WIDTH
    titles = ["Product", "SKU", "Barcode", "Qty", "", "Orders"]
    body = [[para(row.name, "cell"), para(row.sku, "cell"), _barcode(row.barcode),
             format_quantity(row.quantity_milli), TickBox(),
             para("\n".join(row.orders), "cell")] for row in picked.rows]
    style = [("FONT", (0, 0), (-1, 0), BOLD, SIZE),
             ("BACKGROUND", (0, 0), (-1, 0), SHADE),
             ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
             ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (3, 0), (3, -1), "RIGHT"),
             ("FONT", (3, 1), (3, -1), BOLD, 11),
             ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
             ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
             ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    story.append(Table([titles] + body, repeatRows=1, hAlign="LEFT", style=style,
                       colWidths=[name_width, SKU_WIDTH, BARCODE_WIDTH, QTY_WIDTH, BOX_WIDTH,
                                  ORDERS_WIDTH]))
    running = Running(f"{store.name} · Pick list", at, "Tick each item as it goes in its box.")
    return build_pdf(story, paper=paper, title=f"Pick list {at}", author=store.name,
                     running=running)

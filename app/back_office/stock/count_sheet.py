"""The count sheet of one stock count: the count's own lines with the expected figures frozen
when it started (not today's levels, which sales keep moving), and a box for what is on the
shelf. Drawn like the store's count sheet (``app.printing.stock_sheet``), on the invoice paper."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.printing.figures import local_time
from app.printing.page import Running, body_width, build_pdf, para, paper_size
from app.printing.stock_sheet import SheetRow, _category_table
from app.back_office.stock.quantities import shown
from app.sales.identity import this_register
from db.models import Barcode, Product, StockCount, StockCountLine, Variant


def render_count_sheet(session: Session, count_id: str, *, paper: str,
                       now: datetime | None = None) -> bytes:
    paper_size(paper)
    count = session.get(StockCount, count_id) if isinstance(count_id, str) else None
    if count is None:
        raise NotFound(f"no stock count {count_id!r}", field="count")
    store, _ = this_register(session)
    found = session.execute(
        select(Variant.id, Variant.sku, Product.name, Variant.name, Product.sold_by_weight,
               StockCountLine.expected_milli)
        .select_from(StockCountLine).join(Variant, Variant.id == StockCountLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(StockCountLine.count_id == count.id).order_by(Product.name, Variant.sku)).all()
    codes: dict[str, list[str]] = defaultdict(list)
    for variant_id, code in session.execute(
            select(Barcode.variant_id, Barcode.code)
            .join(StockCountLine, StockCountLine.variant_id == Barcode.variant_id)
            .where(StockCountLine.count_id == count.id).order_by(Barcode.code)):
        codes[variant_id].append(code)
    rows = [SheetRow(sku, tuple(codes[vid]), f"{product} — {variant}" if variant else product,
                     shown(expected, by_weight=weighed))
            for vid, sku, product, variant, weighed, expected in found]
    at = local_time(now or datetime.now(timezone.utc), store.timezone)
    started = local_time(count.started_at, store.timezone)
    width = body_width(paper)
    story = [para("Stock count", "title"), Spacer(1, 2 * mm), para(store.name, "bold"),
             para(f"{count.scope} · {len(rows)} item{'s' if len(rows) != 1 else ''} · "
                  f"started {started} · printed {at}", "small"),
             para("Expected: what the till's ledger said when the count started.", "small"),
             Spacer(1, 5 * mm), _category_table(count.scope, rows, width),
             Spacer(1, 8 * mm),
             para("Counted by: ______________________   Checked by: ______________________",
                  "body")]
    running = Running(f"{store.name} · Stock count · {count.scope}", at,
                      "Write what is on the shelf in the box; leave no box empty (write 0).")
    return build_pdf(story, paper=paper, title=f"Stock count {count.scope} {started}",
                     author=store.name, running=running)

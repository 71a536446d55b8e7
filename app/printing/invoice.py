"""Invoices and credit notes as PDF on A4 or Letter.

An invoice shows the seller (the store: name, address, tax number) and the buyer as copied at
issue, its number and dates, every line with quantity, unit price, discount, tax rate and
amount, the taxes per rate with what they were charged on, the totals and how it was paid (of
a card only its brand and last four digits). A credit note shows the lines of its refund, the
tax given back per rate, where the money went, and the invoice it corrects.

Every figure is the order's (or the refund's) own, as recorded: nothing is priced again. Line
amounts are in the store's convention (tax included or not, as the header says); the totals
always show the amount without tax, the tax and the total. Credit notes are negative. A
discount is always shown as a negative amount, on an invoice and a credit note alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from reportlab.platypus import Flowable, KeepTogether, Spacer, Table
from reportlab.lib.units import mm
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.domain.money import format_amount, round_half_up
from app.domain.quantity import format_quantity
from app.domain.rates import format_percent
from app.printing.figures import (COPY_MARK, TaxByRate, local_time, refund_taxes_by_rate,
                                  refund_tender_label, taxes_by_rate, tender_label,
                                  weighed_variants)
from app.printing.page import (CELL_PAD, Column, Running, TextCell, body_width, build_pdf,
                               copy_mark, pairs, para, table)
from db.models import Invoice, Order, OrderLine, Refund, StaffUser, Store
Money = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class _Context:
    """What every part of one document needs."""

    invoice: Invoice
    order: Order
    store: Store
    money: Money
    width: float
    weighed: frozenset[str]
    copy: bool


def render_invoice(session: Session, invoice_id: str, *, paper: str = "A4",
                   copy: bool = False) -> bytes:
    """The invoice or credit note ``invoice_id`` on ``paper`` ("A4" or "Letter"). ``copy``: a
    reprint, marked COPY under the title and in every page's header (the original is the one
    the buyer was given)."""
    width = body_width(paper)  # the paper is checked before anything is read
    invoice = session.get(Invoice, invoice_id) if isinstance(invoice_id, str) else None
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}", field="invoice")
    order = session.get(Order, invoice.order_id)
    store = session.get(Store, invoice.store_id)
    ctx = _Context(invoice, order, store, lambda minor: format_amount(minor, order.currency),
                   width, weighed_variants(session, order.lines), copy)
    if invoice.kind == "credit_note":
        story, title = _credit_note(session, ctx), f"Credit note {invoice.number}"
    else:
        story, title = _invoice(session, ctx), f"Invoice {invoice.number}"
    footer = " · ".join(p for p in (store.name, f"Tax no. {store.tax_number}"
                                    if store.tax_number else "") if p)
    header = f"{title} · {COPY_MARK}" if copy else title
    return build_pdf(story, paper=paper, title=header, author=store.name,
                     running=Running(store.name, header, footer))


# -- the two documents ---------------------------------------------------------------------
def _invoice(session: Session, ctx: _Context) -> list[Flowable]:
    order, money = ctx.order, ctx.money
    details = [("Invoice no.", ctx.invoice.number),
               ("Invoice date", local_time(ctx.invoice.issued_at, ctx.store.timezone,
                                           with_time=False)),
               ("Sale", order.number),
               ("Sale date", local_time(order.created_at, ctx.store.timezone))]
    cashier = session.get(StaffUser, order.staff_id) if order.staff_id else None
    if cashier is not None:
        details.append(("Served by", cashier.name))
    story = _head(ctx, "INVOICE", details)
    rows = [_sale_row(line, ctx) for line in order.lines]
    story.append(table(_line_columns(ctx), rows, width=ctx.width))
    story += _convention_note(ctx)

    totals = [("Subtotal", money(order.subtotal))]
    if order.line_discount_total:
        totals.append(("Line discounts", money(-order.line_discount_total)))
    if order.order_discount_total:
        totals.append(("Order discount", money(-order.order_discount_total)))
    if order.coupon_discount_total or order.coupon_code:
        totals.append((f"Coupon {order.coupon_code or ''}".strip(),
                       money(-order.coupon_discount_total)))
    totals += [("Total excl. tax", money(order.total - order.tax_total)),
               ("Tax", money(order.tax_total)),
               (f"Total ({order.currency})", money(order.total))]
    # what each tender paid of this invoice: cash handed over beyond it was change
    payments = [[tender_label(p), money(p.amount)] for p in order.payments]
    payments.append(["Paid", money(sum(p.amount for p in order.payments))])
    story += _totals_block(ctx, totals, taxes_by_rate(order.lines))
    story.append(KeepTogether([
        para("Payments", "heading"), Spacer(0, 1.5 * mm),
        table([Column("Paid with", right=False, flex=True), Column("Amount")], payments,
              width=ctx.width * 0.6, total_rows=1)]))
    return story


def _credit_note(session: Session, ctx: _Context) -> list[Flowable]:
    record = session.get(Refund, ctx.invoice.refund_id)
    corrected = session.get(Invoice, ctx.invoice.invoice_id)
    money, zone = ctx.money, ctx.store.timezone
    details = [("Credit note no.", ctx.invoice.number),
               ("Date", local_time(ctx.invoice.issued_at, zone, with_time=False)),
               ("Corrects invoice", corrected.number),
               ("Invoice date", local_time(corrected.issued_at, zone, with_time=False)),
               ("Refund", record.number),
               ("Refund date", local_time(record.created_at, zone)),
               ("Sale", ctx.order.number)]
    story = _head(ctx, "CREDIT NOTE", details)
    story.append(para(f"This credit note corrects invoice {corrected.number}: the lines below "
                      "were returned and their amounts credited.", "body"))
    story.append(Spacer(0, 3 * mm))
    lines = {line.id: line for line in ctx.order.lines}
    rows = []
    for returned in sorted(record.lines, key=lambda r: lines[r.order_line_id].line_no):
        line = lines[returned.order_line_id]
        rows.append(_refund_row(line, returned.quantity_milli,
                                _in_convention(ctx, returned.amount, returned.tax), ctx))
    story.append(table(_line_columns(ctx), rows, width=ctx.width))
    story += _convention_note(ctx)
    totals = [("Total excl. tax", money(-(record.amount - record.tax))),
              ("Tax", money(-record.tax)),
              (f"Total credited ({ctx.order.currency})", money(-record.amount))]
    by_rate = [(name, rate, -taxable, -tax)  # given back: negative, as the whole note is
               for name, rate, taxable, tax in refund_taxes_by_rate(record, ctx.order.lines)]
    story += _totals_block(ctx, totals, by_rate)
    back = [[refund_tender_label(paid_back, ctx.order.payments), money(paid_back.amount)]
            for paid_back in record.payments]
    parts: list[Flowable] = [para("Refunded to", "heading"), Spacer(0, 1.5 * mm),
                             table([Column("Paid back as", right=False, flex=True),
                                    Column("Amount")], back, width=ctx.width * 0.6)]
    if record.reason:
        parts += [Spacer(0, 2 * mm), para(f"Reason: {record.reason}", "body")]
    story.append(KeepTogether(parts))
    return story


# -- parts ---------------------------------------------------------------------------------
def _head(ctx: _Context, title: str, details: list[tuple[str, str]]) -> list[Flowable]:
    """The title, the seller and buyer side by side, then the document's numbers and dates."""
    store, invoice = ctx.store, ctx.invoice
    seller = [para("Seller", "small"), para(store.name, "bold")]
    if store.address.strip():
        seller.append(para(store.address))
    if store.tax_number:
        seller.append(para(f"Tax no. {store.tax_number}"))
    buyer = [para("Buyer", "small"), para(invoice.buyer_name, "bold")]
    if invoice.buyer_address.strip():
        buyer.append(para(invoice.buyer_address))
    if invoice.buyer_tax_number:
        buyer.append(para(f"Tax no. {invoice.buyer_tax_number}"))
    half = ctx.width / 2
    parties = Table([[seller, buyer]], colWidths=[half, half], hAlign="LEFT",
                    style=[("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD * 2)])
    cells = [[para(label, "small"), para(value, "body")] for label, value in details]
    facts = Table(cells, colWidths=[30 * mm, ctx.width - 30 * mm], hAlign="LEFT",
                  style=[("VALIGN", (0, 0), (-1, -1), "TOP"),
                         ("LEFTPADDING", (0, 0), (-1, -1), 0),
                         ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                         ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)])
    story: list[Flowable] = [para(f"{title}  {invoice.number}", "title")]
    if ctx.copy:
        issued = local_time(invoice.issued_at, store.timezone, with_time=False)
        story += [Spacer(0, 2 * mm), copy_mark(f"{COPY_MARK} — a reprint of the {title.lower()} "
                                                 f"issued on {issued}", ctx.width)]
    return story + [Spacer(0, 5 * mm), parties, Spacer(0, 5 * mm), facts, Spacer(0, 6 * mm)]


def _line_columns(ctx: _Context) -> list[Column]:
    amount = "Amount incl. tax" if ctx.order.prices_include_tax else "Amount excl. tax"
    return [Column("#"), Column("Description", right=False, flex=True), Column("Qty"),
            Column("Unit price"), Column("Discount"), Column("Tax"), Column(amount)]


def _sale_row(line: OrderLine, ctx: _Context) -> list[object]:
    discount = line.line_discount + line.order_discount + line.coupon_discount
    quantity, unit = _quantity(line, line.quantity_milli, ctx)
    amount = line.gross - discount  # the line's net in the store's convention
    return [str(line.line_no), TextCell(line.name, line.sku), quantity, unit,
            _discount(ctx, discount), _rates(line), ctx.money(amount)]


def _refund_row(line: OrderLine, quantity_milli: int, amount: int,
                ctx: _Context) -> list[object]:
    """A returned line, credited: its discount is what the sale took off the part returned."""
    quantity, unit = _quantity(line, quantity_milli, ctx)
    gross = (line.gross if quantity_milli == line.quantity_milli
             else round_half_up(Decimal(line.gross) * quantity_milli / line.quantity_milli))
    discount = gross - amount
    return [str(line.line_no), TextCell(line.name, line.sku), quantity, unit,
            _discount(ctx, discount), _rates(line), ctx.money(-amount)]


def _discount(ctx: _Context, discount: int) -> str:
    """A line's discount as taken off its price: negative on an invoice and a credit note
    alike, so the column reads the same way on both (the credited amount carries the sign)."""
    return ctx.money(-discount) if discount else ""


def _in_convention(ctx: _Context, amount: int, tax: int) -> int:
    """An amount recorded with its tax, shown as the store's prices are."""
    return amount if ctx.order.prices_include_tax else amount - tax


def _quantity(line: OrderLine, quantity_milli: int, ctx: _Context) -> tuple[str, str]:
    if line.variant_id in ctx.weighed:
        return f"{format_quantity(quantity_milli)} kg", f"{ctx.money(line.unit_price)}/kg"
    return format_quantity(quantity_milli), ctx.money(line.unit_price)


def _rates(line: OrderLine) -> str:
    return " + ".join(f"{format_percent(p.rate_ppm)}%" for p in line.taxes) or "0%"


def _convention_note(ctx: _Context) -> list[Flowable]:
    words = ("Prices include tax." if ctx.order.prices_include_tax
             else "Prices exclude tax; tax is added below.")
    return [Spacer(0, 1.5 * mm), para(f"{words} Amounts in {ctx.order.currency}.", "small"),
            Spacer(0, 4 * mm)]


def _totals_block(ctx: _Context, totals: list[tuple[str, str]],
                  by_rate: list[TaxByRate]) -> list[Flowable]:
    """The totals, then the tax per rate under them: kept together on one page."""
    money = ctx.money
    rows = [[name, f"{format_percent(rate)}%", money(taxable), money(tax)]
            for name, rate, taxable, tax in by_rate]
    parts: list[Flowable] = [pairs(totals, width=ctx.width / 2, bold_last=True),
                             Spacer(0, 5 * mm)]
    if rows:
        rows.append(["Total tax", "", "", money(sum(t for *_, t in by_rate))])
        parts += [para("Tax by rate", "heading"), Spacer(0, 1.5 * mm),
                  table([Column("Tax", right=False, flex=True), Column("Rate"),
                         Column("Taxable amount"), Column("Tax")], rows,
                        width=ctx.width * 0.7, total_rows=1)]
    return [KeepTogether(parts), Spacer(0, 6 * mm)]

"""Sale and refund receipts as PDF on an 80 mm or 58 mm roll.

A receipt shows what the customer may need later: the shop and its tax number, the number
(also as the Code 128 barcode the till scans for a return), when and by whom, every line with
its discount, the totals and taxes by rate, how it was paid (of a card only its brand and last
four digits) and the change. The figures are the order's own, as recorded at checkout: a receipt
never prices anything again.

A gift receipt shows what was bought and how many, never what it cost: no prices, discounts,
totals, taxes or tenders, and no buyer's name. It keeps the sale's barcode, so the present can
still be returned "with the receipt". A reprint (``copy``) is marked COPY at its top and again
by its barcode: it proves the sale, never a second payment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.config.settings import spec_for
from app.domain.errors import NotFound
from app.domain.money import format_amount
from app.domain.quantity import format_quantity
from app.printing.figures import (COPY_MARK, TaxByRate, local_time, refund_taxes_by_rate,
                                  refund_tender_label, taxes_by_rate, tender_label,
                                  weighed_variants)
from app.printing.roll import RollDocument, roll_for
from app.sales.receipt_code import receipt_code
from db.models import Customer, Order, OrderLine, Refund, Register, StaffUser, Store
GIFT_MARK = "GIFT RECEIPT"
#: what a receipt says at its foot when the caller gives no text: the shop's return policy
#: as the settings ship it (``receipt.footer``)
DEFAULT_FOOTER: str = spec_for("receipt.footer").default


def render_receipt(session: Session, order_id: str, *, width: str = "80mm",
                   footer: str | None = None, gift: bool = False, copy: bool = False) -> bytes:
    """The receipt of a sale (``order_id`` is the order's id); ``footer`` None prints the
    default return policy, "" none."""
    roll = roll_for(width)
    order = session.get(Order, order_id) if isinstance(order_id, str) else None
    if order is None:
        raise NotFound(f"no sale {order_id}", field="order")
    store = session.get(Store, order.store_id)
    doc = RollDocument(roll)
    _header(doc, store)
    if copy:
        doc.banner(COPY_MARK)
    if gift:
        doc.banner(GIFT_MARK)
    doc.pair("Receipt", order.number, bold=True)
    _who_and_when(doc, session, store, order.created_at, order.staff_id,
                  None if gift else order.customer_id, order.register_id)
    doc.rule()
    weighed = weighed_variants(session, order.lines)
    if gift:
        _gift_lines(doc, order.lines, weighed)
    else:
        _priced_sale(doc, order, weighed, _money(order.currency))
    # the barcode carries a check the printed number lacks: scanned, it proves the receipt
    _footer_and_barcode(doc, footer, receipt_code(order.id, order.number), order.number, copy)
    kind = "Gift receipt" if gift else "Receipt"
    return doc.pdf(title=f"{kind} {order.number}{' (copy)' if copy else ''}", author=store.name)


def _priced_sale(doc: RollDocument, order: Order, weighed: frozenset[str], money) -> None:
    for line in order.lines:
        _sale_line(doc, line, line.variant_id in weighed, money)
    doc.rule()
    doc.pair("Subtotal", money(order.subtotal))
    if order.line_discount_total:
        doc.pair("Line discounts", money(-order.line_discount_total))
    if order.order_discount_total:
        doc.pair("Order discount", money(-order.order_discount_total))
    if order.coupon_discount_total or order.coupon_code:
        doc.pair(f"Coupon {order.coupon_code or ''}".strip(), money(-order.coupon_discount_total))
    taxes = _tax_labels(taxes_by_rate(order.lines), money)
    if not order.prices_include_tax:
        for label, tax in taxes:
            doc.pair(label, money(tax))
    doc.pair("TOTAL", f"{order.currency} {money(order.total)}", bold=True, scale=1.3)
    if order.prices_include_tax and taxes:
        doc.text("Prices include:")
        for label, tax in taxes:
            doc.pair(label, money(tax), indent=6)
    doc.rule()
    for payment in order.payments:
        handed = payment.tendered if payment.method == "cash" else payment.amount
        doc.pair(tender_label(payment), money(handed))
    if order.change_given:
        doc.pair("Change", money(order.change_given), bold=True)


def _gift_lines(doc: RollDocument, lines: list[OrderLine], weighed: frozenset[str]) -> None:
    for line in lines:
        quantity = format_quantity(line.quantity_milli)
        doc.pair(line.name, f"{quantity} kg" if line.variant_id in weighed else f"× {quantity}")
    doc.rule()
    items = sum(1 if line.variant_id in weighed else line.quantity_milli // 1000
                for line in lines)
    doc.pair("Items", str(items), bold=True)


def render_refund_receipt(session: Session, refund_id: str, *, width: str = "80mm",
                          footer: str | None = None, copy: bool = False) -> bytes:
    """The receipt of a refund: what came back, what was paid back and how. Its barcode is
    the refund's number."""
    roll = roll_for(width)
    record = session.get(Refund, refund_id) if isinstance(refund_id, str) else None
    if record is None:
        raise NotFound(f"no refund {refund_id}", field="order")
    order = session.get(Order, record.order_id)
    store = session.get(Store, order.store_id)
    money = _money(order.currency)
    doc = RollDocument(roll)
    _header(doc, store)
    if copy:
        doc.banner(COPY_MARK)
    doc.pair("REFUND", record.number, bold=True)
    doc.pair("for sale", order.number)
    _who_and_when(doc, session, store, record.created_at, record.staff_id, order.customer_id,
                  record.register_id)
    doc.rule()
    lines = {line.id: line for line in order.lines}
    weighed = weighed_variants(session, order.lines)
    for returned in record.lines:
        line = lines[returned.order_line_id]
        doc.text(line.name)
        doc.pair(_quantity_text(returned.quantity_milli, line.unit_price,
                                line.variant_id in weighed, money),
                 money(-returned.amount), indent=6)
    doc.rule()
    doc.pair("REFUNDED", f"{order.currency} {money(record.amount)}", bold=True, scale=1.3)
    taxes = [(name, tax) for name, _, _, tax in refund_taxes_by_rate(record, order.lines) if tax]
    if taxes:
        doc.text("Tax refunded:")
        for name, tax in taxes:
            doc.pair(name, money(tax), indent=6)
    doc.rule()
    for paid_back in record.payments:
        doc.pair(f"Back to {refund_tender_label(paid_back, order.payments)}",
                 money(paid_back.amount))
    if record.reason:
        doc.text(f"Reason: {record.reason}")
    _footer_and_barcode(doc, footer, record.number, record.number, copy)
    return doc.pdf(title=f"Refund {record.number}{' (copy)' if copy else ''}",
                   author=store.name)


# -- parts ---------------------------------------------------------------------------------
def _money(currency: str):
    return lambda minor: format_amount(minor, currency)


def _header(doc: RollDocument, store: Store) -> None:
    doc.text(store.name, align="center", bold=True, scale=1.4)
    for part in (store.address or "").splitlines():
        if part.strip():
            doc.text(part, align="center")
    if store.tax_number:
        doc.text(f"Tax no. {store.tax_number}", align="center")
    doc.rule()


def _who_and_when(doc: RollDocument, session: Session, store: Store, at: datetime,
                  staff_id: str | None, customer_id: str | None,
                  register_id: str | None) -> None:
    doc.text(local_time(at, store.timezone))
    register = session.get(Register, register_id) if register_id else None
    if register is not None:
        named = register.name and register.name != register.code
        doc.text(f"Till: {register.code}{f' ({register.name})' if named else ''}")
    staff = session.get(StaffUser, staff_id) if staff_id else None
    if staff is not None:
        doc.text(f"Cashier: {staff.name}")
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is not None and not customer.erased:
        doc.text(f"Customer: {customer.name}")  # the name only: receipts get left behind


def _quantity_text(quantity_milli: int, unit_price: int, weighed: bool, money) -> str:
    if weighed:
        return f"{format_quantity(quantity_milli)} kg × {money(unit_price)}/kg"
    return f"{format_quantity(quantity_milli)} × {money(unit_price)}"


def _sale_line(doc: RollDocument, line: OrderLine, weighed: bool, money) -> None:
    doc.text(line.name)
    doc.pair(_quantity_text(line.quantity_milli, line.unit_price, weighed, money),
             money(line.gross), indent=6)
    if line.price_override_by:
        doc.text("price changed with a manager's approval", indent=6, scale=0.9)
    if line.line_discount:
        doc.pair("Discount", money(-line.line_discount), indent=6)


def _tax_labels(by_rate: list[TaxByRate], money) -> list[tuple[str, int]]:
    """("VAT 21% of 17.44", 3.66) per rate, highest rate first."""
    return [(f"{name} of {money(taxable)}", tax) for name, _, taxable, tax in by_rate]


def _footer_and_barcode(doc: RollDocument, footer: str | None, code: str, number: str,
                        copy: bool) -> None:
    doc.rule()
    for paragraph in (DEFAULT_FOOTER if footer is None else footer).splitlines():
        if paragraph.strip():
            doc.text(paragraph, align="center")
    doc.space(6)
    if copy:  # by the barcode too: the part of a receipt that is cut off and kept
        doc.text(f"*** {COPY_MARK} ***", align="center", bold=True)
    doc.barcode(code, text=number)

"""The Z-report of a shift: sales, discounts, tax, refunds, voids, tenders and the cash drawer.

Everything is summed from what the shift recorded — orders (``Order.shift_id``) with their
payments and line taxes, refunds (``Refund.shift_id``) with their refund payments, voids,
cash movements — so the running report and the one frozen at close are the same arithmetic.

Taxes come by rate three ways: as the sales charged them, as the refunds gave them back (each
refunded line's tax split over its rates exactly), and net of the refunds. Price overrides are
measured against the catalogue price each line was sold against.

Cash the drawer should hold: the opening float, plus cash taken for sales (a cash payment's
``amount`` is what it paid towards the sale: change is already netted out), minus cash paid
back for refunds, plus cash put in, minus cash taken out.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput
from app.domain.money import allocate, format_amount, parse_amount, round_half_up
from app.domain.quantity import MILLI
from app.domain.rates import format_percent
from app.till.format import METHOD_LABELS, money
from app.till.views import TaxLineView, ZReport, ZTenderLine
from db.models import (CashMovement, Order, OrderLine, OrderLineTax, Payment, Refund,
                       RefundLine, RefundPayment, Shift, StaffUser, VoidRecord)

TENDER_ORDER = ("cash", "card", "credit")


@dataclass(frozen=True, slots=True)
class DrawerFigures:
    opening_float: int
    cash_sales: int
    cash_refunds: int
    cash_in: int
    cash_out: int

    @property
    def expected(self) -> int:
        return (self.opening_float + self.cash_sales - self.cash_refunds + self.cash_in
                - self.cash_out)


def _sum(column):  # noqa: ANN001, ANN202 - a SQL expression in, one out
    return func.coalesce(func.sum(column), 0)


def _payments_by_method(session: Session, shift_id: str) -> dict[str, int]:
    rows = session.execute(select(Payment.method, _sum(Payment.amount))
                           .join(Order, Payment.order_id == Order.id)
                           .where(Order.shift_id == shift_id).group_by(Payment.method))
    return {method: int(total) for method, total in rows}


@dataclass(frozen=True, slots=True)
class RefundFigures:
    by_method: dict[str, int]  # what went back per method, pending card refunds included
    cash_out_of_drawer: int  # the cash actually paid out of the drawer
    pending: int  # refunds recorded but not yet carried out (card refunds the provider owes)


def _refunds_by_method(session: Session, shift_id: str) -> RefundFigures:
    by_method: dict[str, int] = {}
    cash_out_of_drawer = pending = 0
    rows = session.execute(select(RefundPayment.method, RefundPayment.status,
                                  _sum(RefundPayment.amount))
                           .join(Refund, RefundPayment.refund_id == Refund.id)
                           .where(Refund.shift_id == shift_id)
                           .group_by(RefundPayment.method, RefundPayment.status))
    for method, status, total in rows:
        by_method[method] = by_method.get(method, 0) + int(total)
        if method == "cash" and status == "done":
            cash_out_of_drawer += int(total)
        if status == "pending":
            pending += int(total)
    return RefundFigures(by_method, cash_out_of_drawer, pending)


def drawer_figures(session: Session, shift: Shift) -> DrawerFigures:
    cash_in, cash_out = session.execute(
        select(_sum(case((CashMovement.amount > 0, CashMovement.amount), else_=0)),
               _sum(case((CashMovement.amount < 0, -CashMovement.amount), else_=0)))
        .where(CashMovement.shift_id == shift.id)).one()
    cash_refunds = _refunds_by_method(session, shift.id).cash_out_of_drawer
    return DrawerFigures(shift.opening_float, _payments_by_method(session, shift.id).get("cash", 0),
                         cash_refunds, int(cash_in), int(cash_out))


TaxKey = tuple[str, int]  # (name, rate in ppm)


def _sales_taxes(session: Session, shift_id: str) -> dict[TaxKey, int]:
    rows = session.execute(
        select(OrderLineTax.name, OrderLineTax.rate_ppm, _sum(OrderLineTax.tax))
        .join(OrderLine, OrderLineTax.order_line_id == OrderLine.id)
        .join(Order, OrderLine.order_id == Order.id)
        .where(Order.shift_id == shift_id)
        .group_by(OrderLineTax.name, OrderLineTax.rate_ppm))
    return {(name, rate): int(tax) for name, rate, tax in rows}


def _refunded_taxes(session: Session, shift_id: str) -> dict[TaxKey, int]:
    """The tax this shift's refunds gave back, by rate: each refunded line's tax split over
    the rates of the line it returns in proportion to what each rate charged (largest
    remainder, so the parts add up to the refunded tax exactly)."""
    rows = session.execute(
        select(RefundLine.id, RefundLine.tax, OrderLineTax.name, OrderLineTax.rate_ppm,
               OrderLineTax.tax)
        .join(Refund, RefundLine.refund_id == Refund.id)
        .join(OrderLineTax, OrderLineTax.order_line_id == RefundLine.order_line_id)
        .where(Refund.shift_id == shift_id)
        .order_by(RefundLine.id, OrderLineTax.position))
    parts: dict[str, tuple[int, list[tuple[TaxKey, int]]]] = {}
    for line_id, refunded, name, rate, charged in rows:
        parts.setdefault(line_id, (int(refunded), []))[1].append(((name, rate), int(charged)))
    by_rate: dict[TaxKey, int] = {}
    for refunded, rates in parts.values():
        for (key, _), share in zip(rates, allocate(refunded, [c for _, c in rates])):
            by_rate[key] = by_rate.get(key, 0) + share
    return by_rate


def _tax_lines(by_rate: dict[TaxKey, int], currency: str) -> tuple[TaxLineView, ...]:
    return tuple(TaxLineView(name, f"{format_percent(rate)} %", tax, money(tax, currency))
                 for (name, rate), tax in sorted(by_rate.items()))


def _overrides(session: Session, shift_id: str) -> tuple[int, int]:
    """What price overrides gave away (catalogue price − price sold, × quantity, rounded per
    line) and on how many lines; lines sold before the catalogue price was kept count as 0."""
    rows = session.execute(
        select(OrderLine.catalogue_price, OrderLine.unit_price, OrderLine.quantity_milli)
        .join(Order, OrderLine.order_id == Order.id)
        .where(Order.shift_id == shift_id, OrderLine.price_override_by.is_not(None))).all()
    given = sum(round_half_up(Decimal(catalogue - sold) * quantity / MILLI)
                for catalogue, sold, quantity in rows if catalogue is not None)
    return given, len(rows)


def _name(session: Session, staff_id: str | None) -> str | None:
    if staff_id is None:
        return None
    staff = session.get(StaffUser, staff_id)
    return staff.name if staff else staff_id


def build_report(session: Session, shift: Shift, *, currency: str, register_code: str,
                 closed_at: datetime | None = None, closed_by: str | None = None,
                 counted: int | None = None) -> ZReport:
    """The shift's figures now; with ``counted`` (at close) the difference too."""
    sid = shift.id
    count, gross, discounts, tax, net = session.execute(
        select(func.count(Order.id), _sum(Order.subtotal),
               _sum(Order.line_discount_total + Order.order_discount_total
                    + Order.coupon_discount_total),
               _sum(Order.tax_total), _sum(Order.total)).where(Order.shift_id == sid)).one()
    refund_count, refunded, refunded_tax = session.execute(
        select(func.count(Refund.id), _sum(Refund.amount), _sum(Refund.tax))
        .where(Refund.shift_id == sid)).one()
    void_count, voided = session.execute(
        select(func.count(VoidRecord.id), _sum(VoidRecord.amount))
        .where(VoidRecord.shift_id == sid)).one()
    paid = _payments_by_method(session, sid)
    refund_figures = _refunds_by_method(session, sid)
    returned = refund_figures.by_method
    tenders = tuple(ZTenderLine(m, METHOD_LABELS[m], paid.get(m, 0), returned.get(m, 0),
                                paid.get(m, 0) - returned.get(m, 0),
                                money(paid.get(m, 0) - returned.get(m, 0), currency))
                    for m in TENDER_ORDER)
    drawer = drawer_figures(session, shift)
    expected = drawer.expected
    overrides, overrides_count = _overrides(session, sid)
    figures = dict(
        gross_sales=int(gross), discounts=int(discounts), tax=int(tax), net_sales=int(net),
        refunds=int(refunded), refunded_tax=int(refunded_tax), voids=int(voided),
        opening_float=drawer.opening_float, cash_sales=drawer.cash_sales,
        cash_refunds=drawer.cash_refunds, cash_in=drawer.cash_in, cash_out=drawer.cash_out,
        expected_cash=expected, counted_cash=counted,
        difference=None if counted is None else counted - expected, overrides=overrides,
        pending_card_refunds=refund_figures.pending)
    text = {key: money(value, currency) for key, value in figures.items() if value is not None}
    sold_taxes, returned_taxes = _sales_taxes(session, sid), _refunded_taxes(session, sid)
    net_taxes = {key: sold_taxes.get(key, 0) - returned_taxes.get(key, 0)
                 for key in sold_taxes.keys() | returned_taxes.keys()}
    return ZReport(
        shift_id=sid, register_code=register_code, opened_at=shift.opened_at,
        closed_at=closed_at, opened_by=_name(session, shift.opened_by) or "",
        closed_by=_name(session, closed_by), currency=currency, sales_count=int(count),
        refunds_count=int(refund_count), voids_count=int(void_count), tenders=tenders,
        taxes=_tax_lines(sold_taxes, currency), text=text,
        refunded_taxes=_tax_lines(returned_taxes, currency),
        net_taxes=_tax_lines(net_taxes, currency), overrides_count=overrides_count, **figures)


def report_to_json(report: ZReport) -> str:
    data = asdict(report)
    data["opened_at"] = report.opened_at.isoformat()
    data["closed_at"] = report.closed_at.isoformat() if report.closed_at else None
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def report_from_json(text: str) -> ZReport:
    """The report as frozen at close: a reprint shows exactly these figures."""
    data = json.loads(text)
    data["opened_at"] = datetime.fromisoformat(data["opened_at"])
    data["closed_at"] = datetime.fromisoformat(data["closed_at"]) if data["closed_at"] else None
    data["tenders"] = tuple(ZTenderLine(**t) for t in data["tenders"])
    for key in ("taxes", "refunded_taxes", "net_taxes"):  # reports frozen earlier lack some
        data[key] = tuple(TaxLineView(**t) for t in data.get(key, ()))
    return ZReport(**data)


@dataclass(frozen=True, slots=True)
class CountPreview:
    """Counted cash against the expected, as the count is being typed (nothing is kept)."""

    counted_text: str  # "—" while the text is not an amount
    difference: int | None  # counted − expected: negative is a shortage
    difference_text: str  # "-1.50 (short)", "0.00 (exact)", "—"


def count_preview(report: ZReport, counted_text: str) -> CountPreview:
    """Pure and instant, so the close-shift dialog can show it on every keystroke; the figure
    recorded is the one ``close_shift`` computes."""
    try:
        counted = parse_amount(counted_text, report.currency, field="counted") \
            if counted_text.strip() else None
    except InvalidInput:
        counted = None
    if counted is None:
        return CountPreview("—", None, "—")
    difference = counted - report.expected_cash
    verdict = "short" if difference < 0 else ("over" if difference > 0 else "exact")
    return CountPreview(format_amount(counted, report.currency), difference,
                        f"{format_amount(difference, report.currency)} ({verdict})")

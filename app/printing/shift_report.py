"""The shift report on the receipt roll: the Z-report of a closed shift, or the running figures
(an X-report) of one still open.

A closed shift prints the report frozen into ``shifts.z_report`` when it was closed, never the
figures summed again: what the manager signed at close is what every reprint shows, whatever
was synced or corrected since. A reprint is marked COPY. An open shift prints its figures as
they stand, titled X-REPORT, so nobody takes it for the close.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.domain.money import format_amount
from app.printing.figures import COPY_MARK, local_time
from app.printing.roll import RollDocument, roll_for
from app.till.views import TaxLineView, ZReport
from app.till.zreport import build_report, report_from_json
from db.models import Register, Shift, Store

Z_TITLE, X_TITLE = "Z-REPORT", "X-REPORT"


def render_shift_report(session: Session, shift_id: str, *, width: str = "80mm",
                        copy: bool = False) -> bytes:
    roll = roll_for(width)
    shift = session.get(Shift, shift_id) if isinstance(shift_id, str) else None
    if shift is None:
        raise NotFound(f"no shift {shift_id}", field="shift")
    register = session.get(Register, shift.register_id)
    store = session.get(Store, register.store_id)
    if shift.z_report:
        report, title = report_from_json(shift.z_report), Z_TITLE
    else:
        report = build_report(session, shift, currency=store.currency,
                              register_code=register.code)
        title = X_TITLE
    doc = RollDocument(roll)
    doc.text(store.name, align="center", bold=True, scale=1.4)
    if store.tax_number:
        doc.text(f"Tax no. {store.tax_number}", align="center")
    doc.rule()
    if copy:
        doc.banner(COPY_MARK)
    doc.text(title, align="center", bold=True, scale=1.4)
    if title == X_TITLE:
        doc.text("Shift still open: figures so far", align="center")
    _identity(doc, report, register, store.timezone)
    money = _money(report.currency)
    _sales(doc, report, money)
    _tenders(doc, report, money)
    _taxes(doc, report)
    _drawer(doc, report, money)
    doc.space(18)
    doc.text("Signature: ______________________")
    if copy:
        doc.text(f"*** {COPY_MARK} ***", align="center", bold=True)
    at = local_time(report.closed_at or report.opened_at, store.timezone)
    return doc.pdf(title=f"{title} {register.code} {at}{' (copy)' if copy else ''}",
                   author=store.name)


def _money(currency: str):
    return lambda minor: format_amount(minor, currency)


def _identity(doc: RollDocument, report: ZReport, register: Register, zone: str) -> None:
    named = register.name and register.name != register.code
    doc.pair("Till", f"{register.code}{f' ({register.name})' if named else ''}")
    doc.text(f"Shift {report.shift_id}", scale=0.85)
    doc.text(f"Opened {local_time(report.opened_at, zone)}")
    doc.text(f"by {report.opened_by}", indent=6)
    if report.closed_at is not None:
        doc.text(f"Closed {local_time(report.closed_at, zone)}")
        doc.text(f"by {report.closed_by or ''}", indent=6)
    doc.pair("Currency", report.currency)
    doc.rule()


def _sales(doc: RollDocument, report: ZReport, money) -> None:
    doc.text("SALES", bold=True)
    doc.pair(f"Sales ({report.sales_count})", money(report.gross_sales))
    doc.pair("Discounts", money(-report.discounts))
    doc.pair("Net sales", money(report.net_sales), bold=True)
    doc.pair("Tax on sales", money(report.tax))
    doc.pair(f"Refunds ({report.refunds_count})", money(-report.refunds))
    doc.pair("Tax refunded", money(-report.refunded_tax))
    doc.pair("Net after refunds", money(report.net_sales - report.refunds), bold=True)
    doc.pair(f"Voids ({report.voids_count})", money(report.voids))
    doc.pair(f"Price overrides ({report.overrides_count})", money(report.overrides))
    if report.pending_card_refunds:
        doc.pair("Card refunds still owed", money(report.pending_card_refunds))
    doc.rule()


def _tenders(doc: RollDocument, report: ZReport, money) -> None:
    doc.text("TENDERS", bold=True)
    for tender in report.tenders:
        doc.pair(tender.label, tender.net_text, bold=True)
        if tender.sales or tender.refunds:
            doc.pair("taken", money(tender.sales), indent=6)
            doc.pair("paid back", money(-tender.refunds), indent=6)
    doc.rule()


def _taxes(doc: RollDocument, report: ZReport) -> None:
    doc.text("TAX BY RATE", bold=True)
    if not report.taxes and not report.refunded_taxes:
        doc.text("no tax", indent=6)
    for heading, lines in (("charged", report.taxes), ("refunded", report.refunded_taxes),
                           ("owed", report.net_taxes)):
        if lines:
            doc.text(heading)
            for line in lines:
                doc.pair(_rate_label(line), line.tax_text, indent=6)
    doc.rule()


def _rate_label(line: TaxLineView) -> str:
    # "VAT 21%" already names its rate; a name without one ("Sales tax") gets it added
    return line.name if line.rate_text.replace(" ", "") in line.name.replace(" ", "") \
        else f"{line.name} {line.rate_text}"


def _drawer(doc: RollDocument, report: ZReport, money) -> None:
    doc.text("CASH DRAWER", bold=True)
    doc.pair("Opening float", money(report.opening_float))
    doc.pair("Cash sales", money(report.cash_sales))
    doc.pair("Cash refunds", money(-report.cash_refunds))
    doc.pair("Cash in", money(report.cash_in))
    doc.pair("Cash out", money(-report.cash_out))
    doc.pair("Expected", money(report.expected_cash), bold=True)
    if report.counted_cash is not None:
        doc.pair("Counted", money(report.counted_cash), bold=True)
        difference = report.difference or 0
        verdict = "short" if difference < 0 else ("over" if difference > 0 else "exact")
        doc.pair(f"Difference ({verdict})", money(difference), bold=True, scale=1.2)
    doc.rule()

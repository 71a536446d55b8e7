"""A scripted shift — split tenders, a coupon, a line discount, a refund to cash, a void, cash
in and out — closed with a count: every figure of the Z-report computed by hand, to the cent,
and the same report frozen into the shift for a reprint."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.permissions import Permission
from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from app.till import shifts
from app.payments.base import RefundOutcome
from app.till.zreport import CountPreview, count_preview, report_from_json, report_to_json
from db.models import AuditEntry, Shift
from tests.app.till.conftest import PINS, counts, pay_by_card
from tests.support import catalog


@pytest.fixture
def till(card_till):  # noqa: ANN001, ANN201 - every shift here takes cards too
    return card_till


def _script(till, items, staff_ids) -> None:  # noqa: ANN001
    # Sale 1: tea ×2 (9.00) + cake (12.10) + bread (2.12, VAT 6 %) = 23.22, coupon TENOFF
    # (10.00 off, spread 388/521/91 by largest remainder) = 13.22; cash 10.00 + card 3.22.
    # Tax included: 512 → 89, 689 → 120 (21 %); 121 → 7 (6 %).
    for code in (items.tea_code, items.tea_code, items.cake_code, items.bread_code):
        till.scan(code)
    till.apply_coupon("TENOFF")
    till.begin_payment()
    till.add_cash("10.00")
    pay_by_card(till)
    till.complete()
    # Sale 2: cake with 1.00 off the line (under the 10 % limit) = 11.10, paid 20.00 cash
    # (change 8.90). Tax: 1110 → 193.
    till.scan(items.cake_code)
    till.line_discount(0, "1.00")
    till.begin_payment()
    till.add_cash("20")
    second = till.complete()
    # Sale 3: bread ×2 = 4.24 by card. Tax: 424 → 24.
    till.scan(items.bread_code)
    till.scan(items.bread_code)
    till.begin_payment()
    pay_by_card(till)
    till.complete()
    # Sale 2's cake comes back with its receipt: 11.10 in cash (its tax 1.93).
    till.find_sale(second.receipt_code)
    till.refund(second.order_id, [(1, None)], "original")
    # A tea rung up and voided with a manager's approval: 4.50.
    till.scan(items.tea_code)
    manager = till.approve(staff_ids["manager"], PINS["manager"], Permission.VOID)
    till.remove_line(0, approver_id=manager)
    till.cash_movement("20.00", "in", "change for the float")
    till.cash_movement("50", "out", "bank drop")


def test_every_figure_of_the_z_report_to_the_cent(till, items, staff_ids, shop):
    _script(till, items, staff_ids)
    running = till.shift_report()
    assert running.counted_cash is None and running.difference is None
    # drawer: float 100.00 + cash sales (10.00 + 11.10) − cash refund 11.10 + 20.00 − 50.00
    assert running.expected_cash == 8000
    report = till.close_shift("79.50")
    assert (report.sales_count, report.gross_sales, report.discounts, report.tax,
            report.net_sales) == (3, 2322 + 1210 + 424, 1000 + 100, 216 + 193 + 24,
                                  1322 + 1110 + 424)
    assert (report.refunds_count, report.refunds, report.refunded_tax) == (1, 1110, 193)
    assert (report.voids_count, report.voids) == (1, 450)
    assert [(t.method, t.label, t.sales, t.refunds, t.net, t.net_text) for t in report.tenders] == [
        ("cash", "Cash", 2110, 1110, 1000, "10.00"), ("card", "Card", 746, 0, 746, "7.46"),
        ("credit", "Store credit", 0, 0, 0, "0.00")]
    assert [(t.name, t.rate_text, t.tax, t.tax_text) for t in report.taxes] == [
        ("VAT 21%", "21 %", 89 + 120 + 193, "4.02"), ("VAT 6%", "6 %", 7 + 24, "0.31")]
    assert (report.opening_float, report.cash_sales, report.cash_refunds, report.cash_in,
            report.cash_out) == (10000, 2110, 1110, 2000, 5000)
    assert (report.expected_cash, report.counted_cash, report.difference) == (8000, 7950, -50)
    assert report.text == {
        "gross_sales": "39.56", "discounts": "11.00", "tax": "4.33", "net_sales": "28.56",
        "refunds": "11.10", "refunded_tax": "1.93", "voids": "4.50", "opening_float": "100.00",
        "cash_sales": "21.10", "cash_refunds": "11.10", "cash_in": "20.00", "cash_out": "50.00",
        "expected_cash": "80.00", "counted_cash": "79.50", "difference": "-0.50",
        "overrides": "0.00", "pending_card_refunds": "0.00"}
    # sale 2's cake came back: its 1.93 of VAT 21 % is given back, so 2.09 is owed net
    assert [(t.name, t.tax) for t in report.refunded_taxes] == [("VAT 21%", 193)]
    assert [(t.name, t.tax, t.tax_text) for t in report.net_taxes] == [
        ("VAT 21%", 402 - 193, "2.09"), ("VAT 6%", 31, "0.31")]
    assert (report.opened_by, report.closed_by, report.register_code, report.currency) == (
        "Cara Cashier", "Cara Cashier", "R01", "EUR")
    assert report.closed_at == till.clock()
    with shop.read() as s:
        shift = s.get(Shift, report.shift_id)
        assert (shift.expected_cash, shift.counted_cash, shift.closed_by) == (
            8000, 7950, staff_ids["cara"])
        # a reprint shows the figures frozen at close
        assert report_from_json(shift.z_report) == report
        assert shifts.shift_report(s, shift.id) == report
        closed = s.scalar(select(AuditEntry).where(AuditEntry.action == "shift.closed"))
        assert '"difference":-50' in closed.details
    assert till.current_shift() is None
    with pytest.raises(RuleViolation) as err:
        till.scan(items.tea_code)
    assert err.value.field == "shift"


def test_a_shift_is_opened_once_with_a_sane_float(make_session, staff_ids, items, shop):
    till = make_session()
    till.sign_in(staff_ids["cara"], PINS["cara"])
    for text in ("abc", "-5", "1.234", "", "1e3"):
        with pytest.raises(InvalidInput) as err:
            till.open_shift(text)
        assert err.value.field == "float"
    shift = till.open_shift("150")
    assert (shift.opening_float, shift.opening_float_text, shift.opened_by) == (
        15000, "150.00", "Cara Cashier")
    with pytest.raises(RuleViolation) as err:
        till.open_shift("10")
    assert err.value.field == "shift"
    assert make_session().current_shift() == shift


def test_cash_movements_need_a_reason_and_cash_out_stays_within_the_drawer(till, shop):
    rows = counts(shop)
    for amount, direction, reason, field in [("10", "in", "", "reason"), ("10", "in", "  ", "reason"),
                                              ("abc", "in", "float", "amount"),
                                              ("0", "out", "drop", "amount"),
                                              ("10", "sideways", "x", "direction"),
                                              ("10", "in", "x" * 201, "reason")]:
        with pytest.raises(InvalidInput) as err:
            till.cash_movement(amount, direction, reason)
        assert err.value.field == field
    with pytest.raises(RuleViolation) as err:
        till.cash_movement("100.01", "out", "bank drop")
    assert err.value.field == "amount" and "100.00" in err.value.message
    assert counts(shop) == rows
    assert till.cash_movement("100", "out", "bank drop").expected_cash == 0


def test_closing_needs_an_empty_cart_and_a_counted_amount(till, items, shop):
    till.scan(items.tea_code)
    with pytest.raises(RuleViolation):
        till.close_shift("100")
    till.park()
    rows = counts(shop)
    with pytest.raises(InvalidInput) as err:
        till.close_shift("lots")
    assert err.value.field == "counted" and counts(shop) == rows
    assert till.close_shift("100.00").difference == 0


def test_the_count_preview_compares_what_is_typed_with_the_expected_cash(till):
    report = till.shift_report()  # the float of 100.00 and nothing sold yet
    assert report.expected_cash == 10000
    short, exact, over = (count_preview(report, text) for text in ("98.50", "100", "100.01"))
    assert (short.difference, short.difference_text) == (-150, "-1.50 (short)")
    assert (exact.counted_text, exact.difference_text) == ("100.00", "0.00 (exact)")
    assert over.difference == 1
    for text in ("", "lots", "1.234"):
        assert count_preview(report, text) == CountPreview("—", None, "—")


def test_absurd_drawer_amounts_are_refused_at_their_field(make_session, staff_ids, items, shop):
    till = make_session()
    till.sign_in(staff_ids["cara"], PINS["cara"])
    with pytest.raises(InvalidInput) as err:
        till.open_shift("9638507.40")  # a barcode scanned into the float
    assert err.value.field == "float" and "is that right" in err.value.message
    till.open_shift("100000.00")  # the most a drawer may hold
    rows = counts(shop)
    with pytest.raises(InvalidInput) as err:
        till.cash_movement("100000.01", "in", "change")
    assert err.value.field == "amount" and "is that right" in err.value.message
    with pytest.raises(InvalidInput) as err:
        till.close_shift("10000000")
    assert err.value.field == "counted" and counts(shop) == rows


class CardRefundsFail(StandaloneTerminal):
    def refund(self, reference, amount, currency, key):  # noqa: ANN001, ANN201
        return RefundOutcome(False, "the card network is down")


def test_refunded_tax_by_rate_overrides_and_pending_card_refunds(make_session, staff_ids, shop):
    with shop.write() as s:  # 12.00 with two taxes included: 21 % VAT and a 5 % excise
        wine = catalog.product(s, "Wine", 1200, rates=(("VAT 21%", 210_000),
                                                       ("Excise 5%", 50_000)))
        tea = catalog.product(s, "Tea", 450)
        cake = catalog.product(s, "Cake", 1210)
        codes = [v.barcodes[0].code for v in (wine, tea, cake)]
    till = make_session(payments=CardPayments(shop, CardRefundsFail()))
    till.sign_in(staff_ids["manager"], PINS["manager"])
    till.open_shift("0")
    # Sale 1: three wines, 36.00: tax 36.00 − 28.57 = 7.43, split 6.00 VAT / 1.43 excise.
    for _ in range(3):
        till.scan(codes[0])
    till.begin_payment()
    till.add_cash(None)
    wines = till.complete()
    # One wine back: 12.00, tax 7.43 × 12/36 = 2.48, split like the sale's 600:143 (largest
    # remainder): 2.00 VAT, 0.48 excise.
    till.find_sale(wines.receipt_code)
    till.refund(wines.order_id, [(1, "1")], "original")
    # Sale 2: tea ×2 overridden to 3.00 (1.50 × 2 given away), cake raised to 13.00 (−0.90),
    # by card. Tax: 6.00 → 1.04, 13.00 → 2.26.
    till.scan(codes[1])
    till.scan(codes[1])
    till.override_price(0, "3.00")
    till.scan(codes[2])
    till.override_price(1, "13.00")
    till.begin_payment()
    till.start_card(None)
    till.confirm_card(True, "4242")
    sale = till.complete()
    # The cake back to the card, which cannot take it now: 13.00 pending, its 2.26 VAT back.
    till.find_sale(sale.receipt_code)
    till.refund(sale.order_id, [(2, None)], "original")
    report = till.close_shift("24.00")
    assert [(t.name, t.tax) for t in report.taxes] == [("Excise 5%", 143),
                                                       ("VAT 21%", 600 + 104 + 226)]
    assert [(t.name, t.tax) for t in report.refunded_taxes] == [("Excise 5%", 48),
                                                                ("VAT 21%", 200 + 226)]
    assert [(t.name, t.tax, t.tax_text) for t in report.net_taxes] == [
        ("Excise 5%", 95, "0.95"), ("VAT 21%", 504, "5.04")]
    assert report.refunded_tax == 248 + 226
    assert (report.overrides, report.overrides_count, report.text["overrides"]) == (210, 2, "2.10")
    assert (report.pending_card_refunds, report.text["pending_card_refunds"]) == (1300, "13.00")
    with shop.read() as s:  # the frozen report reads back the same
        assert report_from_json(s.get(Shift, report.shift_id).z_report) == report


def test_a_report_frozen_before_these_figures_still_reads(till):
    import json

    report = till.close_shift("100.00")
    data = json.loads(report_to_json(report))
    for key in ("refunded_taxes", "net_taxes", "overrides", "overrides_count",
                "pending_card_refunds"):
        del data[key]
    old = report_from_json(json.dumps(data))
    assert (old.net_taxes, old.overrides, old.pending_card_refunds) == ((), 0, 0)

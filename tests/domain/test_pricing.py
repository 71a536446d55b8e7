"""Pricing a basket: hand-computed receipts and properties over random baskets."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.money import MAX_MINOR
from app.domain.pricing import (
    CouponTerms,
    Discount,
    DiscountKind,
    LineInput,
    PricedOrder,
    TaxPart,
    TaxRate,
    price_order,
)

VAT21 = TaxRate("VAT", 210_000)
STATE = TaxRate("State", 60_000)
CITY = TaxRate("City", 25_000)
ZERO = TaxRate("Zero", 0)


def line(unit_price: int, quantity_milli: int = 1000, *, taxes=(), discount=None,
         allow_fraction: bool = False, n: int = 1) -> LineInput:
    return LineInput(f"v{n}", f"SKU{n}", f"Item {n}", unit_price, quantity_milli, tuple(taxes),
                     discount, allow_fraction)


# --------------------------------------------------------------------------- hand-computed


def test_tax_inclusive_basket_21_percent_vat():
    order = price_order([line(1210, taxes=[VAT21]), line(242, 2000, taxes=[VAT21], n=2)],
                        prices_include_tax=True)
    first, second = order.lines
    # 12.10 incl. 21 % = 10.00 + 2.10 tax; 2 × 2.42 = 4.84 = 4.00 + 0.84 tax
    assert (first.gross, first.net, first.tax, first.total) == (1210, 1210, 210, 1210)
    assert first.taxes == (TaxPart("VAT", 210_000, 1000, 210),)
    assert (second.gross, second.tax, second.total) == (484, 84, 484)
    assert second.taxes == (TaxPart("VAT", 210_000, 400, 84),)
    assert order.subtotal == 1694
    assert order.discount_total == 0
    assert order.tax_total == 294
    assert order.total == 1694
    assert order.taxes_by_rate == (TaxPart("VAT", 210_000, 1400, 294),)
    assert order.prices_include_tax is True
    assert order.coupon_code is None


def test_tax_exclusive_us_style_two_rates():
    order = price_order([line(1000, taxes=[STATE, CITY])], prices_include_tax=False)
    (priced,) = order.lines
    # 10.00 + 6 % state (0.60) + 2.5 % city (0.25) = 10.85
    assert priced.taxes == (TaxPart("State", 60_000, 1000, 60), TaxPart("City", 25_000, 1000, 25))
    assert priced.tax == 85
    assert priced.total == 1085
    assert order.subtotal == 1000
    assert order.tax_total == 85
    assert order.total == 1085
    assert order.taxes_by_rate == (TaxPart("City", 25_000, 1000, 25),
                                   TaxPart("State", 60_000, 1000, 60))


def test_tax_exclusive_rounds_half_up_per_rate():
    # 10.10: 6 % = 60.6 -> 61, 2.5 % = 25.25 -> 25; 10.50 × 5 % = 52.5 -> 53
    order = price_order([line(1010, taxes=[STATE, CITY]), line(1050, taxes=[TaxRate("GST", 50_000)], n=2)],
                        prices_include_tax=False)
    assert [p.tax for p in order.lines[0].taxes] == [61, 25]
    assert order.lines[1].tax == 53
    assert order.total == 1010 + 86 + 1050 + 53


def test_tax_inclusive_two_rates_split_in_proportion():
    # 11.00 incl. 6 % + 4 %: base 10.00, tax 1.00 split 0.60 / 0.40
    order = price_order([line(1100, taxes=[TaxRate("A", 60_000), TaxRate("B", 40_000)])],
                        prices_include_tax=True)
    (priced,) = order.lines
    assert priced.taxes == (TaxPart("A", 60_000, 1000, 60), TaxPart("B", 40_000, 1000, 40))
    assert priced.tax == 100
    assert priced.total == 1100


def test_line_percent_discount():
    # 10 % off 19.99 = 1.999 -> 2.00; 15 % off 10.10 = 1.515 -> 1.52
    order = price_order([line(1999, discount=Discount.percent(100_000)),
                         line(1010, discount=Discount.percent(150_000), n=2)],
                        prices_include_tax=False)
    assert [p.line_discount for p in order.lines] == [200, 152]
    assert [p.net for p in order.lines] == [1799, 858]
    assert order.line_discount_total == 352
    assert order.total == 1799 + 858


def test_line_percent_discount_with_inclusive_vat():
    # 12.10 incl. 21 %, 50 % off: pays 6.05 = 5.00 + 1.05 tax
    order = price_order([line(1210, taxes=[VAT21], discount=Discount.percent(500_000))],
                        prices_include_tax=True)
    (priced,) = order.lines
    assert (priced.line_discount, priced.net, priced.tax, priced.total) == (605, 605, 105, 605)


def test_line_amount_discount():
    order = price_order([line(500, 3000, discount=Discount.amount(250))], prices_include_tax=False)
    assert order.lines[0].gross == 1500
    assert order.lines[0].line_discount == 250
    assert order.total == 1250


def test_line_amount_discount_equal_to_the_price_is_allowed():
    order = price_order([line(500, discount=Discount.amount(500), taxes=[VAT21])],
                        prices_include_tax=True)
    assert order.total == 0
    assert order.tax_total == 0


def test_line_amount_discount_larger_than_the_price_is_refused():
    with pytest.raises(InvalidInput) as exc:
        price_order([line(1000), line(500, discount=Discount.amount(600), n=2)],
                    prices_include_tax=True)
    assert exc.value.field == "lines[1].discount"


def test_order_discount_is_spread_over_lines_in_proportion():
    order = price_order([line(3000), line(1000, n=2)], prices_include_tax=False,
                        order_discount=Discount.percent(100_000))
    assert [p.order_discount for p in order.lines] == [300, 100]
    assert order.order_discount_total == 400
    assert order.total == 3600


def test_order_amount_discount_uses_largest_remainder():
    order = price_order([line(1000), line(1000, n=2), line(1000, n=3)], prices_include_tax=False,
                        order_discount=Discount.amount(100))
    assert [p.order_discount for p in order.lines] == [34, 33, 33]
    assert order.total == 2900


def test_order_discount_comes_after_line_discounts_and_before_tax():
    # 12.10 incl. 21 % less 10 %: pays 10.89 = 9.00 + 1.89 tax
    order = price_order([line(1210, taxes=[VAT21])], prices_include_tax=True,
                        order_discount=Discount.percent(100_000))
    (priced,) = order.lines
    assert (priced.order_discount, priced.net, priced.tax) == (121, 1089, 189)
    # exclusive: 20.00 less a 5.00 line discount = 15.00, 10 % off = 13.50, + 21 % = 16.335 -> 2.84 tax
    order = price_order([line(2000, taxes=[VAT21], discount=Discount.amount(500))],
                        prices_include_tax=False, order_discount=Discount.percent(100_000))
    (priced,) = order.lines
    assert (priced.line_discount, priced.order_discount, priced.net) == (500, 150, 1350)
    assert priced.tax == 284
    assert order.total == 1634


def test_order_amount_discount_larger_than_the_basket_is_refused():
    with pytest.raises(InvalidInput) as exc:
        price_order([line(1000)], prices_include_tax=True, order_discount=Discount.amount(1001))
    assert exc.value.field == "order_discount"


def test_coupon_applies_after_the_order_discount():
    # 100.00, 10 % off = 90.00, a 10 % coupon takes 9.00 of what is left -> 81.00
    coupon = CouponTerms("TEN", Discount.percent(100_000))
    order = price_order([line(10_000)], prices_include_tax=False,
                        order_discount=Discount.percent(100_000), coupon=coupon)
    assert order.order_discount_total == 1000
    assert order.coupon_discount_total == 900
    assert order.total == 8100
    assert order.coupon_code == "TEN"


def test_coupon_min_spend_not_met_is_refused():
    coupon = CouponTerms("SPEND20", Discount.amount(500), min_spend=2000)
    with pytest.raises(RuleViolation) as exc:
        price_order([line(999), line(1000, n=2)], prices_include_tax=True, coupon=coupon)
    assert exc.value.field == "coupon"
    assert "SPEND20" in exc.value.message


def test_coupon_min_spend_counts_line_discounts():
    # 25.00 less a 6.00 line discount is 19.00 of goods: below a 20.00 minimum spend
    coupon = CouponTerms("SPEND20", Discount.amount(500), min_spend=2000)
    with pytest.raises(RuleViolation) as exc:
        price_order([line(2500, discount=Discount.amount(600))], prices_include_tax=True, coupon=coupon)
    assert exc.value.field == "coupon"


def test_coupon_min_spend_exactly_met():
    coupon = CouponTerms("SPEND20", Discount.amount(500), min_spend=2000)
    order = price_order([line(1000), line(1000, n=2)], prices_include_tax=True, coupon=coupon)
    assert [p.coupon_discount for p in order.lines] == [250, 250]
    assert order.total == 1500


def test_coupon_amount_larger_than_what_is_left_is_refused():
    coupon = CouponTerms("BIG", Discount.amount(1000))
    with pytest.raises(InvalidInput) as exc:
        price_order([line(999)], prices_include_tax=True, coupon=coupon)
    assert exc.value.field == "coupon"


def test_weighed_quantity_rounds_half_up():
    # 0.375 kg × 3.98/kg = 1.4925 -> 1.49; 0.375 kg × 3.96/kg = 1.485 -> 1.49 (half up, not even)
    order = price_order([line(398, 375, allow_fraction=True), line(396, 375, allow_fraction=True, n=2)],
                        prices_include_tax=False)
    assert [p.gross for p in order.lines] == [149, 149]
    assert order.total == 298


def test_fractional_quantity_refused_for_items_sold_by_the_piece():
    with pytest.raises(InvalidInput) as exc:
        price_order([line(100), line(398, 375, n=2)], prices_include_tax=True)
    assert exc.value.field == "lines[1].quantity"


@pytest.mark.parametrize("include", [True, False])
def test_zero_rate_tax_class(include):
    order = price_order([line(1234, taxes=[ZERO]), line(1210, taxes=[VAT21], n=2)],
                        prices_include_tax=include)
    zero_line = order.lines[0]
    assert zero_line.taxes == (TaxPart("Zero", 0, 1234, 0),)
    assert zero_line.tax == 0
    assert zero_line.total == 1234
    assert TaxPart("Zero", 0, 1234, 0) in order.taxes_by_rate
    expected_vat = 210 if include else 254  # 12.10 × 21 % = 2.541 -> 2.54
    assert order.tax_total == expected_vat


def test_untaxed_line_has_no_tax_parts():
    order = price_order([line(500)], prices_include_tax=True)
    assert order.lines[0].taxes == ()
    assert order.taxes_by_rate == ()
    assert order.tax_total == 0


def test_empty_basket_prices_to_zero():
    order = price_order([], prices_include_tax=True)
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (0, 0, 0, 0)
    assert order.lines == ()


@pytest.mark.parametrize(
    ("bad_line", "field"),
    [
        (line(-1), "lines[1].unit_price"),
        (line(1.5), "lines[1].unit_price"),
        (line(MAX_MINOR + 1), "lines[1].unit_price"),
        (line(100, 0), "lines[1].quantity"),
        (line(100, -1000), "lines[1].quantity"),
        (line(100, taxes=[TaxRate("Bad", 1_000_001)]), "lines[1].tax_rate"),
        (line(100, taxes=[TaxRate("Bad", -1)]), "lines[1].tax_rate"),
        (line(MAX_MINOR, 2000), "lines[1].quantity"),  # gross over the absurd limit
    ],
)
def test_bad_lines_are_refused_naming_the_line(bad_line, field):
    with pytest.raises(InvalidInput) as exc:
        price_order([line(100), bad_line], prices_include_tax=False)
    assert exc.value.field == field


def test_discount_constructors_validate():
    with pytest.raises(InvalidInput) as exc:
        Discount.percent(1_000_001, field="lines[0].discount")
    assert exc.value.field == "lines[0].discount"
    with pytest.raises(InvalidInput) as exc:
        Discount.amount(-1, field="order_discount")
    assert exc.value.field == "order_discount"
    assert Discount.percent(100_000) == Discount(DiscountKind.PERCENT, 100_000)


# --------------------------------------------------------------------------- properties


def _half_up_div(numerator: int, denominator: int) -> int:
    """round(n / d) with halves up, for n >= 0, d > 0, in plain integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def _discount_value(discount: Discount | None, base: int) -> int:
    if discount is None:
        return 0
    if discount.kind is DiscountKind.PERCENT:
        return _half_up_div(base * discount.value, 1_000_000)
    return discount.value


@st.composite
def discounts(draw, base: int):
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    if kind == "none":
        return None
    if kind == "percent":
        return Discount.percent(draw(st.one_of(st.integers(0, 1_000_000),
                                               st.sampled_from([0, 50_000, 100_000, 1_000_000]))))
    return Discount.amount(draw(st.one_of(st.integers(0, base), st.just(base))))


@st.composite
def baskets(draw):
    pool_size = draw(st.integers(0, 4))
    pool = [TaxRate(f"T{i}", draw(st.integers(0, 300_000))) for i in range(pool_size)]
    lines = []
    for n in range(draw(st.integers(1, 20))):
        unit = draw(st.integers(0, 1_000_000))
        qty = draw(st.integers(1, 50_000))
        gross = _half_up_div(unit * qty, 1000)
        taxes = draw(st.lists(st.sampled_from(pool), unique=True, max_size=3)) if pool else []
        lines.append(LineInput(f"v{n}", f"S{n}", f"Item {n}", unit, qty, tuple(taxes),
                               draw(discounts(gross)), True))
    merchandise = sum(_half_up_div(l.unit_price * l.quantity_milli, 1000) for l in lines) - sum(
        _discount_value(l.discount, _half_up_div(l.unit_price * l.quantity_milli, 1000)) for l in lines)
    order_discount = draw(discounts(merchandise))
    after_order = merchandise - _discount_value(order_discount, merchandise)
    coupon = None
    if draw(st.booleans()):
        min_spend = draw(st.one_of(st.just(0), st.integers(0, merchandise + 1000)))
        coupon_discount = draw(discounts(after_order)) or Discount.percent(0)
        coupon = CouponTerms("CODE", coupon_discount, min_spend)
    return lines, order_discount, coupon, merchandise, after_order


def _check_priced(order: PricedOrder, lines, order_discount, coupon, merchandise, after_order,
                  include: bool) -> None:
    priced = order.lines
    assert len(priced) == len(lines)
    assert order.total == sum(p.total for p in priced)
    assert order.tax_total == sum(p.tax for p in priced)
    assert order.tax_total == sum(part.tax for part in order.taxes_by_rate)
    assert order.subtotal == sum(p.gross for p in priced)
    assert order.subtotal - order.discount_total == sum(p.net for p in priced)
    if include:
        assert order.total == order.subtotal - order.discount_total
    else:
        assert order.total == order.subtotal - order.discount_total + order.tax_total

    # the discounts are exactly what the documented order of operations gives
    assert order.line_discount_total == sum(p.line_discount for p in priced)
    assert order.order_discount_total == sum(p.order_discount for p in priced)
    assert order.coupon_discount_total == sum(p.coupon_discount for p in priced)
    assert order.subtotal - order.line_discount_total == merchandise
    assert order.order_discount_total == _discount_value(order_discount, merchandise)
    expected_coupon = _discount_value(coupon.discount, after_order) if coupon else 0
    assert order.coupon_discount_total == expected_coupon
    assert order.coupon_code == (coupon.code if coupon else None)

    by_rate_taxable: dict[tuple[str, int], int] = defaultdict(int)
    by_rate_tax: dict[tuple[str, int], int] = defaultdict(int)
    for src, p in zip(lines, priced):
        assert p.source is src
        assert p.gross == _half_up_div(src.unit_price * src.quantity_milli, 1000)
        assert p.line_discount == _discount_value(src.discount, p.gross)
        assert p.line_discount >= 0 and p.order_discount >= 0 and p.coupon_discount >= 0
        assert p.discount <= p.gross
        assert p.net >= 0 and p.tax >= 0 and p.total >= 0
        assert p.tax == sum(part.tax for part in p.taxes)
        assert [(t.name, t.rate_ppm) for t in p.taxes] == [(t.name, t.rate_ppm) for t in src.taxes]
        if include:
            assert p.total == p.net
            if src.taxes:
                total_ppm = sum(t.rate_ppm for t in src.taxes)
                base = _half_up_div(p.net * 1_000_000, 1_000_000 + total_ppm)
                assert all(part.taxable == base for part in p.taxes)
                assert base + p.tax == p.net
        else:
            assert p.total == p.net + p.tax
            for part in p.taxes:
                assert part.taxable == p.net
                assert part.tax == _half_up_div(p.net * part.rate_ppm, 1_000_000)
        if not src.taxes:
            assert p.tax == 0
        for part in p.taxes:
            assert part.tax >= 0
            if part.rate_ppm == 0:
                assert part.tax == 0
            by_rate_taxable[(part.name, part.rate_ppm)] += part.taxable
            by_rate_tax[(part.name, part.rate_ppm)] += part.tax
    assert {(t.name, t.rate_ppm): t.taxable for t in order.taxes_by_rate} == dict(by_rate_taxable)
    assert {(t.name, t.rate_ppm): t.tax for t in order.taxes_by_rate} == dict(by_rate_tax)
    assert len(order.taxes_by_rate) == len(by_rate_tax)


@settings(max_examples=300, deadline=None)
@given(baskets(), st.booleans())
def test_random_baskets_add_up(basket, include):
    lines, order_discount, coupon, merchandise, after_order = basket
    if coupon is not None and coupon.min_spend > merchandise:
        with pytest.raises(RuleViolation) as exc:
            price_order(lines, prices_include_tax=include, order_discount=order_discount,
                        coupon=coupon)
        assert exc.value.field == "coupon"
        return
    order = price_order(lines, prices_include_tax=include, order_discount=order_discount,
                        coupon=coupon)
    _check_priced(order, lines, order_discount, coupon, merchandise, after_order, include)


@settings(max_examples=150, deadline=None)
@given(baskets())
def test_inclusive_tax_is_within_half_a_unit_of_the_exact_share(basket):
    lines, order_discount, coupon, merchandise, _ = basket
    if coupon is not None and coupon.min_spend > merchandise:
        coupon = None
    order = price_order(lines, prices_include_tax=True, order_discount=order_discount, coupon=coupon)
    for p in order.lines:
        total_ppm = sum(t.rate_ppm for t in p.source.taxes)
        # exact tax in an inclusive price: net × R / (1 + R); rounded once, so within half a unit
        assert abs(2 * (p.tax * (1_000_000 + total_ppm) - p.net * total_ppm)) <= 1_000_000 + total_ppm


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 1_000_000), st.integers(1, 50_000), st.integers(1, 1_000_000))
def test_amount_discount_over_gross_always_refused(unit, qty, extra):
    gross = _half_up_div(unit * qty, 1000)
    bad = LineInput("v", "s", "n", unit, qty, (), Discount.amount(gross + extra), True)
    with pytest.raises(InvalidInput) as exc:
        price_order([line(100), bad], prices_include_tax=False)
    assert exc.value.field == "lines[1].discount"

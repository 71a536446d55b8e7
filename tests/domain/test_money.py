"""Money: strict parsing of amounts, formatting, and exact allocation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import DomainError, InvalidInput
from app.domain.money import (
    MAX_MINOR,
    Money,
    allocate,
    check_currency,
    check_minor,
    exponent,
    format_amount,
    parse_amount,
    round_half_up,
)

PROPS = settings(max_examples=200, deadline=None)
CURRENCIES = ["EUR", "USD", "JPY", "BHD", "KWD", "GBP", "KRW", "HUF"]


# --------------------------------------------------------------------------- parse_amount


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.34", "EUR", 1234),
        ("12.3", "EUR", 1230),
        ("12", "EUR", 1200),
        ("0.01", "EUR", 1),
        ("0", "EUR", 0),
        ("  7.50 ", "EUR", 750),
        ("1 234.56", "EUR", 123456),  # inner spaces (thousands) are dropped
        ("12.340", "EUR", 1234),  # a trailing zero is not an extra decimal
        ("12.34", "eur", 1234),
        ("1500", "JPY", 1500),
        ("1500.0", "JPY", 1500),
        ("1.234", "BHD", 1234),
        ("0.005", "KWD", 5),
        ("1000000000", "EUR", MAX_MINOR),  # exactly the limit is still a sale
        (Decimal("9.99"), "USD", 999),
        (5, "EUR", 500),
        (5, "JPY", 5),
        (5, "BHD", 5000),
    ],
)
def test_parse_amount_examples(text, currency, expected):
    assert parse_amount(text, currency) == expected


def test_parse_amount_negative_only_when_allowed():
    assert parse_amount("-1.50", "EUR", allow_negative=True) == -150
    with pytest.raises(InvalidInput) as exc:
        parse_amount("-1.50", "EUR", field="price")
    assert exc.value.field == "price"
    assert "negative" in exc.value.message


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        (1.5, "EUR"),
        (0.0, "EUR"),
        (True, "EUR"),
        (False, "EUR"),
        ("NaN", "EUR"),
        ("nan", "EUR"),
        ("sNaN", "EUR"),
        ("inf", "EUR"),
        ("-Infinity", "EUR"),
        (Decimal("NaN"), "EUR"),
        (Decimal("Infinity"), "EUR"),
        ("1.234", "EUR"),
        ("1.5", "JPY"),
        ("1.2345", "BHD"),
        ("-0.01", "EUR"),
        (-1, "EUR"),
        ("1000000000.01", "EUR"),  # one cent over the absurd limit
        ("1e12", "EUR"),
        (10**12, "JPY"),
        ("", "EUR"),
        ("   ", "EUR"),
        ("abc", "EUR"),
        ("12,34", "EUR"),
        ("1.2.3", "EUR"),
        ("€5", "EUR"),
        (None, "EUR"),
        ([1], "EUR"),
    ],
)
def test_parse_amount_refusals_name_the_field(text, currency):
    with pytest.raises(InvalidInput) as exc:
        parse_amount(text, currency, field="lines[3].price")
    assert exc.value.field == "lines[3].price"
    assert str(exc.value).startswith("lines[3].price: ")


def test_parse_amount_default_field_is_amount():
    with pytest.raises(InvalidInput) as exc:
        parse_amount("abc", "EUR")
    assert exc.value.field == "amount"


def test_parse_amount_refuses_an_astronomical_exponent_as_invalid_input():
    # "1e999999" is an absurdly large amount: it must be refused like any other absurd figure,
    # with an InvalidInput naming the field, not with a raw decimal.Overflow.
    with pytest.raises(InvalidInput) as exc:
        parse_amount("1e999999", "EUR", field="price")
    assert exc.value.field == "price"


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("12.340000000000000000000000001", "EUR"),  # 27 decimals, far more than 2
        ("1.0000000000000000000000000001", "JPY"),  # JPY has no decimals at all
    ],
)
def test_parse_amount_refuses_extra_decimals_even_when_long(text, currency):
    # "1.234" is refused in EUR; a longer string with a non-zero digit beyond the currency's
    # decimals must be refused too, not silently rounded to 12.34 / 1.
    with pytest.raises(InvalidInput) as exc:
        parse_amount(text, currency, field="price")
    assert exc.value.field == "price"


@PROPS
@given(st.sampled_from(CURRENCIES), st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR))
def test_format_then_parse_round_trips(currency, minor):
    text = format_amount(minor, currency)
    assert parse_amount(text, currency, allow_negative=True) == minor
    assert parse_amount(Decimal(text), currency, allow_negative=True) == minor
    if minor >= 0:
        assert parse_amount(text, currency) == minor
    else:
        with pytest.raises(InvalidInput):
            parse_amount(text, currency)


@PROPS
@given(st.sampled_from(CURRENCIES), st.integers(min_value=1, max_value=10**6),
       st.integers(min_value=1, max_value=9))
def test_one_decimal_too_many_is_always_refused(currency, whole, digit):
    places = exponent(currency)
    text = f"{whole}." + "0" * places + str(digit)
    with pytest.raises(InvalidInput) as exc:
        parse_amount(text, currency, field="x")
    assert exc.value.field == "x"


@PROPS
@given(st.sampled_from(CURRENCIES), st.integers(min_value=MAX_MINOR + 1, max_value=MAX_MINOR * 10**6))
def test_over_the_limit_is_always_refused(currency, minor):
    with pytest.raises(InvalidInput):
        parse_amount(format_amount(minor, currency), currency)
    with pytest.raises(InvalidInput):
        parse_amount(format_amount(-minor, currency), currency, allow_negative=True)


# --------------------------------------------------------------------------- format_amount


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1234, "EUR", "12.34"),
        (5, "EUR", "0.05"),
        (0, "EUR", "0.00"),
        (-5, "EUR", "-0.05"),
        (-1234, "EUR", "-12.34"),
        (100, "USD", "1.00"),
        (1500, "JPY", "1500"),
        (0, "JPY", "0"),
        (-7, "JPY", "-7"),
        (1234, "BHD", "1.234"),
        (5, "BHD", "0.005"),
        (-5, "KWD", "-0.005"),
        (MAX_MINOR, "EUR", "1000000000.00"),
    ],
)
def test_format_amount_examples(minor, currency, expected):
    assert format_amount(minor, currency) == expected


def test_money_str_and_arithmetic():
    assert str(Money(1234, "EUR")) == "12.34 EUR"
    assert str(Money(-5, "JPY")) == "-5 JPY"
    assert Money(100, "EUR") + Money(250, "EUR") == Money(350, "EUR")
    assert Money(100, "EUR") - Money(250, "EUR") == Money(-150, "EUR")
    with pytest.raises(InvalidInput) as exc:
        Money(100, "EUR") + Money(100, "USD")
    assert exc.value.field == "currency"


# --------------------------------------------------------------------------- small helpers


def test_exponents():
    assert exponent("EUR") == 2
    assert exponent("jpy") == 0
    assert exponent("BHD") == 3
    assert exponent("XYZ") == 2


@pytest.mark.parametrize("bad", ["EU", "EURO", "E1R", "", 978, None, "€€€"])
def test_check_currency_refusals(bad):
    with pytest.raises(InvalidInput) as exc:
        check_currency(bad, field="store.currency")
    assert exc.value.field == "store.currency"


def test_check_currency_upper_cases():
    assert check_currency("eur") == "EUR"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.5", 1), ("1.5", 2), ("2.5", 3), ("2.4999", 2), ("-0.5", -1), ("-2.5", -3), ("-2.4", -2)],
)
def test_round_half_up_is_half_away_from_zero(value, expected):
    assert round_half_up(Decimal(value)) == expected


@pytest.mark.parametrize("bad", [1.0, True, "5", None, MAX_MINOR + 1, -1])
def test_check_minor_refusals(bad):
    with pytest.raises(InvalidInput) as exc:
        check_minor(bad, field="paid")
    assert exc.value.field == "paid"


def test_check_minor_accepts_negative_only_when_allowed():
    assert check_minor(-MAX_MINOR, field="x", allow_negative=True) == -MAX_MINOR
    with pytest.raises(InvalidInput):
        check_minor(-MAX_MINOR - 1, field="x", allow_negative=True)


def test_domain_error_str():
    assert str(DomainError("boom")) == "boom"
    assert str(DomainError("boom", field="f")) == "f: boom"


# --------------------------------------------------------------------------- allocate


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # tie: the earliest part gets the spare unit
        (101, [1, 1, 1], [34, 34, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (10, [1, 2, 3, 4], [1, 2, 3, 4]),
        (10, [3, 0, 7], [3, 0, 7]),
        (1, [1, 3], [0, 1]),  # the larger remainder wins, not the earliest
        (2, [1, 1, 1], [1, 1, 0]),
        (5, [0, 0], [3, 2]),  # all-zero weights: split evenly
        (-5, [0, 0, 0], [-2, -2, -1]),
        (0, [5, 7], [0, 0]),
        (0, [], []),
        (999, [1000], [999]),
        (7, [2, 0, 2], [4, 0, 3]),
    ],
)
def test_allocate_examples(total, weights, expected):
    assert allocate(total, weights) == expected


def test_allocate_refusals():
    with pytest.raises(ValueError):
        allocate(10, [])
    with pytest.raises(ValueError):
        allocate(10, [1, -1, 5])


@PROPS
@given(st.integers(min_value=-10**12, max_value=10**12),
       st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=20))
def test_allocate_properties(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    basis = weights if sum(weights) else [1] * len(weights)
    whole = sum(basis)
    for part, w in zip(parts, basis):
        exact = Fraction(total * w, whole)
        assert abs(part - exact) < 1
        assert part * total >= 0  # never the opposite sign of the total
        if w == 0:
            assert part == 0
    if not sum(weights):
        assert max(parts) - min(parts) <= 1
    assert allocate(total, list(weights)) == parts
    assert allocate(-total, weights) == [-p for p in parts]

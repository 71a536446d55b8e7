"""Quantities in milli-units and percentages in ppm: strict parsing and formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import InvalidInput
from app.domain.quantity import MAX_QUANTITY_MILLI, check_quantity_milli, format_quantity, parse_quantity
from app.domain.rates import PPM, check_ppm, format_percent, parse_percent

PROPS = settings(max_examples=200, deadline=None)


# --------------------------------------------------------------------------- quantities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.375", 375),
        ("2", 2000),
        (" 2 ", 2000),
        ("1.5", 1500),
        ("0.001", 1),
        ("1.2300", 1230),
        ("100000", MAX_QUANTITY_MILLI),
        (Decimal("0.250"), 250),
        (3, 3000),
    ],
)
def test_parse_quantity_examples(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text",
    ["0", "0.000", "-1", "-0.5", "1.2345", "0.0001", 1.5, 2.0, True, "NaN", "inf", "-Infinity",
     Decimal("NaN"), "100000.001", "1e9", "", "abc", "1,5", None, 0, -3],
)
def test_parse_quantity_refusals_name_the_field(text):
    with pytest.raises(InvalidInput) as exc:
        parse_quantity(text, field="lines[0].quantity")
    assert exc.value.field == "lines[0].quantity"


def test_parse_quantity_default_field():
    with pytest.raises(InvalidInput) as exc:
        parse_quantity("0")
    assert exc.value.field == "quantity"


def test_parse_quantity_whole_units_only_for_items_sold_by_the_piece():
    assert parse_quantity("2", allow_fraction=False) == 2000
    assert parse_quantity("2.000", allow_fraction=False) == 2000
    for text in ("1.5", "0.375", "2.001"):
        with pytest.raises(InvalidInput) as exc:
            parse_quantity(text, field="qty", allow_fraction=False)
        assert exc.value.field == "qty"
        assert "whole number" in exc.value.message


def test_parse_quantity_refuses_an_astronomical_exponent_as_invalid_input():
    with pytest.raises(InvalidInput) as exc:
        parse_quantity("1e999999", field="qty")
    assert exc.value.field == "qty"


def test_parse_quantity_refuses_extra_decimals_even_when_long():
    # "1.2345" is refused; so must be a 1 in the 28th decimal place (it is not 1 unit).
    with pytest.raises(InvalidInput) as exc:
        parse_quantity("1.0000000000000000000000000001", field="qty")
    assert exc.value.field == "qty"


@pytest.mark.parametrize("bad", [0, -1, MAX_QUANTITY_MILLI + 1, 1.0, True, "5"])
def test_check_quantity_milli_refusals(bad):
    with pytest.raises(InvalidInput) as exc:
        check_quantity_milli(bad, field="q")
    assert exc.value.field == "q"


@pytest.mark.parametrize(("milli", "text"), [(2000, "2"), (375, "0.375"), (1500, "1.5"), (1, "0.001"),
                                             (100_000_000, "100000"), (10_000, "10")])
def test_format_quantity(milli, text):
    assert format_quantity(milli) == text


@PROPS
@given(st.integers(min_value=1, max_value=MAX_QUANTITY_MILLI))
def test_quantity_format_parse_round_trip(milli):
    text = format_quantity(milli)
    assert "e" not in text.lower()
    assert parse_quantity(text) == milli
    if milli % 1000:
        with pytest.raises(InvalidInput):
            parse_quantity(text, allow_fraction=False)
    else:
        assert parse_quantity(text, allow_fraction=False) == milli


# --------------------------------------------------------------------------- percentages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", 125_000),
        ("20", 200_000),
        ("20%", 200_000),
        (" 8.875 ", 88_750),
        ("0", 0),
        ("100", PPM),
        ("0.0001", 1),
        (Decimal("21"), 210_000),
        (6, 60_000),
    ],
)
def test_parse_percent_examples(text, expected):
    assert parse_percent(text, field="rate") == expected


@pytest.mark.parametrize(
    "text",
    ["100.0001", "101", "150", "-1", "-0.0001", "NaN", "inf", 12.5, True, "12.34567", "",
     "abc", None, "%"],
)
def test_parse_percent_refusals_name_the_field(text):
    with pytest.raises(InvalidInput) as exc:
        parse_percent(text, field="tax.rate")
    assert exc.value.field == "tax.rate"


def test_parse_percent_refuses_an_astronomical_exponent_as_invalid_input():
    with pytest.raises(InvalidInput) as exc:
        parse_percent("1e999999", field="rate")
    assert exc.value.field == "rate"


def test_parse_percent_refuses_extra_decimals_even_when_long():
    # "12.34567" is refused (five decimals); so must a 1 in the 27th decimal place.
    with pytest.raises(InvalidInput) as exc:
        parse_percent("12.500000000000000000000000001", field="rate")
    assert exc.value.field == "rate"


@pytest.mark.parametrize("bad", [-1, PPM + 1, 0.5, True, "5"])
def test_check_ppm_refusals(bad):
    with pytest.raises(InvalidInput) as exc:
        check_ppm(bad, field="r")
    assert exc.value.field == "r"


@pytest.mark.parametrize(("ppm", "text"), [(200_000, "20"), (88_750, "8.875"), (0, "0"),
                                           (PPM, "100"), (1, "0.0001"), (125_000, "12.5")])
def test_format_percent(ppm, text):
    assert format_percent(ppm) == text


@PROPS
@given(st.integers(min_value=0, max_value=PPM))
def test_percent_format_parse_round_trip(ppm):
    text = format_percent(ppm)
    assert "e" not in text.lower()
    assert parse_percent(text, field="r") == ppm
    assert parse_percent(text + "%", field="r") == ppm

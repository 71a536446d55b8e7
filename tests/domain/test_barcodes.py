"""Barcodes: GS1 check digits, in-store numbers and price/weight-embedded scale labels."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import InvalidInput
from app.domain.barcodes import (
    EmbeddedBarcode,
    check_barcode,
    gtin_check_digit,
    in_store_ean13,
    is_valid_gtin,
    make_ean13,
    parse_embedded,
)

PROPS = settings(max_examples=200, deadline=None)

# Published example codes (Wikipedia / GS1): EAN-13, EAN-8, UPC-A, GTIN-14.
REAL_CODES = ["4006381333931", "5901234123457", "96385074", "73513537", "036000291452",
              "0036000291452", "10012345678902"]


def gs1_valid(code: str) -> bool:
    """Independent check: weights 1, 3, 1, 3 … from the right, check digit included."""
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(reversed(code))) % 10 == 0


# --------------------------------------------------------------------------- check digits


@pytest.mark.parametrize("code", REAL_CODES)
def test_published_codes_are_valid(code):
    assert is_valid_gtin(code)
    assert gtin_check_digit(code[:-1]) == int(code[-1])
    assert check_barcode(code) == code


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_wrong_check_digit_is_refused(code):
    for digit in "0123456789":
        if digit == code[-1]:
            continue
        wrong = code[:-1] + digit
        assert not is_valid_gtin(wrong)
        with pytest.raises(InvalidInput) as exc:
            check_barcode(wrong, field="lines[0].barcode")
        assert exc.value.field == "lines[0].barcode"
        assert "check digit" in exc.value.message


def test_default_field_is_barcode():
    with pytest.raises(InvalidInput) as exc:
        check_barcode("4006381333932")
    assert exc.value.field == "barcode"


def test_transposed_digits_are_caught():
    assert not is_valid_gtin("4003681333931")  # 6 and 3 swapped


@pytest.mark.parametrize("code", ["123", "12345678901", "ABC", "400638133393A", "", "123456789012345"])
def test_is_valid_gtin_is_false_for_non_gtins(code):
    assert not is_valid_gtin(code)


def test_is_valid_gtin_is_false_for_non_ascii_digits():
    # str.isdigit() is true for superscripts; they are not a GTIN and must not crash the check
    assert is_valid_gtin("²" * 8) is False


@PROPS
@given(st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_check_digit_property(body):
    code = body + str(gtin_check_digit(body))
    assert gs1_valid(code)
    assert is_valid_gtin(code)
    assert check_barcode(code) == code
    for digit in "0123456789":
        if digit != code[-1]:
            assert not is_valid_gtin(code[:-1] + digit)


# --------------------------------------------------------------------------- check_barcode


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ABC-123", "ABC-123"), ("  4006381333931\n", "4006381333931"), ("X" * 48, "X" * 48),
     ("12345", "12345"), ("sku_9/Z~!", "sku_9/Z~!"), ("123456789", "123456789")],
)
def test_check_barcode_accepts(code, expected):
    assert check_barcode(code) == expected


@pytest.mark.parametrize(
    "code",
    ["", "   ", "\t\n", "AB C", "4006381 333931", "AB\tC", "AB\x00C", "AB\x1bC", "\x7f", "X" * 49,
     "café", "AB\u00a0C", None, 4006381333931, b"4006381333931"],
)
def test_check_barcode_refusals(code):
    with pytest.raises(InvalidInput) as exc:
        check_barcode(code, field="scan")
    assert exc.value.field == "scan"


@PROPS
@given(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=48))
def test_printable_ascii_codes_accepted_unless_a_bad_gtin(code):
    if code.isdigit() and len(code) in (8, 12, 13, 14) and not gs1_valid(code):
        with pytest.raises(InvalidInput):
            check_barcode(code)
    else:
        assert check_barcode(code) == code


@PROPS
@given(st.text(min_size=1, max_size=20), st.sampled_from([" ", "\x00", "\x07", "\x7f", "é", "\u2003"]),
       st.integers(0, 20))
def test_codes_with_a_space_or_control_char_inside_are_refused(text, bad, at):
    text = "A" + text.strip()[:at] + bad + "Z"
    with pytest.raises(InvalidInput):
        check_barcode(text)


# --------------------------------------------------------------------------- making codes


def test_make_ean13():
    assert make_ean13("400638133393") == "4006381333931"
    for body in ("40063813339", "4006381333931", "40063813339X"):
        with pytest.raises(InvalidInput) as exc:
            make_ean13(body)
        assert exc.value.field == "barcode"


def test_in_store_ean13_example():
    assert in_store_ean13(42) == "2000000000428"
    assert in_store_ean13(123456789, prefix="209") == "209123456789" + str(gtin_check_digit("209123456789"))


@pytest.mark.parametrize(("number", "prefix", "field"),
                         [(-1, "200", "number"), (10**9, "200", "number"), (1, "199", "prefix"),
                          (1, "300", "prefix"), (1, "210", "prefix"), (1, "20", "prefix"), (1, "2000", "prefix"),
                          (1, "2a0", "prefix")])
def test_in_store_ean13_refusals(number, prefix, field):
    with pytest.raises(InvalidInput) as exc:
        in_store_ean13(number, prefix=prefix)
    assert exc.value.field == field


@PROPS
@given(st.integers(0, 10**9 - 1), st.integers(200, 209))
def test_in_store_ean13_is_always_valid_and_in_range(number, prefix):
    code = in_store_ean13(number, prefix=str(prefix))
    assert len(code) == 13 and code.isdigit()
    assert 200 <= int(code[:3]) <= 209
    assert parse_embedded(code) is None  # never mistaken for a scale label
    assert code[:3] == str(prefix)
    assert int(code[3:12]) == number
    assert gs1_valid(code)
    assert check_barcode(code) == code


# --------------------------------------------------------------------------- scale labels


def test_price_label():
    code = make_ean13("211234501234")  # prefix 21, item 12345, price 12.34
    assert parse_embedded(code) == EmbeddedBarcode(make_ean13("211234500000"), price_minor=1234)


def test_weight_label():
    code = make_ean13("250042000375")  # prefix 25, item 00420, 0.375 kg
    assert parse_embedded(code) == EmbeddedBarcode(make_ean13("250042000000"), weight_milli=375)


@pytest.mark.parametrize(
    "code",
    ["4006381333931", "96385074", "036000291452", "2000000000428",  # prefix 20: in-store, not a label
     "2112345012340", "211234501234", "21123450123456", "21123A5012345"],
)
def test_parse_embedded_is_none_for_other_codes(code):
    assert parse_embedded(code) is None


def test_parse_embedded_is_none_for_non_ascii_digits():
    assert parse_embedded("2" + "²" * 12) is None


@PROPS
@given(st.integers(1, 9), st.integers(0, 99_999), st.integers(0, 99_999))
def test_parse_embedded_round_trip(kind, item, value):
    code = make_ean13(f"2{kind}{item:05d}{value:05d}")
    label = parse_embedded(code)
    assert label is not None
    assert label.lookup_code == make_ean13(f"2{kind}{item:05d}00000")
    assert is_valid_gtin(label.lookup_code)
    if kind <= 4:
        assert (label.price_minor, label.weight_milli) == (value, None)
    else:
        assert (label.price_minor, label.weight_milli) == (None, value)
    # a misread check digit is not a label
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert parse_embedded(wrong) is None

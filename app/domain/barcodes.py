"""Barcodes: EAN-13/EAN-8/UPC-A check digits, in-store EAN-13 numbers, and price- or
weight-embedded barcodes (GS1 prefixes 20–29 used by scales and label printers)."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import InvalidInput

_GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit for the digits ``body`` (the code without its last digit)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        total += digit * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def _ascii_digits(code: str) -> bool:
    return code.isascii() and code.isdigit()  # str.isdigit() alone admits "²" and "١"


def is_valid_gtin(code: str) -> bool:
    return (_ascii_digits(code) and len(code) in _GTIN_LENGTHS
            and gtin_check_digit(code[:-1]) == int(code[-1]))


def check_barcode(code: object, *, field: str = "barcode") -> str:
    """Normalise and validate a barcode.

    All-digit codes of GTIN length must carry a correct check digit (a misread scan must not
    add the wrong item); other codes (Code 128 labels, in-house SKUs) must be 1–48 printable
    ASCII characters without spaces.
    """
    if not isinstance(code, str):
        raise InvalidInput(f"{code!r} is not a barcode", field=field)
    text = code.strip()
    if not text:
        raise InvalidInput("is empty", field=field)
    if len(text) > 48 or not all(33 <= ord(c) < 127 for c in text):
        raise InvalidInput(f"{text[:60]!r} is not a barcode (1–48 printable characters)", field=field)
    if _ascii_digits(text) and len(text) in _GTIN_LENGTHS and not is_valid_gtin(text):
        raise InvalidInput(f"{text} has a wrong check digit", field=field)
    return text


def make_ean13(body12: str) -> str:
    """Append the check digit to a 12-digit body."""
    if len(body12) != 12 or not _ascii_digits(body12):
        raise InvalidInput("an EAN-13 body has exactly 12 digits", field="barcode")
    return body12 + str(gtin_check_digit(body12))


def in_store_ean13(number: int, *, prefix: str = "200") -> str:
    """An EAN-13 for in-house items from the GS1 restricted range 200–209 (21–29 are left to
    scale labels with an embedded price or weight, see :func:`parse_embedded`)."""
    if not (_ascii_digits(prefix) and len(prefix) == 3 and 200 <= int(prefix) <= 209):
        raise InvalidInput("in-store prefixes are 200–209 (21–29 are scale labels)", field="prefix")
    if not 0 <= number < 10**9:
        raise InvalidInput("in-store numbers have at most 9 digits", field="number")
    return make_ean13(f"{prefix}{number:09d}")


@dataclass(frozen=True, slots=True)
class EmbeddedBarcode:
    """A scale label: which item (``lookup_code``) and either its price or its weight."""

    lookup_code: str
    price_minor: int | None = None
    weight_milli: int | None = None


def parse_embedded(code: str) -> EmbeddedBarcode | None:
    """Decode a variable-measure EAN-13 (``2P IIIII VVVVV C``), or ``None`` for other codes.

    Prefix 21–24 embeds a price in minor units, 25–29 a weight in grams (milli-kilograms);
    the item is found by the code with the value zeroed (``2P IIIII 00000 C``), which is how
    such items are registered in the catalogue.
    """
    if not (len(code) == 13 and code[0] == "2" and is_valid_gtin(code)):
        return None
    kind = int(code[1])
    if kind < 1:
        return None
    value = int(code[7:12])
    lookup = make_ean13(code[:7] + "00000")
    if kind <= 4:
        return EmbeddedBarcode(lookup, price_minor=value)
    return EmbeddedBarcode(lookup, weight_milli=value)

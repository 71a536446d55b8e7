"""Strict, exact parsing of decimal text into scaled integers (amounts, quantities, rates).

``Decimal`` arithmetic rounds to the context's 28 digits, so "12.340000000000000000000000001"
would quietly become 12.34 and "1e999999" would overflow. Here the digits are read from the
number's tuple and scaled with integer arithmetic only: nothing is ever rounded, and sizes are
bounded before any big number is built.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from app.domain.errors import InvalidInput

#: ASCII digits only, an optional sign and decimal point; no exponents, underscores or spaces.
_PLAIN = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")  # \d would admit "１２" and "١٢"
#: No figure Tillpoint handles has more integer digits than this.
MAX_INTEGER_DIGITS = 18


def to_decimal(value: object, *, field: str, what: str) -> Decimal:
    """Accept text, ``int`` or ``Decimal``; refuse floats, bools, NaN and infinities."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidInput(f"must be given as text or Decimal, not {value!r}", field=field)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")  # "1 234.56": spaces group thousands
        if not text:
            raise InvalidInput("is empty", field=field)
        if not _PLAIN.match(text):
            raise InvalidInput(f"{value[:40]!r} is not {what}", field=field)
        try:
            result = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            raise InvalidInput(f"{value[:40]!r} is not {what}", field=field) from None
    else:
        raise InvalidInput(f"{value!r} is not {what}", field=field)
    if not result.is_finite():
        raise InvalidInput(f"{value!r} is not a finite {what.removeprefix('a ').removeprefix('an ')}",
                           field=field)
    return result


def scaled_int(value: Decimal, places: int, *, field: str, too_precise: str) -> int:
    """``value × 10**places`` as an exact ``int``; refuses anything that would need rounding."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked by to_decimal
    digits = list(digits)
    while digits and digits[-1] == 0 and exponent < -places:  # trailing zeros carry no value
        digits.pop()
        exponent += 1
    if not digits:
        return 0
    if exponent < -places:
        raise InvalidInput(too_precise, field=field)
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        raise InvalidInput("is absurdly large", field=field)
    magnitude = int("".join(map(str, digits))) * 10 ** (exponent + places)
    return -magnitude if sign else magnitude

"""Quantities: exact decimals with at most three places (grams of a weighed item), stored as
integer thousandths ("milli-units") so that sums in SQL stay exact."""

from __future__ import annotations

from decimal import Decimal

from app.domain.decimals import scaled_int, to_decimal
from app.domain.errors import InvalidInput

MILLI = 1000
#: No single line sells more than this many units: larger figures are scanning or typing mistakes.
MAX_QUANTITY_MILLI = 100_000 * MILLI


def parse_quantity(text: object, *, field: str = "quantity", allow_fraction: bool = True) -> int:
    """Parse a quantity (``"2"``, ``"0.375"``, ``Decimal``, ``int``) into milli-units.

    Refuses floats, zero, negatives, NaN, more than three decimals, fractions where the item is
    sold by the piece, and absurd sizes.
    """
    value = to_decimal(text, field=field, what="a quantity")
    milli = scaled_int(value, 3, field=field,
                       too_precise=f"{str(text)[:40]!r} has more than three decimal places")
    return check_quantity_milli(milli, field=field, allow_fraction=allow_fraction)


def check_quantity_milli(milli: int, *, field: str = "quantity", allow_fraction: bool = True) -> int:
    """Validate a quantity already in milli-units: positive, sane, whole unless allowed."""
    if isinstance(milli, bool) or not isinstance(milli, int):
        raise InvalidInput(f"{milli!r} is not a quantity", field=field)
    if milli <= 0:
        raise InvalidInput("must be greater than zero", field=field)
    if milli > MAX_QUANTITY_MILLI:
        raise InvalidInput("is absurdly large", field=field)
    if not allow_fraction and milli % MILLI:
        raise InvalidInput("must be a whole number for items sold by the piece", field=field)
    return milli


def format_quantity(milli: int) -> str:
    """``2000`` → ``"2"``, ``375`` → ``"0.375"``."""
    value = Decimal(milli) / MILLI
    text = format(value.normalize(), "f")
    return text

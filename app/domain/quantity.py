"""Quantities: exact decimals with at most three places (grams of a weighed item), stored as
integer thousandths ("milli-units") so that sums in SQL stay exact."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.domain.errors import InvalidInput

MILLI = 1000
#: No single line sells more than this many units: larger figures are scanning or typing mistakes.
MAX_QUANTITY_MILLI = 100_000 * MILLI


def parse_quantity(text: object, *, field: str = "quantity", allow_fraction: bool = True) -> int:
    """Parse a quantity (``"2"``, ``"0.375"``, ``Decimal``, ``int``) into milli-units.

    Refuses floats, zero, negatives, NaN, more than three decimals, fractions where the item is
    sold by the piece, and absurd sizes.
    """
    if isinstance(text, bool) or isinstance(text, float):
        raise InvalidInput(f"must be given as text or Decimal, not {text!r}", field=field)
    try:
        value = Decimal(text.strip()) if isinstance(text, str) else Decimal(text)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(f"{text!r} is not a quantity", field=field) from None
    if not value.is_finite():
        raise InvalidInput(f"{text!r} is not a finite quantity", field=field)
    milli = value * MILLI
    if milli != milli.to_integral_value():
        raise InvalidInput(f"{text!r} has more than three decimal places", field=field)
    return check_quantity_milli(int(milli), field=field, allow_fraction=allow_fraction)


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

"""Percentages as exact integers: parts per million (20 % = 200 000 ppm, 8.875 % = 88 750 ppm)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.domain.errors import InvalidInput

PPM = 1_000_000
HUNDRED_PERCENT = PPM


def parse_percent(text: object, *, field: str) -> int:
    """Parse ``"12.5"`` (percent) into ppm; refuses floats, NaN, negatives and over 100 %."""
    if isinstance(text, bool) or isinstance(text, float):
        raise InvalidInput(f"must be given as text or Decimal, not {text!r}", field=field)
    try:
        value = Decimal(text.strip().rstrip("%")) if isinstance(text, str) else Decimal(text)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(f"{text!r} is not a percentage", field=field) from None
    if not value.is_finite():
        raise InvalidInput(f"{text!r} is not a finite percentage", field=field)
    ppm = value * (PPM // 100)
    if ppm != ppm.to_integral_value():
        raise InvalidInput(f"{text!r} has more than four decimal places", field=field)
    return check_ppm(int(ppm), field=field)


def check_ppm(ppm: int, *, field: str) -> int:
    """Validate a percentage in ppm: between 0 and 100 %."""
    if isinstance(ppm, bool) or not isinstance(ppm, int):
        raise InvalidInput(f"{ppm!r} is not a percentage", field=field)
    if ppm < 0:
        raise InvalidInput("must not be negative", field=field)
    if ppm > HUNDRED_PERCENT:
        raise InvalidInput("must not be over 100 %", field=field)
    return ppm


def format_percent(ppm: int) -> str:
    """``200000`` → ``"20"``, ``88750`` → ``"8.875"``."""
    value = (Decimal(ppm) / (PPM // 100)).normalize()
    return format(value, "f")

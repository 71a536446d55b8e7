"""Percentages as exact integers: parts per million (20 % = 200 000 ppm, 8.875 % = 88 750 ppm)."""

from __future__ import annotations

from decimal import Decimal

from app.domain.decimals import scaled_int, to_decimal
from app.domain.errors import InvalidInput

PPM = 1_000_000
HUNDRED_PERCENT = PPM


def parse_percent(text: object, *, field: str) -> int:
    """Parse ``"12.5"`` or ``"12.5%"`` (percent) into ppm; refuses floats, NaN, more than four
    decimals, negatives and over 100 %."""
    if isinstance(text, str):
        text = text.strip().removesuffix("%")
    value = to_decimal(text, field=field, what="a percentage")
    ppm = scaled_int(value, 4, field=field,
                     too_precise=f"{str(text)[:40]!r} has more than four decimal places")
    return check_ppm(ppm, field=field)


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

"""Quantities as staff type them in the back office: signed for an adjustment ("-2", "+0.350"),
whole pieces unless the product is sold by weight; shown with their unit."""

from __future__ import annotations

from app.domain.decimals import scaled_int, to_decimal
from app.domain.errors import InvalidInput
from app.domain.quantity import MAX_QUANTITY_MILLI, MILLI, format_quantity


def parse_signed(text: object, *, by_weight: bool, field: str = "quantity") -> int:
    """Milli-units of a signed quantity; refuses zero, more than three decimals, fractions of
    a piece and absurd sizes, naming ``field``."""
    value = to_decimal(text, field=field, what="a quantity")
    milli = scaled_int(value, 3, field=field,
                       too_precise=f"{str(text)[:40]!r} has more than three decimal places")
    return check_signed(milli, by_weight=by_weight, field=field)


def check_signed(milli: object, *, by_weight: bool, field: str = "quantity") -> int:
    if isinstance(milli, bool) or not isinstance(milli, int):
        raise InvalidInput(f"{milli!r} is not a quantity", field=field)
    if milli == 0:
        raise InvalidInput("zero moves nothing", field=field)
    if abs(milli) > MAX_QUANTITY_MILLI:
        raise InvalidInput("is absurdly large", field=field)
    if not by_weight and milli % MILLI:
        raise InvalidInput("must be whole pieces: this item is not sold by weight", field=field)
    return milli


def parse_count(text: object, *, by_weight: bool, field: str = "counted") -> int:
    """What is on the shelf: zero or more."""
    value = to_decimal(text, field=field, what="a quantity")
    milli = scaled_int(value, 3, field=field,
                       too_precise=f"{str(text)[:40]!r} has more than three decimal places")
    if milli < 0:
        raise InvalidInput("a count is what is on the shelf: zero or more", field=field)
    if milli > MAX_QUANTITY_MILLI:
        raise InvalidInput("is absurdly large", field=field)
    if not by_weight and milli % MILLI:
        raise InvalidInput("must be whole pieces: this item is not sold by weight", field=field)
    return milli


def shown(milli: int | None, *, by_weight: bool, signed: bool = False) -> str:
    """``3``, ``-2``, ``+1.250 kg``; empty for None."""
    if milli is None:
        return ""
    text = format_quantity(milli)
    if signed and milli > 0:
        text = f"+{text}"
    return f"{text} kg" if by_weight else text


def parse_lines(text: str, *, field: str = "lines") -> list[tuple[str, str]]:
    """Lines typed or pasted as ``CODE QUANTITY`` (a barcode or SKU, a space or tab, a
    quantity; a code alone means 1; ``;`` also ends a line), blank lines skipped: for delivery notes and transfers.
    The quantity is checked by the service, which knows the item."""
    found = []
    for n, raw in enumerate(text.replace(";", "\n").splitlines(), start=1):
        parts = raw.replace("\t", " ").split()
        if not parts:
            continue
        if len(parts) > 2:
            raise InvalidInput(f"line {n}: write a code and a quantity, nothing more",
                               field=field)
        found.append((parts[0], parts[1] if len(parts) == 2 else "1"))
    if not found:
        raise InvalidInput("write one item a line: its barcode or SKU, then the quantity",
                           field=field)
    return found

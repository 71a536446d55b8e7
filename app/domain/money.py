"""Exact money: integer minor units per currency, explicit rounding, exact allocation.

Money never passes through a float. Amounts from outside arrive as text (or ``Decimal``/``int``)
and are parsed strictly; multiplication by a quantity or a rate rounds half-up once, at a
documented point, and splitting an amount over parts uses the largest-remainder method so the
parts always add back to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

from app.domain.decimals import scaled_int, to_decimal
from app.domain.errors import InvalidInput

# Minor-unit exponents (ISO 4217). Currencies not listed use two decimals.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "HUF": 2, "BHD": 3, "KWD": 3,
              "JOD": 3, "OMR": 3, "TND": 3}

#: The largest amount Tillpoint accepts anywhere, in minor units (a billion in major units):
#: larger figures are typing mistakes, not sales.
MAX_MINOR = 100_000_000_000


def exponent(currency: str) -> int:
    """Number of decimal places of ``currency``'s minor unit."""
    return _EXPONENTS.get(currency.upper(), 2)


def check_currency(currency: str, *, field: str = "currency") -> str:
    """Return the upper-case ISO 4217 code, or refuse one that is not three letters."""
    if not isinstance(currency, str) or len(currency) != 3 or not (currency.isascii() and currency.isalpha()):
        raise InvalidInput(f"{currency!r} is not a three-letter currency code", field=field)
    return currency.upper()


def round_half_up(value: Decimal) -> int:
    """Round a ``Decimal`` to the nearest integer, halves away from zero."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def check_minor(value: object, *, field: str, allow_negative: bool = False) -> int:
    """Validate an amount already in minor units (an ``int``, never a float or bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"must be a whole number of minor units, not {value!r}", field=field)
    if value < 0 and not allow_negative:
        raise InvalidInput("must not be negative", field=field)
    if abs(value) > MAX_MINOR:
        raise InvalidInput("is absurdly large", field=field)
    return value


def parse_amount(text: object, currency: str, *, field: str = "amount",
                 allow_negative: bool = False) -> int:
    """Parse ``"12.34"`` (or a ``Decimal``/``int`` of major units) into minor units.

    Refuses floats, NaN, infinities, exponents, more decimals than the currency has (however
    many zeros come first), negatives (unless allowed) and absurd sizes, naming ``field``.
    """
    value = to_decimal(text, field=field, what="an amount")
    places = exponent(currency)
    minor = scaled_int(value, places, field=field,
                       too_precise=f"{str(text)[:40]!r} has more than {places} decimal places")
    return check_minor(minor, field=field, allow_negative=allow_negative)


def format_amount(minor: int, currency: str) -> str:
    """Format minor units as a plain decimal string (``1234, "EUR"`` → ``"12.34"``)."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(places + 1, "0")
    if places == 0:
        return f"{sign}{digits}"
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` proportionally; the parts add up to ``total`` exactly.

    Largest-remainder method: each part is floored, and the units left over go to the parts
    with the largest remainders (earliest first on ties), so the result is deterministic.
    When all weights are zero the total is split evenly.
    """
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero total over no parts")
        return []
    sign = -1 if total < 0 else 1
    remaining = abs(total)
    basis = list(weights) if sum(weights) else [1] * len(weights)
    whole = sum(basis)
    parts = [remaining * w // whole for w in basis]
    remainders = [remaining * w % whole for w in basis]
    leftover = remaining - sum(parts)
    order = sorted(range(len(basis)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        parts[i] += 1
    return [sign * p for p in parts]


def total_of(amounts: Iterable[int]) -> int:
    """Sum minor-unit amounts (kept for readability at call sites)."""
    return sum(amounts, 0)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units with its currency, for display and for typed interfaces."""

    minor: int
    currency: str

    def __str__(self) -> str:
        return f"{format_amount(self.minor, self.currency)} {self.currency}"

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def _same(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise InvalidInput(f"cannot mix {self.currency} and {other.currency}", field="currency")

"""Carriers: who takes a parcel and gives it a tracking number.

``Carrier`` is the seam a real carrier's API plugs into later (book the parcel, get its number
back); ``HouseCarrier`` is the built-in one, for a shop that delivers itself or hands parcels
to a local courier: it issues its own tracking numbers, offline, without a counter of its own.

A house tracking number is ``TP`` + the order's number without its dashes (store code,
register code, the register's sale sequence) + the order's shipment count (two digits) + one
check digit, e.g. ``TPS01R01000042017`` for the first shipment of sale S01-R01-000042: unique
across the chain without asking anyone, because order numbers are, and a mistyped number is
caught before anyone searches for it. An order another till labels (an online order, which any
till of the store may ship) has the labelling register's code after the order's number
(``TPS01WEB000042R0201…``): two tills labelling one order never make the same number. The check digit is Luhn's over the number's digits with
each letter written as two digits (A = 10 … Z = 35, as IBANs do): it catches every single
wrong digit and most swapped neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from app.domain.errors import InvalidInput, RuleViolation

HOUSE = "house"
TRACKING_PREFIX = "TP"
MAX_SHIPMENTS_PER_ORDER = 99


@dataclass(frozen=True, slots=True)
class Service:
    code: str  # what a shipment keeps and a label prints (in capitals), e.g. "express"
    max_parcel_grams: int  # the heaviest single parcel the service takes


@dataclass(frozen=True, slots=True)
class Parcel:
    """What a carrier is asked to carry: the order, the service, the parcels and both ends."""

    order_number: str
    shipment_no: int  # the order's first shipment is 1
    service: str
    weight_grams: int  # all parcels together
    parcels: int
    ship_to: tuple[str, ...]
    ship_from: tuple[str, ...]
    #: the labelling register's code when the order is not its own sale (another till may
    #: label the same order: its numbers must differ), else ""
    shipper: str = ""


@dataclass(frozen=True, slots=True)
class Tracking:
    carrier: str
    service: str
    number: str


@runtime_checkable
class Carrier(Protocol):
    name: str  # kept with the shipment (at most 30 characters)

    def services(self) -> tuple[Service, ...]: ...

    def create(self, parcel: Parcel) -> Tracking: ...


def _digits(body: str) -> str:
    return "".join(str(int(ch, 36)) for ch in body)


def _luhn_sum(digits: str, *, double_first: bool) -> int:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if (i % 2 == 0) == double_first:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total


def check_digit(body: str) -> str:
    """The check digit to append to ``body`` (letters and digits only)."""
    if not body or not body.isascii() or not body.isalnum():
        raise InvalidInput("a tracking number is made of letters and digits",
                           field="tracking_number")
    return str(-_luhn_sum(_digits(body.upper()), double_first=True) % 10)


def is_valid_tracking(number: str) -> bool:
    """Whether ``number``'s last digit is the check digit of the rest."""
    if len(number) < 2 or not number.isascii() or not number.isalnum() \
            or not number[-1].isdigit():
        return False
    return check_digit(number[:-1]) == number[-1]


def _code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


class HouseCarrier:
    """The built-in carrier: standard and express, numbers made from the order's."""

    name = HOUSE
    title = "Shop delivery"
    _SERVICES = (Service("standard", 30_000), Service("express", 20_000))

    def services(self) -> tuple[Service, ...]:
        return self._SERVICES

    def create(self, parcel: Parcel) -> Tracking:
        if parcel.service not in {s.code for s in self._SERVICES}:
            raise InvalidInput(f"{parcel.service!r} is not a service of {self.name} "
                               f"({', '.join(s.code for s in self._SERVICES)})", field="service")
        if not 1 <= parcel.shipment_no <= MAX_SHIPMENTS_PER_ORDER:
            raise RuleViolation(f"order {parcel.order_number} has had "
                                f"{MAX_SHIPMENTS_PER_ORDER} shipments already", field="order")
        order = _code(parcel.order_number)
        if not order:
            raise InvalidInput("has no letters or digits to make a tracking number of",
                               field="order")
        body = f"{TRACKING_PREFIX}{order}{_code(parcel.shipper)}{parcel.shipment_no:02d}"
        return Tracking(self.name, parcel.service, body + check_digit(body))


def carrier_title(name: str) -> str:
    """What a label calls the carrier ``name``."""
    return HouseCarrier.title if name == HOUSE else name

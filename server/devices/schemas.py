"""Request bodies for stores, registers and pairing: strict types, no unknown fields."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from server.users.schemas import STRICT, Name, Text, Version

_CODE = re.compile(r"[A-Z0-9]{1,8}")
_CURRENCY = re.compile(r"[A-Z]{3}")


def parse_code(value: str) -> str:
    # Codes build order numbers like S01-R02-000123: letters and digits only, so the dashes
    # stay unambiguous; upper-cased so "s01" and "S01" are the same store.
    value = value.strip().upper()
    if not value.isascii() or not _CODE.fullmatch(value):
        raise ValueError("1 to 8 letters or digits, like S01 or R02")
    return value


def _currency(value: str) -> str:
    value = value.strip().upper()
    if not value.isascii() or not _CURRENCY.fullmatch(value):
        raise ValueError("an ISO 4217 code of 3 letters, like EUR")
    return value


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    # Checked against the list rather than by ZoneInfo(value): that would read any path it is given.
    if value not in _zones():
        raise ValueError("an IANA time zone name, like Europe/Berlin")
    return value


Code = Annotated[Text, Field(min_length=1, max_length=16), AfterValidator(parse_code)]
Currency = Annotated[Text, Field(min_length=3, max_length=3), AfterValidator(_currency)]
TimeZone = Annotated[Text, Field(min_length=1, max_length=64), AfterValidator(_timezone)]
StoreName = Annotated[Text, Field(min_length=1, max_length=200)]
Address = Annotated[Text, Field(max_length=500)]
TaxNumber = Annotated[Text, Field(max_length=64)]


class StoreCreate(BaseModel):
    model_config = STRICT
    code: Code
    name: StoreName
    currency: Currency
    prices_include_tax: bool = True
    address: Address = ""
    tax_number: TaxNumber = ""
    timezone: TimeZone = "UTC"


class StoreUpdate(BaseModel):
    """The code is fixed once created (order numbers carry it); omitted fields stay."""

    model_config = STRICT
    version: Version
    name: StoreName | None = None
    currency: Currency | None = None
    prices_include_tax: bool | None = None
    address: Address | None = None
    tax_number: TaxNumber | None = None
    timezone: TimeZone | None = None


class RegisterCreate(BaseModel):
    model_config = STRICT
    code: Code
    name: Name = ""


class PairRequest(BaseModel):
    model_config = STRICT
    code: Annotated[Text, Field(min_length=1, max_length=64)]

"""Request bodies of the customer routes: strict types, bounded lengths, no unknown fields;
emails are checked by the service with the accounts' own rule."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from server.customers.countries import COUNTRIES
from server.users.schemas import STRICT, Text, Version


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRIES:
        raise ValueError("not an ISO 3166-1 alpha-2 country code (e.g. DE, FR, GB)")
    return code


def _phone(value: str) -> str:
    allowed = set("0123456789+-() ./")
    text = value.strip()
    if text and (not set(text) <= allowed or sum(c.isdigit() for c in text) < 3):
        raise ValueError("digits, spaces and + - ( ) . / only, at least three digits")
    return text


def _stripped(value: str) -> str:
    return value.strip()


Country = Annotated[Text, Field(min_length=2, max_length=2), AfterValidator(_country)]
Phone = Annotated[Text, Field(max_length=40), AfterValidator(_phone)]
Line = Annotated[Text, Field(max_length=200), AfterValidator(_stripped)]
Required = Annotated[Text, Field(min_length=1, max_length=200), AfterValidator(_stripped)]
Email = Annotated[Text, Field(max_length=254)]
Notes = Annotated[Text, Field(max_length=2000)]
Short = Annotated[Text, Field(max_length=100), AfterValidator(_stripped)]
Postcode = Annotated[Text, Field(max_length=20), AfterValidator(_stripped)]
Label = Annotated[Text, Field(max_length=50), AfterValidator(_stripped)]


class AddressCreate(BaseModel):
    model_config = STRICT
    label: Label = ""
    name: Line = ""
    line1: Required
    line2: Line = ""
    city: Annotated[Text, Field(min_length=1, max_length=100), AfterValidator(_stripped)]
    postcode: Postcode = ""
    region: Short = ""
    country: Country
    phone: Phone = ""


class AddressUpdate(BaseModel):
    """Fields left out (or null) stay as they are."""

    model_config = STRICT
    label: Label | None = None
    name: Line | None = None
    line1: Required | None = None
    line2: Line | None = None
    city: Annotated[Text, Field(min_length=1, max_length=100),
                    AfterValidator(_stripped)] | None = None
    postcode: Postcode | None = None
    region: Short | None = None
    country: Country | None = None
    phone: Phone | None = None


class CustomerCreate(BaseModel):
    model_config = STRICT
    name: Required
    email: Email | None = None
    phone: Phone = ""
    addresses: Annotated[list[AddressCreate], Field(max_length=20)] = []
    marketing_opt_in: bool = False
    notes: Notes = ""


class CustomerUpdate(BaseModel):
    """Fields left out stay; ``email: null`` removes the address; ``version`` is the one the
    edit was based on."""

    model_config = STRICT
    version: Version
    name: Required | None = None
    email: Email | None = None
    phone: Phone | None = None
    marketing_opt_in: bool | None = None
    notes: Notes | None = None

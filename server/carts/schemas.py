"""Request bodies of the cart routes: strict types (no floats, no operators), bounded sizes,
unknown fields refused.

Quantities: ``quantity`` is a whole number of pieces (1–999) for any item; an item sold by
weight may instead give ``quantity_milli`` in thousandths (1–999,000: grams of a kilo price).
Exactly one of the two."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from server.errors import ApiError
from server.users.schemas import Text  # strings that MongoDB can store (no lone surrogates)

STRICT = ConfigDict(extra="forbid", strict=True)
MAX_PIECES = 999
MAX_MILLI = MAX_PIECES * 1000
MAX_LINES = 100


Id = Annotated[Text, Field(min_length=1, max_length=64)]
Code = Annotated[Text, Field(min_length=1, max_length=64)]
Pieces = Annotated[int, Field(ge=1, le=MAX_PIECES)]
Milli = Annotated[int, Field(ge=1, le=MAX_MILLI)]
Email = Annotated[Text, Field(min_length=3, max_length=254,
                              pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Short = Annotated[Text, Field(max_length=200)]


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {message}", {"field": field})


class _Quantity(BaseModel):
    model_config = STRICT
    quantity: Pieces | None = None
    quantity_milli: Milli | None = None

    def milli(self) -> int:
        """The quantity in thousandths; 422 naming ``quantity`` unless exactly one was given."""
        if (self.quantity is None) == (self.quantity_milli is None):
            raise _invalid("quantity", "give exactly one of quantity (pieces) or quantity_milli")
        return self.quantity_milli if self.quantity_milli is not None else self.quantity * 1000


class ItemAdd(_Quantity):
    """A product (its first variant, or ``variant_id``) or a scanned ``barcode``/SKU."""

    product_id: Id | None = None
    variant_id: Id | None = None
    barcode: Code | None = None

    def check_item(self) -> None:
        """422 naming the field unless the item is named exactly one way."""
        if (self.product_id is None) == (self.barcode is None):
            raise _invalid("product_id", "give exactly one of product_id or barcode")
        if self.barcode is not None and self.variant_id is not None:
            raise _invalid("variant_id", "variant_id goes with product_id, not with barcode")


class ItemUpdate(_Quantity):
    """The line's new quantity."""


class CouponApply(BaseModel):
    model_config = STRICT
    code: Code


class Address(BaseModel):
    model_config = STRICT
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    line1: Annotated[Text, Field(min_length=1, max_length=200)]
    line2: Short = ""
    city: Annotated[Text, Field(min_length=1, max_length=100)]
    postcode: Annotated[Text, Field(min_length=1, max_length=20)]
    region: Short = ""
    country: Annotated[Text, Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")]
    phone: Annotated[Text, Field(max_length=40)] = ""


class Checkout(BaseModel):
    """``email`` is required from guests (a signed-in customer's account address is used
    otherwise)."""

    model_config = STRICT
    email: Email | None = None
    shipping_address: Address

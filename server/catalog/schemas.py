"""Request bodies of the catalogue routes: strict types, no unknown fields, bounded sizes; money
in integer minor units per ISO currency, rates in ppm, barcodes checked by ``app.domain``."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from app.domain.barcodes import check_barcode
from app.domain.errors import InvalidInput
from app.domain.money import MAX_MINOR, check_currency
from app.domain.rates import HUNDRED_PERCENT
from server.users.schemas import MAX_VERSION, Text

STRICT = ConfigDict(extra="forbid", strict=True)
MAX_VARIANTS = 100
MAX_CODES = 20  # barcodes per variant
MAX_QUANTITY_MILLI = 10**12  # a threshold beyond a billion units is a typing mistake


def _trimmed(value: str) -> str:
    return value.strip()


def _currency_key(value: str) -> str:
    try:
        return check_currency(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


def _barcode(value: str) -> str:
    try:
        return check_barcode(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


def _sku(value: str) -> str:
    text = value.strip()
    if not 1 <= len(text) <= 64:
        raise ValueError("a SKU is 1 to 64 characters (spaces at the ends are dropped)")
    if not text.isprintable():
        raise ValueError("a SKU holds printable characters only")
    return text


def _field_name(value: str) -> str:
    # It becomes a MongoDB field name: NUL is refused by BSON, "." and a leading "$" by
    # MongoDB's update paths.
    if "\x00" in value or "." in value or value.startswith("$"):
        raise ValueError("an attribute name may not contain '.', NUL or start with '$'")
    return value


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("lists the same value twice")
    return values


Version = Annotated[StrictInt, Field(ge=1, le=MAX_VERSION)]
Id = Annotated[Text, Field(min_length=1, max_length=64)]
Name = Annotated[Text, AfterValidator(_trimmed), Field(min_length=1, max_length=200)]
ShortText = Annotated[Text, AfterValidator(_trimmed), Field(max_length=200)]
Description = Annotated[Text, Field(max_length=5000)]
Currency = Annotated[Text, AfterValidator(_currency_key)]
Minor = Annotated[StrictInt, Field(ge=0, le=MAX_MINOR)]
Prices = Annotated[dict[Currency, Minor], Field(max_length=20)]
Barcode = Annotated[Text, AfterValidator(_barcode)]
Sku = Annotated[Text, Field(max_length=200), AfterValidator(_sku)]
Tag = Annotated[Text, AfterValidator(_trimmed), Field(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=30), AfterValidator(_unique)]
AttrKey = Annotated[Text, Field(min_length=1, max_length=40), AfterValidator(_field_name)]
AttrValue = Annotated[Text, Field(max_length=100)]
Attributes = Annotated[dict[AttrKey, AttrValue], Field(max_length=10)]
Threshold = Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY_MILLI)]
RatePpm = Annotated[StrictInt, Field(ge=0, le=HUNDRED_PERCENT)]
Sort = Annotated[StrictInt, Field(ge=-1_000_000, le=1_000_000)]


class VariantIn(BaseModel):
    """One variant; ``id`` names an existing variant to keep (on PUT/PATCH), or is left out."""

    model_config = STRICT
    id: Id | None = None
    sku: Sku
    name: ShortText = ""
    attributes: Attributes = {}
    barcodes: Annotated[list[Barcode], Field(max_length=MAX_CODES), AfterValidator(_unique)] = []
    prices: Prices | None = None  # None: the product's prices
    cost: Prices | None = None
    archived: StrictBool = False


Variants = Annotated[list[VariantIn], Field(min_length=1, max_length=MAX_VARIANTS)]


class ProductCreate(BaseModel):
    """A new product with at least one variant (a product without options has one, named "")."""

    model_config = STRICT
    name: Name
    description: Description = ""
    brand: ShortText = ""
    category_id: Id | None = None
    tags: Tags = []
    tax_class_id: Id | None = None
    prices: Prices = {}
    cost: Prices = {}
    sold_by_weight: StrictBool = False
    low_stock_threshold_milli: Threshold | None = None
    variants: Variants


class ProductReplace(ProductCreate):
    """PUT: the whole product as it should be, based on ``version``. Variants left out of the
    list are archived, never deleted (orders refer to them); their codes stay reserved."""

    version: Version


class ProductPatch(BaseModel):
    """PATCH: the fields sent change, the others stay; ``archived: false`` unarchives."""

    model_config = STRICT
    version: Version
    name: Name | None = None
    description: Description | None = None
    brand: ShortText | None = None
    category_id: Id | None = None
    tags: Tags | None = None
    tax_class_id: Id | None = None
    prices: Prices | None = None
    cost: Prices | None = None
    sold_by_weight: StrictBool | None = None
    low_stock_threshold_milli: Threshold | None = None
    variants: Variants | None = None
    archived: StrictBool | None = None


class CategoryCreate(BaseModel):
    model_config = STRICT
    name: Name
    slug: Annotated[Text, Field(max_length=100)] | None = None  # default: from the name
    parent_id: Id | None = None
    sort: Sort = 0


class CategoryPatch(BaseModel):
    """Rename, reorder, move (``parent_id``; null makes it a root) or (un)archive."""

    model_config = STRICT
    version: Version
    name: Name | None = None
    slug: Annotated[Text, Field(max_length=100)] | None = None
    parent_id: Id | None = None
    sort: Sort | None = None
    archived: StrictBool | None = None


class TaxRateIn(BaseModel):
    model_config = STRICT
    name: Name
    rate_ppm: RatePpm


class TaxClassCreate(BaseModel):
    model_config = STRICT
    name: Name
    rates: Annotated[list[TaxRateIn], Field(max_length=5)] = []


class TaxClassPatch(BaseModel):
    model_config = STRICT
    version: Version
    name: Name | None = None
    rates: Annotated[list[TaxRateIn], Field(max_length=5)] | None = None

"""Request bodies of ``/coupons``: strict types, no unknown fields, bounded sizes. What the
types cannot say (a percent as decimal text, the window's order, a currency for an amount
coupon) is checked by ``server.coupons.manage``, naming the field."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictInt

from app.domain.money import MAX_MINOR
from server.users.schemas import STRICT, Text, Version  # one definition of each

MAX_USES = 1_000_000_000  # a limit larger than any chain's sales is a typing mistake


def _aware(value: object) -> datetime:
    """ISO 8601 text with a timezone → UTC datetime to the millisecond (what BSON keeps)."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("must be ISO 8601 text with a timezone, e.g. 2026-12-01T00:00:00Z")
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise ValueError("needs a timezone, e.g. 2026-12-01T00:00:00+01:00 or …Z")
        utc = parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a timezone-aware ISO 8601 date and time ({exc})") from None
    if not 1970 <= utc.year <= 9999:
        raise ValueError("must be between the years 1970 and 9999")
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


Code = Annotated[Text, Field(min_length=1, max_length=64)]
Description = Annotated[Text, Field(max_length=500)]
When = Annotated[datetime, BeforeValidator(_aware)]
Minor = Annotated[StrictInt, Field(ge=0, le=MAX_MINOR)]
Uses = Annotated[StrictInt, Field(ge=1, le=MAX_USES)]
Kind = Literal["percent", "amount"]
# A percent is decimal text ("12.5"), an amount whole minor units: which one is checked against
# ``kind`` by the service, so the error names ``value`` either way.
Value = StrictInt | Annotated[Text, Field(max_length=40)]
Currency = Annotated[Text, Field(min_length=3, max_length=3)]


class CouponCreate(BaseModel):
    """A new coupon; ``code`` is case-insensitive and fixed once created."""

    model_config = STRICT
    code: Code
    kind: Kind
    value: Value
    currency: Currency | None = None
    valid_from: When | None = None
    valid_to: When | None = None
    min_spend: Minor = 0
    usage_limit: Uses | None = None
    per_customer_limit: Uses | None = None
    active: StrictBool = True
    description: Description = ""


class CouponUpdate(BaseModel):
    """Fields left out stay as they are; ``null`` clears the nullable ones (window ends,
    limits, currency). ``version`` is the one the edit was based on; ``code`` cannot change."""

    model_config = STRICT
    version: Version
    kind: Kind | None = None
    value: Value | None = None
    currency: Currency | None = None
    valid_from: When | None = None
    valid_to: When | None = None
    min_spend: Minor | None = None
    usage_limit: Uses | None = None
    per_customer_limit: Uses | None = None
    active: StrictBool | None = None
    description: Description | None = None


#: fields of ``CouponUpdate`` that ``null`` clears; for the others ``null`` is refused
NULLABLE = frozenset({"currency", "valid_from", "valid_to", "usage_limit", "per_customer_limit"})

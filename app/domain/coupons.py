"""Coupon rules: code format, validity window, minimum spend and usage limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.pricing import CouponTerms, Discount

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")


def normalise_code(code: object, *, field: str = "coupon") -> str:
    """Coupon codes are case-insensitive: ``summer-10`` and ``SUMMER-10`` are one code."""
    # ASCII only: "ſummer".upper() would otherwise become the different code "SUMMER".
    if not isinstance(code, str) or not code.isascii() or not _CODE.match(code.strip().upper()):
        raise InvalidInput(f"{code!r} is not a coupon code (2–32 letters, digits, - or _)", field=field)
    return code.strip().upper()


@dataclass(frozen=True, slots=True)
class CouponRules:
    code: str
    discount: Discount
    valid_from: datetime | None
    valid_to: datetime | None
    min_spend: int
    usage_limit: int | None
    per_customer_limit: int | None
    active: bool


def check_coupon(rules: CouponRules, *, now: datetime, used: int, used_by_customer: int,
                 customer_known: bool) -> CouponTerms:
    """Return the terms to price with, or say in words why the coupon cannot be used now."""
    if not rules.active:
        raise RuleViolation(f"coupon {rules.code} is no longer active", field="coupon")
    if rules.valid_from and now < rules.valid_from:
        raise RuleViolation(f"coupon {rules.code} is not valid before {rules.valid_from:%Y-%m-%d}",
                            field="coupon")
    if rules.valid_to and now > rules.valid_to:
        raise RuleViolation(f"coupon {rules.code} expired on {rules.valid_to:%Y-%m-%d}", field="coupon")
    if rules.usage_limit is not None and used >= rules.usage_limit:
        raise RuleViolation(f"coupon {rules.code} has been used up", field="coupon")
    if rules.per_customer_limit is not None:
        if not customer_known:
            raise RuleViolation(f"coupon {rules.code} needs a customer on the sale", field="coupon")
        if used_by_customer >= rules.per_customer_limit:
            raise RuleViolation(f"this customer has already used coupon {rules.code}", field="coupon")
    return CouponTerms(rules.code, rules.discount, rules.min_spend)

"""Coupon codes and the rules that say whether a coupon can be used now."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.coupons import CouponRules, check_coupon, normalise_code
from app.domain.errors import InvalidInput, RuleViolation
from app.domain.pricing import CouponTerms, Discount

NOW = datetime(2024, 6, 15, 12, 0, 0)

BASE = CouponRules(code="SUMMER-10", discount=Discount.percent(100_000),
                   valid_from=datetime(2024, 6, 1), valid_to=datetime(2024, 8, 31, 23, 59, 59),
                   min_spend=2000, usage_limit=100, per_customer_limit=None, active=True)


def rules(**changes) -> CouponRules:
    return dataclasses.replace(BASE, **changes)


def use(r: CouponRules, *, now: datetime = NOW, used: int = 0, used_by_customer: int = 0,
        customer_known: bool = False) -> CouponTerms:
    return check_coupon(r, now=now, used=used, used_by_customer=used_by_customer,
                        customer_known=customer_known)


# --------------------------------------------------------------------------- normalise_code


@pytest.mark.parametrize(("code", "expected"), [
    ("summer-10", "SUMMER-10"), ("SUMMER-10", "SUMMER-10"), ("Summer-10", "SUMMER-10"),
    ("  welcome_5 \n", "WELCOME_5"), ("AB", "AB"), ("9X", "9X"), ("A" * 32, "A" * 32),
])
def test_normalise_code(code, expected):
    assert normalise_code(code) == expected


@pytest.mark.parametrize("code", [
    "", "  ", "A", "A" * 33, "-SUMMER", "_SUMMER", "SUMMER 10", "SUMMER!", "SÜMMER", "SUMMER\n10",
    None, 10, ["SUMMER"],
])
def test_normalise_code_refusals(code):
    with pytest.raises(InvalidInput) as exc:
        normalise_code(code)
    assert exc.value.field == "coupon"
    with pytest.raises(InvalidInput) as exc:
        normalise_code(code, field="order.coupon")
    assert exc.value.field == "order.coupon"


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{1,31}", fullmatch=True))
def test_normalise_code_is_case_insensitive_and_idempotent(code):
    normal = normalise_code(code)
    assert normal == code.upper()
    assert normalise_code(code.lower()) == normal
    assert normalise_code(code.swapcase()) == normal
    assert normalise_code(normal) == normal
    assert normalise_code(f"  {code}\t") == normal


# --------------------------------------------------------------------------- check_coupon


def test_valid_coupon_gives_its_terms():
    terms = use(BASE)
    assert terms == CouponTerms("SUMMER-10", Discount.percent(100_000), 2000)


def test_inactive_coupon():
    with pytest.raises(RuleViolation) as exc:
        use(rules(active=False))
    assert exc.value.field == "coupon"
    assert "no longer active" in exc.value.message and "SUMMER-10" in exc.value.message


def test_not_yet_valid():
    with pytest.raises(RuleViolation) as exc:
        use(BASE, now=datetime(2024, 5, 31, 23, 59))
    assert exc.value.field == "coupon"
    assert "not valid before 2024-06-01" in exc.value.message


def test_expired():
    with pytest.raises(RuleViolation) as exc:
        use(BASE, now=datetime(2024, 9, 1))
    assert exc.value.field == "coupon"
    assert "expired on 2024-08-31" in exc.value.message


def test_window_edges_are_inclusive():
    assert use(BASE, now=BASE.valid_from).code == "SUMMER-10"
    assert use(BASE, now=BASE.valid_to).code == "SUMMER-10"
    with pytest.raises(RuleViolation):
        use(BASE, now=BASE.valid_to + timedelta(seconds=1))
    with pytest.raises(RuleViolation):
        use(BASE, now=BASE.valid_from - timedelta(seconds=1))


def test_open_ended_window():
    open_rules = rules(valid_from=None, valid_to=None)
    assert use(open_rules, now=datetime(1990, 1, 1)).code == "SUMMER-10"
    assert use(open_rules, now=datetime(2999, 1, 1)).code == "SUMMER-10"


def test_used_up():
    assert use(BASE, used=99).code == "SUMMER-10"
    for used in (100, 101):
        with pytest.raises(RuleViolation) as exc:
            use(BASE, used=used)
        assert exc.value.field == "coupon"
        assert "used up" in exc.value.message


def test_no_usage_limit():
    assert use(rules(usage_limit=None), used=10**6).code == "SUMMER-10"


def test_per_customer_limit_needs_a_customer():
    once = rules(per_customer_limit=1)
    with pytest.raises(RuleViolation) as exc:
        use(once, customer_known=False)
    assert exc.value.field == "coupon"
    assert "needs a customer" in exc.value.message


def test_per_customer_limit_with_a_customer():
    once = rules(per_customer_limit=1)
    assert use(once, customer_known=True, used_by_customer=0).code == "SUMMER-10"
    with pytest.raises(RuleViolation) as exc:
        use(once, customer_known=True, used_by_customer=1)
    assert exc.value.field == "coupon"
    assert "already used" in exc.value.message
    twice = rules(per_customer_limit=2)
    assert use(twice, customer_known=True, used_by_customer=1).code == "SUMMER-10"


def test_no_per_customer_limit_needs_no_customer():
    assert use(BASE, customer_known=False, used_by_customer=5).code == "SUMMER-10"


def test_inactive_is_reported_before_the_dates():
    with pytest.raises(RuleViolation) as exc:
        use(rules(active=False), now=datetime(2030, 1, 1))
    assert "no longer active" in exc.value.message

"""Refund arithmetic: money back per returned quantity, and spreading it over the tenders."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import RuleViolation
from app.domain.orders import (
    LineRefund,
    LineRefundState,
    TenderBalance,
    refund_line,
    refund_to_tenders,
    split_refund_tax,
)


def fresh(quantity_milli: int, total: int, tax: int) -> LineRefundState:
    return LineRefundState(quantity_milli, total, tax, 0, 0, 0)


def after(state: LineRefundState, refund: LineRefund) -> LineRefundState:
    return LineRefundState(state.quantity_milli, state.total, state.tax,
                           state.refunded_quantity_milli + refund.quantity_milli,
                           state.refunded_total + refund.amount, state.refunded_tax + refund.tax)


# --------------------------------------------------------------------------- refund_line examples


def test_returning_everything_gives_back_the_line():
    assert refund_line(fresh(3000, 1000, 174), 3000) == LineRefund(3000, 1000, 174)


def test_three_returns_of_one_add_up_to_the_line():
    # 3 × 3.33⅓ incl. 0.58 tax each, rounded cumulatively: 3.33 back after one (333.3),
    # 6.67 after two (666.7), 10.00 after three — so 3.33, 3.34, 3.33.
    state = fresh(3000, 1000, 174)
    first = refund_line(state, 1000)
    assert first == LineRefund(1000, 333, 58)
    state = after(state, first)
    second = refund_line(state, 1000)
    assert second == LineRefund(1000, 334, 58)
    state = after(state, second)
    last = refund_line(state, 1000)
    assert last == LineRefund(1000, 333, 58)


def test_partial_refund_rounds_half_up():
    assert refund_line(fresh(2000, 5, 1), 1000) == LineRefund(1000, 3, 1)  # 2.5 -> 3, 0.5 -> 1


def test_partial_refund_of_a_weighed_line():
    # 0.375 kg for 1.49; 0.200 kg back = 1.49 × 200/375 = 0.7947 -> 0.79
    assert refund_line(fresh(375, 149, 26), 200) == LineRefund(200, 79, 14)


def test_rounding_never_refunds_more_than_was_paid():
    # 4 items for 0.02: cumulative shares 0.5 → 1, 1.0 → 1, 1.5 → 2, 2.0 → 2 cents
    state = fresh(4000, 2, 0)
    amounts = []
    for _ in range(4):
        r = refund_line(state, 1000)
        amounts.append(r.amount)
        state = after(state, r)
    assert amounts == [1, 0, 1, 0]
    assert state.refunded_total == 2


@pytest.mark.parametrize("qty", [0, -1000])
def test_refund_of_nothing_is_refused(qty):
    with pytest.raises(RuleViolation) as exc:
        refund_line(fresh(2000, 1000, 0), qty, field="lines[0].quantity")
    assert exc.value.field == "lines[0].quantity"


def test_refund_of_more_than_is_left_is_refused():
    state = LineRefundState(3000, 1000, 0, 1000, 333, 0)
    with pytest.raises(RuleViolation) as exc:
        refund_line(state, 2001, field="lines[2].quantity")
    assert exc.value.field == "lines[2].quantity"
    assert "2" in exc.value.message  # how much is left to return
    fully_returned = LineRefundState(3000, 1000, 0, 3000, 1000, 0)
    with pytest.raises(RuleViolation):
        refund_line(fully_returned, 1)


def test_last_return_never_carries_more_tax_than_money():
    # 5 items for 0.04 incl. 21 % VAT (0.01 tax). Returned 2 + 2 + 1: the first two returns
    # round up to 0.02 each with no tax, and the last gets 0.00 of money but 0.01 of tax.
    # The partial returns are capped so tax never exceeds the amount; the last must be too.
    state = fresh(5000, 4, 1)
    refunds = []
    for qty in (2000, 2000, 1000):
        r = refund_line(state, qty)
        refunds.append(r)
        state = after(state, r)
    assert sum(r.amount for r in refunds) == 4
    assert sum(r.tax for r in refunds) == 1
    for r in refunds:
        assert r.tax <= r.amount, refunds


# --------------------------------------------------------------------------- refund_line properties


@st.composite
def lines_and_returns(draw):
    quantity = draw(st.integers(1, 50_000))
    total = draw(st.one_of(st.integers(0, 10_000_000), st.integers(0, 20)))
    tax = draw(st.integers(0, total))
    cuts = draw(st.lists(st.integers(1, quantity), max_size=8))
    return quantity, total, tax, cuts


@settings(max_examples=400, deadline=None)
@given(lines_and_returns())
def test_partial_returns_never_over_refund(case):
    quantity, total, tax, cuts = case
    state = fresh(quantity, total, tax)
    for cut in cuts:
        left = quantity - state.refunded_quantity_milli
        if left == 0:
            break
        if cut > left:
            with pytest.raises(RuleViolation):
                refund_line(state, cut)
            continue
        r = refund_line(state, cut)
        assert r.quantity_milli == cut
        assert r.amount >= 0 and r.tax >= 0
        assert r.tax <= r.amount or cut == left
        state = after(state, r)
        # cumulative rounding: what has gone back is the proportional share, rounded half up
        returned = state.refunded_quantity_milli
        expected = total if returned == quantity else (2 * total * returned + quantity) // (2 * quantity)
        assert state.refunded_total == expected
        assert state.refunded_total <= total
        assert state.refunded_tax <= tax
        assert state.refunded_quantity_milli <= quantity
    left = quantity - state.refunded_quantity_milli
    if left:
        with pytest.raises(RuleViolation):
            refund_line(state, left + 1)
        last = refund_line(state, left)
        assert last.amount >= 0 and last.tax >= 0
        state = after(state, last)
    assert state.refunded_quantity_milli == quantity
    assert state.refunded_total == total
    assert state.refunded_tax == tax
    with pytest.raises(RuleViolation):
        refund_line(state, 1)


# --------------------------------------------------------------------------- refund_to_tenders


def test_refund_goes_to_cards_before_cash():
    cash = TenderBalance("p1", "cash", 3000, 0)
    card = TenderBalance("p2", "card", 2000, 500)
    plan = refund_to_tenders(2000, [cash, card])
    assert plan == [(card, 1500), (cash, 500)]


def test_refund_skips_exhausted_tenders_and_keeps_the_order_of_non_cash():
    credit = TenderBalance("p1", "credit", 1000, 1000)
    card = TenderBalance("p2", "card", 1000, 0)
    gift = TenderBalance("p3", "credit", 500, 0)
    cash = TenderBalance("p4", "cash", 500, 0)
    assert refund_to_tenders(1200, [cash, credit, card, gift]) == [(card, 1000), (gift, 200)]


def test_refund_of_zero_takes_nothing():
    assert refund_to_tenders(0, [TenderBalance("p", "card", 100, 0)]) == []


def test_refund_over_what_is_left_is_refused():
    with pytest.raises(RuleViolation) as exc:
        refund_to_tenders(1001, [TenderBalance("p1", "cash", 500, 0), TenderBalance("p2", "card", 600, 100)])
    assert exc.value.field == "amount"


balances = st.lists(
    st.builds(lambda i, m, paid, back: TenderBalance(f"p{i}", m, paid, min(back, paid)),
              st.integers(0, 99), st.sampled_from(["cash", "card", "credit"]),
              st.integers(0, 1_000_000), st.integers(0, 1_000_000)),
    max_size=6)


@settings(max_examples=400, deadline=None)
@given(balances, st.integers(0, 3_000_000))
def test_refund_to_tenders_properties(tenders, amount):
    available = sum(b.refundable for b in tenders)
    if amount > available:
        with pytest.raises(RuleViolation) as exc:
            refund_to_tenders(amount, tenders)
        assert exc.value.field == "amount"
        return
    plan = refund_to_tenders(amount, tenders)
    assert sum(part for _, part in plan) == amount
    used = [id(b) for b, _ in plan]
    assert len(used) == len(set(used))
    for balance, part in plan:
        assert any(balance is b for b in tenders)
        assert 0 < part <= balance.refundable
    methods = [b.method for b, _ in plan]
    if "cash" in methods:
        first_cash = methods.index("cash")
        assert all(m == "cash" for m in methods[first_cash:])
        # cash only once every non-cash tender is used up
        taken = {id(b): part for b, part in plan}
        for b in tenders:
            if b.method != "cash":
                assert taken.get(id(b), 0) == b.refundable


@settings(max_examples=200, deadline=None)
@given(balances)
def test_refunding_everything_empties_every_tender(tenders):
    available = sum(b.refundable for b in tenders)
    plan = refund_to_tenders(available, tenders)
    taken = {id(b): part for b, part in plan}
    for b in tenders:
        assert taken.get(id(b), 0) == b.refundable


# --------------------------------------------------------------------------- split_refund_tax


def test_split_refund_tax():
    assert split_refund_tax(85, [60, 25]) == [60, 25]
    assert split_refund_tax(10, [60, 25]) == [7, 3]
    assert split_refund_tax(0, []) == []
    assert sum(split_refund_tax(33, [1, 1, 1, 0])) == 33

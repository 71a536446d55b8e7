"""Settling a sale with cash, card and store credit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.tenders import AppliedTender, TenderMethod, TenderRequest, parse_method, settle

CASH, CARD, CREDIT = TenderMethod.CASH, TenderMethod.CARD, TenderMethod.CREDIT


def req(method: TenderMethod, amount: int | None = None) -> TenderRequest:
    return TenderRequest(method, amount)


# --------------------------------------------------------------------------- examples


def test_cash_over_tendered_gives_change():
    s = settle(1250, [req(CASH, 2000)])
    assert s.tenders == (AppliedTender(CASH, 1250, 2000),)
    assert s.change == 750
    assert s.tenders[0].change == 750


def test_exact_card_payment():
    s = settle(1250, [req(CARD)])
    assert s.tenders == (AppliedTender(CARD, 1250, 1250),)
    assert s.change == 0


def test_split_card_then_cash_for_the_rest():
    s = settle(5000, [req(CARD, 3000), req(CASH)])
    assert s.tenders == (AppliedTender(CARD, 3000, 3000), AppliedTender(CASH, 2000, 2000, 1))
    assert s.change == 0


def test_split_credit_then_cash_with_change():
    s = settle(5000, [req(CREDIT, 1500), req(CASH, 4000)])
    assert s.tenders == (AppliedTender(CREDIT, 1500, 1500), AppliedTender(CASH, 3500, 4000, 1))
    assert s.change == 500


def test_two_cash_tenders_only_the_last_gives_change():
    s = settle(1000, [req(CASH, 500), req(CASH, 1000)])
    assert [t.amount for t in s.tenders] == [500, 500]
    assert s.change == 500


@pytest.mark.parametrize("method", [CARD, CREDIT])
def test_card_or_credit_over_what_is_due_is_refused(method):
    with pytest.raises(RuleViolation) as exc:
        settle(1000, [req(method, 1001)])
    assert exc.value.field == "pay[0]"
    with pytest.raises(RuleViolation) as exc:
        settle(1000, [req(CASH, 600), req(method, 500)])
    assert exc.value.field == "pay[1]"


def test_underpaid_sale_is_refused():
    with pytest.raises(RuleViolation) as exc:
        settle(1000, [req(CARD, 400), req(CASH, 500)])
    assert exc.value.field == "pay"
    assert "due" in exc.value.message


def test_no_payment_is_refused():
    with pytest.raises(RuleViolation) as exc:
        settle(1000, [])
    assert exc.value.field == "pay"


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, 10**12])
def test_bad_tender_amounts_are_refused(amount):
    with pytest.raises(InvalidInput) as exc:
        settle(1000, [req(CARD, 500), req(CASH, amount)])
    assert exc.value.field == "pay[1].amount"


def test_payment_after_the_sale_is_paid_is_refused():
    with pytest.raises(RuleViolation) as exc:
        settle(1000, [req(CASH, 1500), req(CARD, 100)])
    assert exc.value.field == "pay[1]"


def test_zero_total_settles_without_money():
    s = settle(0, [req(CASH)])
    assert s.change == 0
    assert sum(t.amount for t in s.tenders) == 0


@pytest.mark.parametrize(("text", "method"), [("cash", CASH), (" CARD ", CARD), ("Credit", CREDIT)])
def test_parse_method(text, method):
    assert parse_method(text) is method


@pytest.mark.parametrize("text", ["cheque", "", "cash card"])
def test_parse_method_refusals(text):
    with pytest.raises(InvalidInput) as exc:
        parse_method(text, field="pay[2].method")
    assert exc.value.field == "pay[2].method"
    assert "cash" in exc.value.message


# --------------------------------------------------------------------------- properties


def _model_is_valid(total: int, requests: list[TenderRequest]) -> bool:
    """An independent reading of the rules: may this list of tenders settle ``total``?"""
    paid = 0
    for r in requests:
        due = total - paid
        if r.amount is None:
            paid += due
            continue
        if r.amount <= 0 or due == 0:
            return False
        if r.method is not CASH and r.amount > due:
            return False
        paid += min(r.amount, due)
    return paid == total


tender_requests = st.lists(
    st.builds(TenderRequest, st.sampled_from(list(TenderMethod)),
              st.one_of(st.none(), st.integers(0, 200_000), st.integers(1, 2_000_000))),
    min_size=1, max_size=5)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.integers(0, 1_000_000), st.integers(0, 500)), tender_requests)
def test_settle_pays_exactly_or_refuses(total, requests):
    try:
        s = settle(total, requests)
    except (RuleViolation, InvalidInput) as exc:
        assert not _model_is_valid(total, requests)
        assert exc.field is not None and exc.field.startswith("pay")
        return
    assert _model_is_valid(total, requests)
    assert sum(t.amount for t in s.tenders) == total
    assert s.change == sum(t.tendered for t in s.tenders) - total
    assert s.change >= 0
    due = total
    for t in s.tenders:
        assert 0 <= t.amount <= due
        assert t.tendered >= t.amount
        if t.method is not CASH:
            assert t.tendered == t.amount  # only cash gives change
        due -= t.amount
    assert due == 0
    assert s.change == sum(t.change for t in s.tenders if t.method is CASH)

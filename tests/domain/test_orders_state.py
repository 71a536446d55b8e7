"""The order state machine: exactly the documented moves, with the allowed ones named on refusal."""

from __future__ import annotations

import itertools

import pytest

from app.domain.errors import InvalidTransition, RuleViolation
from app.domain.orders import RETURNABLE, TRANSITIONS, OrderStatus, allowed_moves, check_transition

# Written out by hand from the diagram in the module docstring, independently of TRANSITIONS.
EXPECTED = {
    "pending": {"confirmed", "cancelled"},
    "confirmed": {"processing", "cancelled"},
    "processing": {"shipped", "cancelled"},
    "shipped": {"delivered", "refunded"},  # refunded: returned in full
    "delivered": {"refunded"},
    "cancelled": {"refunded"},
    "refunded": set(),
}
ALL = sorted(EXPECTED)
ALLOWED_PAIRS = [(a, b) for a in ALL for b in sorted(EXPECTED[a])]
REFUSED_PAIRS = [(a, b) for a, b in itertools.product(ALL, ALL) if b not in EXPECTED[a]]


def test_every_status_is_in_the_table():
    assert {s.value for s in OrderStatus} == set(EXPECTED)
    assert {s.value for s in TRANSITIONS} == set(EXPECTED)
    assert len(ALLOWED_PAIRS) == 10
    assert len(REFUSED_PAIRS) == 49 - 10


@pytest.mark.parametrize(("current", "target"), ALLOWED_PAIRS)
def test_allowed_transitions_are_accepted(current, target):
    assert check_transition(current, target) is OrderStatus(target)
    assert check_transition(OrderStatus(current), OrderStatus(target)) is OrderStatus(target)


@pytest.mark.parametrize(("current", "target"), REFUSED_PAIRS)
def test_other_transitions_are_refused_naming_the_allowed_moves(current, target):
    with pytest.raises(InvalidTransition) as exc:
        check_transition(current, target)
    assert isinstance(exc.value, RuleViolation)
    assert exc.value.field == "status"
    assert set(exc.value.allowed) == EXPECTED[current]
    assert len(exc.value.allowed) == len(EXPECTED[current])
    assert exc.value.allowed == allowed_moves(current)
    assert current in exc.value.message and target in exc.value.message
    for move in EXPECTED[current]:
        assert move in exc.value.message


@pytest.mark.parametrize("status", ALL)
def test_allowed_moves(status):
    moves = allowed_moves(status)
    assert set(moves) == EXPECTED[status]
    assert all(isinstance(m, str) for m in moves)


@pytest.mark.parametrize("target", ALL)
def test_refunded_is_final(target):
    assert allowed_moves("refunded") == ()
    with pytest.raises(InvalidTransition) as exc:
        check_transition("refunded", target)
    assert exc.value.allowed == ()
    assert "final" in exc.value.message


def test_no_status_moves_to_itself():
    for status in ALL:
        with pytest.raises(InvalidTransition):
            check_transition(status, status)


def test_returnable_statuses():
    assert set(RETURNABLE) == {OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED}


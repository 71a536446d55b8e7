"""The order state machine of the original design, and the arithmetic of refunds.

    pending → confirmed → processing → shipped → delivered → refunded
       ↓          ↓           ↓
    cancelled ← cancelled ← cancelled → refunded

A sale at the till is handed over at the counter, so it is born ``delivered``. Partial refunds
leave the status alone; the refund that returns the last of what was paid moves it to
``refunded``. This module is pure (no database) so the central server shares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.domain.errors import InvalidTransition, RuleViolation
from app.domain.money import allocate, format_amount, round_half_up


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


TRANSITIONS: dict[OrderStatus, tuple[OrderStatus, ...]] = {
    OrderStatus.PENDING: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    OrderStatus.CONFIRMED: (OrderStatus.PROCESSING, OrderStatus.CANCELLED),
    OrderStatus.PROCESSING: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
    OrderStatus.DELIVERED: (OrderStatus.REFUNDED,),
    OrderStatus.CANCELLED: (OrderStatus.REFUNDED,),
    OrderStatus.REFUNDED: (),
}

#: Statuses in which goods were handed over and can be returned line by line.
RETURNABLE = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def allowed_moves(current: OrderStatus | str) -> tuple[str, ...]:
    return tuple(s.value for s in TRANSITIONS[OrderStatus(current)])


def check_transition(current: OrderStatus | str, target: OrderStatus | str) -> OrderStatus:
    """Return the target status, or raise ``InvalidTransition`` naming the allowed moves."""
    cur, tgt = OrderStatus(current), OrderStatus(target)
    if tgt not in TRANSITIONS[cur]:
        moves = allowed_moves(cur)
        raise InvalidTransition(
            f"an order cannot go from {cur.value} to {tgt.value}"
            + (f"; allowed: {', '.join(moves)}" if moves else "; it is final"),
            allowed=moves,
        )
    return tgt


@dataclass(frozen=True, slots=True)
class LineRefundState:
    """What a sold line was and how much of it has been returned so far."""

    quantity_milli: int
    total: int
    tax: int
    refunded_quantity_milli: int
    refunded_total: int
    refunded_tax: int


@dataclass(frozen=True, slots=True)
class LineRefund:
    quantity_milli: int
    amount: int
    tax: int


def refund_line(state: LineRefundState, quantity_milli: int, *, field: str = "quantity") -> LineRefund:
    """Money back for returning ``quantity_milli`` of a line.

    A share proportional to the quantity, rounded half-up; the return that takes the last units
    gets exactly what is left, so the sum of all refunds of a line equals what was paid for it
    and never more.
    """
    remaining_qty = state.quantity_milli - state.refunded_quantity_milli
    if quantity_milli <= 0:
        raise RuleViolation("must be greater than zero", field=field)
    if quantity_milli > remaining_qty:
        raise RuleViolation(
            f"only {remaining_qty / 1000:g} left to return on this line", field=field)
    if quantity_milli == remaining_qty:
        return LineRefund(quantity_milli, state.total - state.refunded_total,
                          state.tax - state.refunded_tax)
    amount = round_half_up(Decimal(state.total) * quantity_milli / state.quantity_milli)
    tax = round_half_up(Decimal(state.tax) * quantity_milli / state.quantity_milli)
    amount = min(amount, state.total - state.refunded_total)
    tax = min(tax, state.tax - state.refunded_tax, amount)
    return LineRefund(quantity_milli, amount, tax)


@dataclass(frozen=True, slots=True)
class TenderBalance:
    """A payment of the original sale and how much of it has gone back already."""

    payment_id: str
    method: str
    paid: int
    refunded: int

    @property
    def refundable(self) -> int:
        return self.paid - self.refunded


def refund_to_tenders(amount: int, balances: list[TenderBalance], *,
                      currency: str = "EUR") -> list[tuple[TenderBalance, int]]:
    """Spread a refund over the original tenders: non-cash first, cash last, never more than each
    tender still holds. Raises when the tenders hold less than ``amount``."""
    available = sum(b.refundable for b in balances)
    if amount > available:
        raise RuleViolation(
            f"a refund of {format_amount(amount, currency)} {currency} is more than the "
            f"{format_amount(available, currency)} {currency} still refundable", field="amount")
    ordered = sorted(balances, key=lambda b: (b.method == "cash",))
    plan: list[tuple[TenderBalance, int]] = []
    left = amount
    for balance in ordered:
        if left == 0:
            break
        take = min(left, balance.refundable)
        if take > 0:
            plan.append((balance, take))
            left -= take
    return plan


def split_refund_tax(refund_tax: int, line_tax_parts: list[int]) -> list[int]:
    """Split a refunded tax amount over the line's tax rates in proportion to what each took."""
    return allocate(refund_tax, line_tax_parts) if line_tax_parts else []

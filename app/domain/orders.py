"""The order state machine of the original design, and the arithmetic of refunds.

    pending → confirmed → processing → shipped → delivered → refunded
       ↓          ↓           ↓            ↘ refunded (returned in full)
    cancelled ← cancelled ← cancelled → refunded

A sale at the till is handed over at the counter, so it is born ``delivered``. Partial refunds
leave the status alone; the refund that returns the last of what was paid moves it to
``refunded``. This module is pure (no database) so the central server shares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.domain.errors import InvalidInput, InvalidTransition, RuleViolation
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
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED, OrderStatus.REFUNDED),
    OrderStatus.DELIVERED: (OrderStatus.REFUNDED,),
    OrderStatus.CANCELLED: (OrderStatus.REFUNDED,),
    OrderStatus.REFUNDED: (),
}

#: Statuses in which money taken can go back: goods handed over and returned line by line, or a
#: paid order cancelled before it left (its refund returns the reserved stock too).
RETURNABLE = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED)


def allowed_moves(current: OrderStatus | str) -> tuple[str, ...]:
    return tuple(s.value for s in TRANSITIONS[parse_status(current)])


def parse_status(text: object, *, field: str = "status") -> OrderStatus:
    try:
        return OrderStatus(str(text).strip().lower())
    except ValueError:
        raise InvalidInput(f"{text!r} is not an order status "
                           f"({', '.join(s.value for s in OrderStatus)})", field=field) from None


def check_transition(current: OrderStatus | str, target: OrderStatus | str) -> OrderStatus:
    """Return the target status, or raise ``InvalidTransition`` naming the allowed moves."""
    cur, tgt = parse_status(current), parse_status(target)
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
    """Money and tax back for returning ``quantity_milli`` of a line.

    Cumulative rounding: after this return, the line will have given back
    ``round(total × returned_qty / qty)`` and tax in the same proportion to the money, so each
    return gets the difference. The shares never go negative, tax never exceeds the money it
    is part of, and the return that takes the last units brings both to exactly what was paid.
    """
    remaining_qty = state.quantity_milli - state.refunded_quantity_milli
    if quantity_milli <= 0:
        raise RuleViolation("must be greater than zero", field=field)
    if quantity_milli > remaining_qty:
        raise RuleViolation(
            f"only {remaining_qty / 1000:g} left to return on this line", field=field)
    returned_after = state.refunded_quantity_milli + quantity_milli
    if returned_after == state.quantity_milli:
        amount_after, tax_after = state.total, state.tax
    else:
        amount_after = round_half_up(Decimal(state.total) * returned_after / state.quantity_milli)
        tax_after = (round_half_up(Decimal(state.tax) * amount_after / state.total)
                     if state.total else 0)
    amount = min(max(amount_after - state.refunded_total, 0), state.total - state.refunded_total)
    tax = min(max(tax_after - state.refunded_tax, 0), state.tax - state.refunded_tax)
    if returned_after != state.quantity_milli:
        tax = min(tax, amount)
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
    if amount < 0:
        raise InvalidInput("a refund cannot be negative", field="amount")
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

"""Settling a total with tenders: cash (with change), card and store credit, split freely.

Only cash can be over-tendered (the difference is change due); a card or credit tender can
never exceed what is still due. A sale settles only when it is fully paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.money import check_minor, format_amount


class TenderMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    CREDIT = "credit"  # store credit / gift card balance


@dataclass(frozen=True, slots=True)
class TenderRequest:
    method: TenderMethod
    amount: int | None  # None: whatever is still due


@dataclass(frozen=True, slots=True)
class AppliedTender:
    method: TenderMethod
    amount: int  # what this tender pays towards the sale
    tendered: int  # what was handed over (cash may be more than ``amount``)
    request_index: int = 0  # which of the requested tenders this is

    @property
    def change(self) -> int:
        return self.tendered - self.amount


@dataclass(frozen=True, slots=True)
class Settlement:
    tenders: tuple[AppliedTender, ...]
    change: int


def parse_method(text: str, *, field: str = "pay") -> TenderMethod:
    try:
        return TenderMethod(text.strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in TenderMethod)
        raise InvalidInput(f"{text!r} is not a payment method ({allowed})", field=field) from None


def settle(total: int, requests: list[TenderRequest] | tuple[TenderRequest, ...], *,
           currency: str = "EUR") -> Settlement:
    """Apply tenders in order to ``total``; refuse over-tendered cards and unpaid sales."""

    def money(minor: int) -> str:
        return f"{format_amount(minor, currency)} {currency}"

    if total < 0:
        raise InvalidInput("a sale's total cannot be negative", field="total")
    if not requests:
        raise RuleViolation("a sale needs at least one payment", field="pay")
    due = total
    applied: list[AppliedTender] = []
    for index, req in enumerate(requests):
        where = f"pay[{index}]"
        if req.amount is None:
            offered = due
        else:
            offered = check_minor(req.amount, field=f"{where}.amount")
            if offered == 0:
                raise InvalidInput("must be greater than zero", field=f"{where}.amount")
        if due == 0 and offered > 0:
            raise RuleViolation("the sale is already fully paid", field=where)
        if req.method is not TenderMethod.CASH and offered > due:
            raise RuleViolation(
                f"{req.method.value} payment of {money(offered)} is more than the {money(due)} still due", field=where)
        amount = min(offered, due)
        applied.append(AppliedTender(req.method, amount, offered, index))
        due -= amount
    if due > 0:
        raise RuleViolation(f"{money(due)} is still due: a sale completes only when fully paid", field="pay")
    change = sum(t.change for t in applied)
    return Settlement(tuple(t for t in applied if t.tendered > 0 or total == 0), change)

"""Returns and refunds: lines and quantities back, money back to the original tenders, never
more than was paid, all in one transaction (like checkout, the caller owns it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, inventory, outbox
from app.domain.errors import NotFound, RuleViolation
from app.domain.orders import (RETURNABLE, TRANSITIONS, LineRefundState, OrderStatus,
                               TenderBalance, refund_line, refund_to_tenders)
from app.sales.identity import this_register
from app.sales.numbering import refund_number, take_next
from app.sales.serialize import order_to_dict, refund_to_dict
from db.base import utcnow
from db.models import (CreditMovement, Order, Payment, Refund, RefundLine, RefundPayment,
                       Register, StaffUser)

#: Refunds a card through its payment provider and returns the provider's refund reference.
CardRefunder = Callable[[Payment, int], str]


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    line_no: int
    quantity_milli: int | None = None  # None: everything still returnable on the line


def find_order(session: Session, ref: str) -> Order:
    order = session.scalar(select(Order).where((Order.number == ref) | (Order.id == ref)))
    if order is None:
        raise NotFound(f"no order {ref}", field="order")
    return order


def refund(session: Session, *, order_ref: str, staff_id: str,
           lines: list[ReturnRequest] | None = None, reason: str = "",
           to_method: str | None = None, card_refunder: CardRefunder | None = None,
           shift_id: str | None = None, restock: bool = True,
           now: datetime | None = None) -> Refund:
    """Return ``lines`` of an order (all that is left when ``None``) and pay the money back.

    Money goes to the original tenders (cards first, cash last) unless ``to_method`` names
    ``cash`` or ``credit`` (store credit, which needs a customer on the order).
    """
    now = now or utcnow()
    store, register = this_register(session)
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise RuleViolation("the member of staff is unknown or deactivated", field="staff")
    order = find_order(session, order_ref)
    if OrderStatus(order.status) not in RETURNABLE:
        raise RuleViolation(f"order {order.number} is {order.status}: nothing can be returned",
                            field="order")
    by_no = {line.line_no: line for line in order.lines}
    wanted = lines if lines is not None else [
        ReturnRequest(l.line_no) for l in order.lines if l.refunded_quantity_milli < l.quantity_milli]
    if not wanted:
        raise RuleViolation(f"everything on order {order.number} has been returned already",
                            field="lines")
    seen: set[int] = set()
    plan = []
    for index, req in enumerate(wanted):
        line = by_no.get(req.line_no)
        where = f"lines[{index}]"
        if line is None:
            raise NotFound(f"order {order.number} has no line {req.line_no}", field=where)
        if req.line_no in seen:
            raise RuleViolation(f"line {req.line_no} is named twice", field=where)
        seen.add(req.line_no)
        qty = req.quantity_milli
        if qty is None:
            qty = line.quantity_milli - line.refunded_quantity_milli
        state = LineRefundState(line.quantity_milli, line.total, line.tax,
                                line.refunded_quantity_milli, line.refunded_total, line.refunded_tax)
        plan.append((line, refund_line(state, qty, field=f"{where}.quantity")))

    amount = sum(r.amount for _, r in plan)
    tax = sum(r.tax for _, r in plan)
    if to_method in (None, "original"):
        balances = [TenderBalance(p.id, p.method, p.amount, p.refunded) for p in order.payments]
        tender_plan = refund_to_tenders(amount, balances, currency=order.currency)
    elif to_method in ("cash", "credit"):
        if to_method == "credit" and order.customer_id is None:
            raise RuleViolation("store credit needs a customer on the order", field="to")
        if amount > order.paid_total - order.refunded_total:
            raise RuleViolation("refund is more than what is left of the payment", field="amount")
        tender_plan = [(TenderBalance("", to_method, amount, 0), amount)] if amount else []
    else:
        raise RuleViolation(f"cannot refund to {to_method!r} (original, cash or credit)", field="to")

    seq = take_next(session, register, Register.next_refund_seq)
    record = Refund(number=refund_number(store.code, register.code, seq), order_id=order.id,
                    register_id=register.id, staff_id=staff.id, shift_id=shift_id, amount=amount,
                    tax=tax, reason=reason[:200], created_at=now)
    session.add(record)
    session.flush()

    payments = {p.id: p for p in order.payments}
    for balance, part in tender_plan:
        reference = None
        payment = payments.get(balance.payment_id)
        if payment is not None:
            if payment.method == "card":
                if card_refunder is None:
                    raise RuleViolation("card refunds need the card reader's payment provider; "
                                        "refund to cash or store credit instead", field="to")
                reference = card_refunder(payment, part)
            payment.refunded += part
        session.add(RefundPayment(refund_id=record.id, payment_id=balance.payment_id or None,
                                  method=balance.method, amount=part, reference=reference))
        if balance.method == "credit":
            session.add(CreditMovement(customer_id=order.customer_id, amount=part, kind="refund",
                                       order_id=order.id, refund_id=record.id, at=now))

    for line, part in plan:
        line.refunded_quantity_milli += part.quantity_milli
        line.refunded_total += part.amount
        line.refunded_tax += part.tax
        session.add(RefundLine(refund_id=record.id, order_line_id=line.id,
                               quantity_milli=part.quantity_milli, amount=part.amount, tax=part.tax))
        if restock:
            inventory.record_movement(session, store_id=order.store_id, variant_id=line.variant_id,
                                      quantity_milli=part.quantity_milli, kind="return",
                                      order_id=order.id, refund_id=record.id, staff_id=staff.id)

    order.refunded_total += amount
    fully = all(l.refunded_quantity_milli == l.quantity_milli for l in order.lines)
    if fully and OrderStatus.REFUNDED in TRANSITIONS[OrderStatus(order.status)]:
        order.status = OrderStatus.REFUNDED.value
    order.version += 1
    order.updated_at = now
    session.flush()
    session.refresh(record)

    outbox.enqueue(session, kind="refund.created", entity_id=record.id,
                   payload={"refund": refund_to_dict(record, order), "order": order_to_dict(order)})
    audit.append(session, action="sale.refunded", entity="order", entity_id=order.id,
                 actor_id=staff.id, details={"refund": record.number, "order": order.number,
                                             "amount": amount, "reason": record.reason}, at=now)
    return record


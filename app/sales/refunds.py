"""Returns and refunds: lines and quantities back, money back to the original tenders, never
more than was paid, all in one transaction (like checkout, the caller owns it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, inventory, outbox
from app.catalog import get_variant
from app.domain.permissions import Permission
from app.staff import active_staff
from app.domain.errors import NotFound, RuleViolation
from app.domain.orders import (RETURNABLE, TRANSITIONS, LineRefundState, OrderStatus,
                               TenderBalance, refund_line, refund_to_tenders)
from app.sales.identity import this_register
from app.sales.numbering import refund_number, take_next
from app.sales.serialize import order_to_dict, refund_to_dict
from db.base import utcnow
from db.models import CreditMovement, Order, Refund, RefundLine, RefundPayment, Register

@dataclass(frozen=True, slots=True)
class ReturnRequest:
    line_no: int
    quantity_milli: int | None = None  # None: everything still returnable on the line


def find_order(session: Session, ref: str) -> Order:
    order = session.scalar(select(Order).where((Order.number == ref) | (Order.id == ref)))
    if order is None:
        raise NotFound(f"no order {ref}", field="order")
    return order


def refund_destination(paid_with: str, to_method: str | None) -> str:
    """What a share of a refund is paid back as. ``original``: the way it was paid.
    ``credit``: store credit. ``cash``: cash for card shares (a card that cannot take the
    refund), while store credit stays store credit — credit never turns into cash."""
    if to_method in (None, "original"):
        return paid_with
    if to_method == "cash" and paid_with == "credit":
        return "credit"
    return to_method


def refund(session: Session, *, order_ref: str, staff_id: str,
           lines: list[ReturnRequest] | None = None, reason: str = "",
           to_method: str | None = None, shift_id: str | None = None, restock: bool = True,
           now: datetime | None = None, approved_by: str | None = None) -> Refund:
    """Return ``lines`` of an order (all that is left when ``None``) and pay the money back.

    The money comes off the original payments (cards first, cash last) and goes back as
    :func:`refund_destination` says. Card shares are recorded ``pending`` for the payment
    provider to carry out after the commit. ``approved_by``: the manager who approved it at
    the till (a return without a receipt), kept in the audit entry.
    """
    now = now or utcnow()
    store, register = this_register(session)
    staff = active_staff(session, staff_id, Permission.REFUND)
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
        elif qty % 1000 and not get_variant(session, line.variant_id).product.sold_by_weight:
            raise RuleViolation("must be a whole number for items sold by the piece",
                                field=f"{where}.quantity")
        state = LineRefundState(line.quantity_milli, line.total, line.tax,
                                line.refunded_quantity_milli, line.refunded_total, line.refunded_tax)
        plan.append((line, refund_line(state, qty, field=f"{where}.quantity")))

    amount = sum(r.amount for _, r in plan)
    tax = sum(r.tax for _, r in plan)
    if to_method not in (None, "original", "cash", "credit"):
        raise RuleViolation(f"cannot refund to {to_method!r} (original, cash or credit)", field="to")
    if to_method == "credit" and order.customer_id is None:
        raise RuleViolation("store credit needs a customer on the order", field="to")
    # Always planned against the original payments, so each one records what it gave back
    # and no payment ever returns more than it took — whatever the money goes back as.
    balances = [TenderBalance(p.id, p.method, p.amount, p.refunded) for p in order.payments]
    tender_plan = refund_to_tenders(amount, balances, currency=order.currency)

    seq = take_next(session, register, Register.next_refund_seq)
    record = Refund(number=refund_number(store.code, register.code, seq), order_id=order.id,
                    register_id=register.id, staff_id=staff.id, shift_id=shift_id, amount=amount,
                    tax=tax, reason=reason[:200], created_at=now)
    session.add(record)
    session.flush()

    payments = {p.id: p for p in order.payments}
    for balance, part in tender_plan:
        payment = payments[balance.payment_id]
        payment.refunded += part
        destination = refund_destination(payment.method, to_method)
        # A card refund goes to the payment provider only after this transaction commits
        # (money must never leave for a refund the till failed to record): it waits as
        # "pending", keyed by this refund payment's id for the provider's idempotency.
        status = "pending" if destination == "card" else "done"
        session.add(RefundPayment(refund_id=record.id, payment_id=payment.id, method=destination,
                                  amount=part, status=status))
        if destination == "credit":
            session.add(CreditMovement(customer_id=order.customer_id, amount=part, kind="refund",
                                       order_id=order.id, refund_id=record.id, at=now))

    movements = []
    for line, part in plan:
        line.refunded_quantity_milli += part.quantity_milli
        line.refunded_total += part.amount
        line.refunded_tax += part.tax
        session.add(RefundLine(refund_id=record.id, order_line_id=line.id,
                               quantity_milli=part.quantity_milli, amount=part.amount, tax=part.tax))
        if restock:
            movements.append(inventory.record_movement(
                session, store_id=order.store_id, variant_id=line.variant_id,
                quantity_milli=part.quantity_milli, kind="return", order_id=order.id,
                refund_id=record.id, staff_id=staff.id))

    order.refunded_total += amount
    fully = all(l.refunded_quantity_milli == l.quantity_milli for l in order.lines)
    if fully and OrderStatus.REFUNDED in TRANSITIONS[OrderStatus(order.status)]:
        order.status = OrderStatus.REFUNDED.value
    order.version += 1
    order.updated_at = now
    session.flush()
    session.refresh(record)

    outbox.enqueue(session, kind="refund.created", entity_id=record.id,
                   payload={"refund": refund_to_dict(record, order), "order": order_to_dict(order),
                            "stock_movements": [inventory.movement_payload(m) for m in movements]})
    audit.append(session, action="sale.refunded", entity="order", entity_id=order.id,
                 actor_id=staff.id, approved_by=approved_by, details={"refund": record.number, "order": order.number,
                                             "amount": amount, "reason": record.reason}, at=now)
    return record


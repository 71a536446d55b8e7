"""One customer as the back office shows them: the record, every purchase this till knows of
(its own sales, and the orders the server showed it: online orders, other registers' sales),
what they came to, and the store credit balance (the sum of the credit ledger)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.back_office.customers.listing import remote_customer_id
from app.domain.errors import NotFound
from app.sales.checkout import credit_balance
from db.models import Customer, Order, RemoteOrder


@dataclass(frozen=True, slots=True)
class Purchase:
    order_id: str
    number: str
    channel: str  # till | online
    status: str
    created_at: datetime | None
    currency: str
    total: int  # minor units
    refunded: int
    here: bool  # rung up on this till (else as the server showed it)


@dataclass(frozen=True, slots=True)
class CustomerDetail:
    id: str
    name: str
    email: str | None
    phone: str | None
    address: str
    notes: str
    tax_number: str
    erased: bool
    created_at: datetime | None
    purchases: tuple[Purchase, ...]  # newest first
    credit_balance: int  # minor units

    @property
    def spent(self) -> dict[str, int]:
        """What the purchases came to, less refunds, per currency."""
        totals: dict[str, int] = {}
        for p in self.purchases:
            if p.status != "cancelled":
                totals[p.currency] = totals.get(p.currency, 0) + p.total - p.refunded
        return totals


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def purchases(session: Session, customer_id: str) -> list[Purchase]:
    found = [Purchase(o.id, o.number, o.channel, o.status, o.created_at, o.currency, o.total,
                      o.refunded_total, True)
             for o in session.scalars(select(Order).where(Order.customer_id == customer_id))]
    for remote in session.scalars(select(RemoteOrder)
                                  .where(remote_customer_id() == customer_id)):
        try:
            data = json.loads(remote.data)
        except ValueError:
            data = {}
        found.append(Purchase(remote.id, remote.number, remote.channel, remote.status,
                              remote.created_at, remote.currency, remote.total,
                              _int(data.get("refunded_total")), False))
    found.sort(key=lambda p: (p.created_at or datetime.min, p.number), reverse=True)
    return found


def customer_detail(session: Session, customer_id: str) -> CustomerDetail:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"no customer {customer_id}", field="customer")
    return CustomerDetail(customer.id, customer.name, customer.email, customer.phone,
                          customer.address, customer.notes, customer.tax_number,
                          customer.erased, customer.created_at,
                          tuple(purchases(session, customer_id)),
                          credit_balance(session, customer_id))

"""Invoices for sales and credit notes for their refunds.

An invoice is issued on request, for a sale already made: one per sale (asking again gives the
same invoice back), numbered "INV-S01-R01-000001" from the issuing register's own series. The
counter is a column of the register's row moved inside the issuing transaction, as order
numbers are, so a rolled-back issue gives its number back and a till issues invoices offline
without sharing or skipping a number. A refund of an invoiced sale is documented by a credit
note ("CN-…", its own series) that names the invoice it corrects; a refund of a sale that has
no invoice yet gets the invoice first, in the same transaction; and an invoice issued after
refunds comes with their credit notes, so the sale and what was given back are both on paper.

The buyer's name, address and tax number are copied when the invoice is issued: an invoice
never changes when the customer later does, and a credit note repeats its invoice's buyer.
The seller is the store. Like checkout, these functions write inside the caller's transaction
and commit nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.sales.identity import this_register
from app.sales.numbering import take_next
from app.sales.refunds import find_order
from app.staff import active_staff
from db.base import utcnow
from db.models import Customer, Invoice, Order, Refund, Register, Store

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
_LIMITS = {"buyer_name": 200, "buyer_address": 500, "buyer_tax_number": 64}


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who an invoice is made out to, as printed on it."""

    name: str
    address: str = ""
    tax_number: str = ""


def invoice_number(store_code: str, register_code: str, seq: int) -> str:
    return f"INV-{store_code}-{register_code}-{seq:06d}"


def credit_note_number(store_code: str, register_code: str, seq: int) -> str:
    return f"CN-{store_code}-{register_code}-{seq:06d}"


def invoice_of_order(session: Session, order_id: str) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.order_id == order_id,
                                                Invoice.kind == INVOICE))


def credit_note_of_refund(session: Session, refund_id: str) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.refund_id == refund_id,
                                                Invoice.kind == CREDIT_NOTE))


def credit_notes_of(session: Session, invoice_id: str) -> list[Invoice]:
    return list(session.scalars(select(Invoice).where(Invoice.invoice_id == invoice_id)
                                .order_by(Invoice.seq)))


def issue_invoice(session: Session, order_id: str, *, staff_id: str,
                  now: datetime | None = None, buyer: Buyer | None = None) -> Invoice:
    """The invoice of the sale ``order_id`` (its id or its number), issued now if it has none.

    ``buyer``: who it is made out to; left out, the sale's customer (name, address, tax number).
    A sale without a customer needs one. Once issued an invoice is never changed: asking again
    returns it as it is, and asking for it with other buyer details is refused (a wrong
    invoice is corrected by a credit note, not by rewriting it)."""
    order = find_order(session, order_id)
    wanted = _clean_buyer(buyer) if buyer is not None else None
    existing = invoice_of_order(session, order.id)
    if existing is not None:
        if wanted is not None and wanted != _buyer_of(existing):
            raise RuleViolation(f"the sale {order.number} was invoiced already "
                                f"({existing.number}, to {existing.buyer_name}); an issued "
                                "invoice cannot change", field="buyer")
        return existing

    store, register = this_register(session)
    if order.store_id != store.id:
        raise RuleViolation(f"the sale {order.number} belongs to another store", field="order")
    staff = active_staff(session, staff_id, Permission.SELL)
    made_out_to = wanted or _customer_buyer(session, order)
    now = now or utcnow()
    seq = take_next(session, register, Register.next_invoice_seq)
    invoice = Invoice(store_id=store.id, register_id=register.id, kind=INVOICE, seq=seq,
                      number=invoice_number(store.code, register.code, seq), order_id=order.id,
                      buyer_name=made_out_to.name, buyer_address=made_out_to.address,
                      buyer_tax_number=made_out_to.tax_number, issued_by=staff.id, issued_at=now)
    session.add(invoice)
    session.flush()
    audit.append(session, action="invoice.issued", entity="invoice", entity_id=invoice.id,
                 actor_id=staff.id, at=now,
                 details={"number": invoice.number, "order": order.number, "total": order.total,
                          "currency": order.currency, "buyer": invoice.buyer_name})
    # The invoice shows the whole sale: what was already given back needs its credit note
    # now, or the buyer's books would hold the full amount. Documenting a refund already
    # made is part of invoicing, so it takes the invoicing permission, not the refunding one.
    for record in _refunds_without_note(session, order.id):
        _add_credit_note(session, record, invoice, store=store, register=register,
                         staff_id=staff.id, now=now)
    return invoice


def issue_credit_note(session: Session, refund_id: str, *, staff_id: str,
                      now: datetime | None = None, buyer: Buyer | None = None) -> Invoice:
    """The credit note of the refund ``refund_id`` (its id or its number), issued now if it has
    none. It corrects the sale's invoice, which is issued first if the sale has none yet
    (``buyer`` is only used for that invoice); the credit note repeats the invoice's buyer."""
    record = _find_refund(session, refund_id)
    existing = credit_note_of_refund(session, record.id)
    if existing is not None:
        return existing

    store, register = this_register(session)
    staff = active_staff(session, staff_id, Permission.REFUND)
    now = now or utcnow()
    invoice = issue_invoice(session, record.order_id, staff_id=staff_id, now=now, buyer=buyer)
    # an invoice issued just now came with the credit notes of the sale's refunds, this one's too
    issued_with_it = credit_note_of_refund(session, record.id)
    if issued_with_it is not None:
        return issued_with_it
    return _add_credit_note(session, record, invoice, store=store, register=register,
                            staff_id=staff.id, now=now)


def _add_credit_note(session: Session, record: Refund, invoice: Invoice, *, store: Store,
                     register: Register, staff_id: str, now: datetime) -> Invoice:
    seq = take_next(session, register, Register.next_credit_note_seq)
    note = Invoice(store_id=store.id, register_id=register.id, kind=CREDIT_NOTE, seq=seq,
                   number=credit_note_number(store.code, register.code, seq),
                   order_id=record.order_id, refund_id=record.id, invoice_id=invoice.id,
                   buyer_name=invoice.buyer_name, buyer_address=invoice.buyer_address,
                   buyer_tax_number=invoice.buyer_tax_number, issued_by=staff_id, issued_at=now)
    session.add(note)
    session.flush()
    audit.append(session, action="credit_note.issued", entity="invoice", entity_id=note.id,
                 actor_id=staff_id, at=now,
                 details={"number": note.number, "invoice": invoice.number,
                          "refund": record.number, "amount": record.amount})
    return note


def _refunds_without_note(session: Session, order_id: str) -> list[Refund]:
    """The sale's refunds that no credit note documents yet, oldest first."""
    noted = select(Invoice.refund_id).where(Invoice.order_id == order_id,
                                             Invoice.kind == CREDIT_NOTE,
                                             Invoice.refund_id.is_not(None))  # NOT IN and NULL
    return list(session.scalars(select(Refund).where(Refund.order_id == order_id,
                                                     Refund.id.not_in(noted))
                                .order_by(Refund.created_at, Refund.number)))


# -- parts ---------------------------------------------------------------------------------
def _find_refund(session: Session, ref: str) -> Refund:
    record = session.scalar(select(Refund).where((Refund.id == ref) | (Refund.number == ref)))
    if record is None:
        raise NotFound(f"no refund {ref}", field="refund")
    return record


def _customer_buyer(session: Session, order: Order) -> Buyer:
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    # An erased customer's details are gone: the invoice needs them given again.
    if customer is None or customer.erased or not customer.name.strip():
        raise RuleViolation(f"the sale {order.number} has no customer: an invoice needs the "
                            "buyer's name (and address and tax number if they have them)",
                            field="buyer_name")
    return _clean_buyer(Buyer(customer.name, customer.address or "", customer.tax_number or ""))


def _buyer_of(invoice: Invoice) -> Buyer:
    return Buyer(invoice.buyer_name, invoice.buyer_address, invoice.buyer_tax_number)


def _clean_buyer(buyer: Buyer) -> Buyer:
    name = _clean("buyer_name", buyer.name)
    if not name:
        raise InvalidInput("is required: an invoice is made out to someone", field="buyer_name")
    return Buyer(name, _clean("buyer_address", buyer.address),
                 _clean("buyer_tax_number", buyer.tax_number))


def _clean(field: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"must be text, not {type(value).__name__}", field=field)
    text = "\n".join(line.strip() for line in value.strip().splitlines() if line.strip())
    if len(text) > _LIMITS[field]:
        raise InvalidInput(f"is longer than {_LIMITS[field]} characters", field=field)
    # Only an address may run over lines; other control characters are pasted junk.
    allowed = "\n" if field == "buyer_address" else ""
    if any(not c.isprintable() and c not in allowed for c in text):
        raise InvalidInput("holds control characters", field=field)
    return text

"""Invoices and credit notes: numbered gap-free per register series (a rolled-back issue gives
its number back), one per sale and one per refund, the buyer copied at issue."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import audit
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.tenders import TenderMethod
from app.invoices import Buyer, credit_notes_of, issue_credit_note, issue_invoice
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.refunds import ReturnRequest, refund
from db.models import AuditEntry, Customer, Invoice, Order, Refund, Register
from tests.support import catalog

CASH = TenderMethod.CASH


class Rollback(Exception):
    """Raised inside a write to undo it, as a crash or a failed print would."""


@pytest.fixture
def shop_with_sales(blank_shop):
    """Three sales: two to a customer with a tax number, one to nobody in particular."""
    with blank_shop.write() as s:
        cashier = catalog.staff(s)
        clerk = catalog.staff(s, role="stock_clerk")
        tea = catalog.product(s, "Tea", 450, stock_milli=100_000)
        ada = catalog.customer(s, "Ada Lovelace")
        ada.address, ada.tax_number = "12 St James's Square\nLondon SW1Y 4JH", "GB123456789"
        orders = []
        for customer in (ada.id, ada.id, None):
            cart = Cart(customer_id=customer)
            cart.add(tea.id, 2000)
            orders.append(checkout(s, cart=cart, tenders=[Tender(CASH)],
                                   staff_id=cashier.id).id)
        ids = {"cashier": cashier.id, "clerk": clerk.id, "ada": ada.id, "orders": orders}
    return blank_shop, ids


def issue(store, order_id: str, staff_id: str, **kwargs) -> tuple[str, str]:
    with store.write() as s:
        invoice = issue_invoice(s, order_id, staff_id=staff_id, **kwargs)
        return invoice.id, invoice.number


def counters(store) -> tuple[int, int]:
    with store.read() as s:
        register = s.scalar(select(Register))
        return register.next_invoice_seq, register.next_credit_note_seq


def invoice_count(store) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(Invoice))


def test_numbers_are_gap_free_across_a_rolled_back_issue(shop_with_sales):
    store, ids = shop_with_sales
    first, second, _ = ids["orders"]
    with pytest.raises(Rollback):
        with store.write() as s:
            invoice = issue_invoice(s, first, staff_id=ids["cashier"])
            assert invoice.number == "INV-S01-R01-000001"
            raise Rollback  # e.g. the till died before the issue was committed
    assert counters(store) == (1, 1) and invoice_count(store) == 0

    assert issue(store, second, ids["cashier"])[1] == "INV-S01-R01-000001"
    assert issue(store, first, ids["cashier"])[1] == "INV-S01-R01-000002"
    with store.read() as s:
        assert s.scalars(select(Invoice.seq).order_by(Invoice.seq)).all() == [1, 2]


def test_one_invoice_per_sale(shop_with_sales):
    store, ids = shop_with_sales
    first, second, _ = ids["orders"]
    invoice_id, number = issue(store, first, ids["cashier"])
    # asked again (by id or by the sale's number): the same invoice, no number used up
    assert issue(store, first, ids["cashier"]) == (invoice_id, number)
    with store.read() as s:
        sale_number = s.get(Order, first).number
    assert issue(store, sale_number, ids["cashier"]) == (invoice_id, number)
    same = Buyer("Ada Lovelace", "12 St James's Square\nLondon SW1Y 4JH", "GB123456789")
    assert issue(store, first, ids["cashier"], buyer=same) == (invoice_id, number)
    assert issue(store, second, ids["cashier"])[1] == "INV-S01-R01-000002"
    # an issued invoice never changes: other buyer details are refused, not written over it
    with pytest.raises(RuleViolation, match="invoiced already.*cannot change") as err:
        issue(store, first, ids["cashier"], buyer=Buyer("Someone Else"))
    assert err.value.field == "buyer"
    assert invoice_count(store) == 2 and counters(store) == (3, 1)


def test_the_buyer_is_copied_at_issue(shop_with_sales):
    store, ids = shop_with_sales
    invoice_id, _ = issue(store, ids["orders"][0], ids["cashier"])
    with store.write() as s:
        ada = s.get(Customer, ids["ada"])
        ada.name, ada.address, ada.tax_number = "Ada King", "Moved away", "GB000"
    with store.read() as s:
        invoice = s.get(Invoice, invoice_id)
        assert (invoice.buyer_name, invoice.buyer_address, invoice.buyer_tax_number) == (
            "Ada Lovelace", "12 St James's Square\nLondon SW1Y 4JH", "GB123456789")
        assert invoice.kind == "invoice" and invoice.refund_id is None
        assert invoice.issued_by == ids["cashier"]


def test_a_sale_without_a_customer_needs_the_buyers_name(shop_with_sales):
    store, ids = shop_with_sales
    anonymous = ids["orders"][2]
    with pytest.raises(RuleViolation, match="no customer.*buyer's name") as err:
        issue(store, anonymous, ids["cashier"])
    assert err.value.field == "buyer_name"
    assert counters(store) == (1, 1) and invoice_count(store) == 0

    invoice_id, number = issue(store, anonymous, ids["cashier"],
                               buyer=Buyer("  Grace Hopper ", " 1 Navy Way \n\n Arlington ",
                                           "US-99"))
    assert number == "INV-S01-R01-000001"
    with store.read() as s:
        invoice = s.get(Invoice, invoice_id)
        assert (invoice.buyer_name, invoice.buyer_address, invoice.buyer_tax_number) == (
            "Grace Hopper", "1 Navy Way\nArlington", "US-99")


BAD_BUYERS = [
    (Buyer("   "), "buyer_name", "is required"),
    (Buyer("x" * 201), "buyer_name", "longer than 200"),
    (Buyer("Grace\x07"), "buyer_name", "control characters"),
    (Buyer("Grace", "a" * 501), "buyer_address", "longer than 500"),
    (Buyer("Grace", "", "GB\n123"), "buyer_tax_number", "control characters"),
    (Buyer("Grace", "", 123), "buyer_tax_number", "must be text"),
]


def test_bad_buyer_details_name_their_field(shop_with_sales):
    store, ids = shop_with_sales
    for buyer, field, message in BAD_BUYERS:  # one shop for all: its setup is the cost
        with pytest.raises(InvalidInput, match=message) as err:
            issue(store, ids["orders"][2], ids["cashier"], buyer=buyer)
        assert err.value.field == field
    assert invoice_count(store) == 0 and counters(store) == (1, 1)


def test_who_may_issue_and_what_does_not_exist(shop_with_sales):
    store, ids = shop_with_sales
    with pytest.raises(RuleViolation, match="stock_clerk may not") as err:
        issue(store, ids["orders"][0], ids["clerk"])
    assert err.value.field == "staff"
    with pytest.raises(NotFound) as err:
        issue(store, "S01-R01-999999", ids["cashier"])
    assert err.value.field == "order"
    with pytest.raises(NotFound) as err:
        with store.write() as s:
            issue_credit_note(s, "no-such-refund", staff_id=ids["cashier"])
    assert err.value.field == "refund"
    assert invoice_count(store) == 0


def test_credit_notes_reference_the_invoice(shop_with_sales):
    store, ids = shop_with_sales
    first, second, anonymous = ids["orders"]
    invoice_id, _ = issue(store, first, ids["cashier"])
    refund_ids = []
    for order, lines in ((first, [ReturnRequest(1, 1000)]), (first, None), (second, None)):
        with store.write() as s:
            refund_ids.append(refund(s, order_ref=order, staff_id=ids["cashier"],
                                     lines=lines).id)

    with store.write() as s:
        one = issue_credit_note(s, refund_ids[0], staff_id=ids["cashier"])
        assert (one.number, one.kind, one.invoice_id, one.refund_id, one.order_id) == (
            "CN-S01-R01-000001", "credit_note", invoice_id, refund_ids[0], first)
        assert one.buyer_name == "Ada Lovelace" and one.buyer_tax_number == "GB123456789"
        # once per refund
        assert issue_credit_note(s, refund_ids[0], staff_id=ids["cashier"]).id == one.id
        two = issue_credit_note(s, refund_ids[1], staff_id=ids["cashier"])
        assert two.number == "CN-S01-R01-000002" and two.invoice_id == invoice_id
        assert [n.number for n in credit_notes_of(s, invoice_id)] == [one.number, two.number]
        # a refund of a sale never invoiced: its invoice is issued first, in the same write
        three = issue_credit_note(s, refund_ids[2], staff_id=ids["cashier"])
        assert three.number == "CN-S01-R01-000003"
        invoice = s.get(Invoice, three.invoice_id)
        assert (invoice.number, invoice.order_id, invoice.kind) == (
            "INV-S01-R01-000002", second, "invoice")

    # a sale without a customer: the credit note (and its invoice) need the buyer's name
    with store.write() as s:
        unnamed = refund(s, order_ref=anonymous, staff_id=ids["cashier"]).id
    with pytest.raises(RuleViolation) as err:
        with store.write() as s:
            issue_credit_note(s, unnamed, staff_id=ids["cashier"])
    assert err.value.field == "buyer_name"
    assert counters(store) == (3, 4)
    with store.write() as s:
        note = issue_credit_note(s, unnamed, staff_id=ids["cashier"], buyer=Buyer("Grace"))
        assert note.number == "CN-S01-R01-000004" and note.buyer_name == "Grace"
        assert s.get(Invoice, note.invoice_id).number == "INV-S01-R01-000003"


def test_issues_are_in_the_audit_journal(shop_with_sales):
    store, ids = shop_with_sales
    issue(store, ids["orders"][0], ids["cashier"])
    with store.write() as s:
        record = refund(s, order_ref=ids["orders"][0], staff_id=ids["cashier"])
        issue_credit_note(s, record.id, staff_id=ids["cashier"])
    with store.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "invoice")
                            .order_by(AuditEntry.seq)).all()
        assert [e.action for e in entries] == ["invoice.issued", "credit_note.issued"]
        assert '"number":"INV-S01-R01-000001"' in entries[0].details
        assert '"invoice":"INV-S01-R01-000001"' in entries[1].details
        assert audit.verify(s)[1] is None


def test_an_invoice_issued_after_refunds_brings_their_credit_notes(shop_with_sales):
    store, ids = shop_with_sales
    first = ids["orders"][0]
    with store.write() as s:
        early = refund(s, order_ref=first, staff_id=ids["cashier"],
                       lines=[ReturnRequest(1, 1000)]).number
    with store.write() as s:
        later = refund(s, order_ref=first, staff_id=ids["cashier"],
                       lines=[ReturnRequest(1, 1000)]).number

    with pytest.raises(Rollback):  # all in one transaction: none of it stays without the rest
        with store.write() as s:
            issue_invoice(s, first, staff_id=ids["cashier"])
            raise Rollback
    assert counters(store) == (1, 1) and invoice_count(store) == 0

    with store.write() as s:
        invoice = issue_invoice(s, first, staff_id=ids["cashier"])
        notes = credit_notes_of(s, invoice.id)
        refunds = {r.id: r.number for r in s.scalars(select(Refund))}
        assert [(n.number, refunds[n.refund_id]) for n in notes] == [
            ("CN-S01-R01-000001", early), ("CN-S01-R01-000002", later)]
        assert all(n.buyer_name == "Ada Lovelace" for n in notes)
        # asked for later, a refund's credit note is the one issued with the invoice
        assert issue_credit_note(s, later, staff_id=ids["cashier"]).id == notes[1].id
        # and asking for the invoice again issues nothing more
        assert issue_invoice(s, first, staff_id=ids["cashier"]).id == invoice.id
    assert counters(store) == (2, 3) and invoice_count(store) == 3

"""Returns at the register: found by the receipt's barcode or by number, refunded to the
original tenders (the card through the terminal), with a manager for no receipt or for cash
back on a card sale; receipts as PDF and by email."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from app.till import ApprovalNeeded
from db.models import AuditEntry, OutboxEntry, Refund
from tests.app.till.conftest import PINS, counts


class Drawer:
    opened = 0

    def open(self) -> bool:
        self.opened += 1
        return True


@pytest.fixture
def drawer() -> Drawer:
    return Drawer()


@pytest.fixture
def till(make_session, staff_ids, items, shop, drawer):  # noqa: ANN001, ANN201
    till = make_session(payments=CardPayments(shop, StandaloneTerminal()), drawer=drawer)
    till.sign_in(staff_ids["cara"], PINS["cara"])
    till.open_shift("100.00")
    return till


def _sale(till, items, *, card: bool = False):  # noqa: ANN001, ANN202 - SaleResult
    till.scan(items.tea_code)
    till.scan(items.tea_code)
    till.scan(items.cake_code)  # 9.00 + 12.10
    till.begin_payment()
    if card:
        till.start_card(None)
        till.confirm_card(True, "4242", "visa")
    else:
        till.add_cash("50")
    return till.complete()


def test_a_scanned_receipt_is_refunded_to_cash_and_opens_the_drawer(till, items, shop, drawer):
    sale = _sale(till, items)
    opened = drawer.opened
    view = till.find_sale(sale.receipt_code)
    assert (view.number, view.total_text, view.tenders, view.scanned) == (
        sale.number, "21.10", ("Cash 21.10",), True)
    assert [(l.line_no, l.name, l.sold_text, l.returnable_milli, l.unit_total_text)
            for l in view.lines] == [(1, "Tea", "2", 2000, "4.50"), (2, "Cake", "1", 1000, "12.10")]
    result = till.refund(sale.order_id, [(1, "1")], "original", reason="  too  sweet ")
    assert (result.amount_text, result.to) == ("4.50", ("Cash 4.50",))
    assert drawer.opened == opened + 1
    with shop.read() as s:
        refund = s.get(Refund, result.refund_id)
        assert refund.shift_id == till.current_shift().id and refund.reason == "too sweet"
    assert till.find_sale(sale.receipt_code).lines[0].returnable_milli == 1000


def test_a_return_without_the_receipt_needs_a_manager(till, items, shop, staff_ids):
    sale = _sale(till, items)
    assert not till.find_sale(sale.number.lower()).scanned
    rows = counts(shop)
    with pytest.raises(ApprovalNeeded) as err:
        till.refund(sale.order_id, [(2, None)], "original")
    assert err.value.permission is Permission.REFUND_WITHOUT_RECEIPT
    assert counts(shop) == rows
    manager = till.approve(staff_ids["manager"], PINS["manager"], Permission.REFUND_WITHOUT_RECEIPT)
    result = till.refund(sale.order_id, [(2, None)], "original", approver_id=manager)
    assert result.amount == 1210
    with shop.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "sale.refunded"))
        assert entry.approved_by == manager


def test_a_card_sale_goes_back_to_the_card_or_to_cash_with_a_manager(till, items, staff_ids):
    sale = _sale(till, items, card=True)
    till.find_sale(sale.receipt_code)
    with pytest.raises(ApprovalNeeded) as err:
        till.refund(sale.order_id, [(1, "1")], "cash")
    assert err.value.field == "to" and err.value.permission is Permission.REFUND_TO_OTHER_TENDER
    result = till.refund(sale.order_id, [(1, "1")], "original")
    assert result.to == ("Card VISA •••• 4242 4.50: refund 4.50 on the card terminal",)
    # the receipt permission is not the one asked for: it does not let cash go back for a card
    wrong = till.approve(staff_ids["manager"], PINS["manager"], Permission.REFUND_WITHOUT_RECEIPT)
    with pytest.raises(ApprovalNeeded):
        till.refund(sale.order_id, [(2, None)], "cash", approver_id=wrong)
    manager = till.approve(staff_ids["manager"], PINS["manager"], Permission.REFUND_TO_OTHER_TENDER)
    assert till.refund(sale.order_id, [(2, None)], "cash", approver_id=manager).to == (
        "Cash 12.10",)


def test_a_refund_pressed_twice_gives_the_money_back_once(till, items, shop, drawer):
    sale = _sale(till, items)
    view = till.find_sale(sale.receipt_code)
    assert view.request_id and till.find_sale(sale.receipt_code).request_id != view.request_id
    first = till.refund(sale.order_id, [(1, "1")], "original", request_id=view.request_id)
    rows, opened = counts(shop), drawer.opened
    again = till.refund(sale.order_id, [(1, "1")], "original", request_id=view.request_id)
    assert again == first and counts(shop) == rows and drawer.opened == opened
    # by its number too; another sale under the same request is refused
    assert till.refund(sale.number, [(1, "1")], "original", request_id=view.request_id) == first
    other = _sale(till, items)
    with pytest.raises(InvalidInput) as err:
        till.refund(other.order_id, [(1, "1")], "original", request_id=view.request_id)
    assert err.value.field == "order"
    # a new look-up is a new request: the second tea can still come back
    fresh = till.find_sale(sale.receipt_code).request_id
    assert till.refund(sale.order_id, [(1, "1")], "original", request_id=fresh) != first
    with pytest.raises(InvalidInput) as err:
        till.refund(sale.order_id, [(2, None)], "original", request_id=["not", "an", "id"])
    assert err.value.field == "order"


@pytest.mark.parametrize("lines,to,error,field", [
    ([], "original", InvalidInput, "lines"),
    ([(9, None)], "original", NotFound, "lines"),
    ([(1, "abc")], "original", InvalidInput, "lines"),
    ([(1, "0")], "original", InvalidInput, "lines"),
    ([(1, "0.5")], "original", InvalidInput, "lines"),
    ([(1, "3")], "original", RuleViolation, "lines"),
    ([(1, None), (1, None)], "original", RuleViolation, "lines"),
    ([(1, None)], "bank", InvalidInput, "to"),
    ([(1, None)], "credit", RuleViolation, "to"),  # no customer on the sale
    ("1", "original", InvalidInput, "lines"),
])
def test_bad_returns_are_refused_at_their_field_and_change_nothing(till, items, shop, lines, to,
                                                                   error, field):
    sale = _sale(till, items)
    till.find_sale(sale.receipt_code)
    rows = counts(shop)
    with pytest.raises(error) as err:
        till.refund(sale.order_id, lines, to)
    assert err.value.field == field
    assert counts(shop) == rows


def test_only_the_barcode_proves_the_receipt_however_fast_the_number_is_typed(till, items):
    sale = _sale(till, items)
    assert sale.receipt_code.startswith(sale.number) and sale.receipt_code != sale.number
    assert till.find_sale(sale.receipt_code).scanned
    assert not till.find_sale(sale.number).scanned  # the printed number, typed or pasted
    assert not till.find_sale(sale.order_id).scanned
    wrong = sale.number + ("0000" if not sale.receipt_code.endswith("0000") else "1111")
    with pytest.raises(InvalidInput) as err:
        till.find_sale(wrong)  # a damaged or made-up barcode is not a receipt
    assert err.value.field == "order" and "does not match" in err.value.message


@pytest.mark.parametrize("ref,error", [("", InvalidInput), ("S01 R01", InvalidInput),
                                       ("x" * 41, InvalidInput), ("S01-R01-999999", NotFound)])
def test_a_sale_that_cannot_be_found_says_so(till, ref, error):
    with pytest.raises(error) as err:
        till.find_sale(ref)
    assert err.value.field == "order"


def test_a_cashier_without_refund_rights_cannot_start_a_return(make_session, staff_ids, items):
    till = make_session()
    with pytest.raises(RuleViolation) as err:
        till.find_sale("S01-R01-000001")
    assert err.value.field == "staff"


def test_the_receipt_as_pdf_and_by_email(till, items, shop):
    sale = _sale(till, items)
    pdf = till.receipt_pdf(sale.order_id)
    assert pdf.startswith(b"%PDF")
    message = till.email_receipt(sale.order_id, "ada@example.com")
    assert "queued" in message and "ada@example.com" in message
    with shop.read() as s:
        assert s.scalar(select(OutboxEntry).where(OutboxEntry.kind == "receipt.email")) is not None
    with pytest.raises(InvalidInput) as err:
        till.email_receipt(sale.order_id, "not an address")
    assert err.value.field == "email"


def test_opening_the_drawer_for_no_sale_is_journalled(till, shop, drawer):
    assert till.open_drawer() is True
    with shop.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "till.drawer_opened"))
        assert entry is not None and '"reason":"no sale"' in entry.details

"""Paying at the register through a real local store and the real card-attempt orchestrator
with a standalone terminal: split tenders, change, store credit, declines, one checkout, and a
second Pay that records nothing more."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.permissions import Permission
from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from db.models import Customer, Order, OutboxEntry, PaymentAttempt, Variant
from tests.app.till.conftest import counts


class Drawer:
    def __init__(self, works: bool = True) -> None:
        self.opened, self.works = 0, works

    def open(self) -> bool:
        self.opened += 1
        if not self.works:
            raise OSError("no such device")
        return True


@pytest.fixture
def card_till(make_session, staff_ids, items, shop):  # noqa: ANN001, ANN201
    drawer = Drawer()
    till = make_session(payments=CardPayments(shop, StandaloneTerminal()), drawer=drawer)
    till.sign_in(staff_ids["cara"], "3333")
    till.open_shift("100.00")
    till.drawer_for_test = drawer
    return till


def _ring_up(till, items) -> None:  # noqa: ANN001
    till.scan(items.tea_code)
    till.scan(items.cake_code)  # 4.50 + 12.10 = 16.60


def test_cash_with_change_completes_in_one_checkout(card_till, items, shop):
    _ring_up(card_till, items)
    pay = card_till.begin_payment()
    assert (pay.total_text, pay.due_text, pay.complete) == ("16.60", "16.60", False)
    assert [text for _, text in pay.quick_cash] == ["16.60", "20.00", "50.00", "100.00"]
    pay = card_till.add_cash("20")
    assert (pay.due, pay.change_text, pay.complete) == (0, "3.40", True)
    assert pay.tenders[0].amount_text == "16.60" and pay.tenders[0].tendered_text == "20.00"
    result = card_till.complete()
    assert (result.change_text, result.total_text, result.drawer_opened) == ("3.40", "16.60", True)
    assert card_till.drawer_for_test.opened == 1
    with shop.read() as s:
        order = s.get(Order, result.order_id)
        assert order.id == pay.sale_id and order.number == result.number
        assert order.shift_id == card_till.current_shift().id
        assert [(p.method, p.amount, p.tendered) for p in order.payments] == [("cash", 1660, 2000)]
    assert card_till.cart().empty


def test_a_second_complete_returns_the_same_sale_and_records_nothing(card_till, items, shop):
    _ring_up(card_till, items)
    card_till.begin_payment()
    card_till.add_cash(None)
    first = card_till.complete()
    rows = counts(shop)
    assert card_till.complete() == first
    assert counts(shop) == rows
    with shop.read() as s:
        assert s.scalar(select(OutboxEntry).where(OutboxEntry.kind == "order.created")) is not None
        assert len(s.scalars(select(Order)).all()) == 1


def test_split_cash_and_card_on_a_standalone_terminal(card_till, items, shop):
    _ring_up(card_till, items)
    sale_id = card_till.begin_payment().sale_id
    card_till.add_cash("10.00")
    pay = card_till.start_card(None)
    assert pay.card.state == "processing" and pay.card.needs_cashier
    assert pay.card.amount_text == "6.60" and "Key 6.60" in pay.card.message
    with pytest.raises(RuleViolation):
        card_till.add_cash("1")  # not while the card is with the customer
    with pytest.raises(RuleViolation):
        card_till.complete()
    assert card_till.card_status().card.state == "processing"
    pay = card_till.confirm_card(True, "4242", "visa")
    assert pay.card is None and pay.complete
    assert [(t.label, t.amount_text, t.removable) for t in pay.tenders] == [
        ("Cash", "10.00", True), ("Card VISA •••• 4242", "6.60", False)]
    with pytest.raises(RuleViolation):
        card_till.remove_tender(1)
    with pytest.raises(RuleViolation):
        card_till.cancel_payment()
    result = card_till.complete()
    with shop.read() as s:
        order = s.get(Order, result.order_id)
        assert order.id == sale_id
        assert [(p.method, p.amount, p.card_brand, p.card_last4) for p in order.payments] == [
            ("cash", 1000, None, None), ("card", 660, "VISA", "4242")]
        assert order.payments[1].reference.startswith("terminal:")
        attempt = s.scalar(select(PaymentAttempt).where(PaymentAttempt.sale_id == order.id))
        assert attempt.status == "succeeded"


def test_a_declined_card_leaves_the_sale_due_and_can_be_tried_again(card_till, items, shop):
    _ring_up(card_till, items)
    card_till.begin_payment()
    card_till.start_card("16.60")
    pay = card_till.confirm_card(False)
    assert (pay.due, pay.card.state, pay.card.message) == (1660, "failed", "declined on the terminal")
    assert not pay.complete
    card_till.start_card(None)
    pay = card_till.cancel_card()
    assert pay.card.state == "canceled" and pay.due == 1660
    card_till.start_card(None)
    assert card_till.confirm_card(True).complete
    card_till.complete()
    with shop.read() as s:
        assert [(a.attempt, a.status) for a in s.scalars(
            select(PaymentAttempt).order_by(PaymentAttempt.attempt))] == [
            (1, "failed"), (2, "canceled"), (3, "succeeded")]


def test_a_card_never_pays_more_than_is_due(card_till, items):
    _ring_up(card_till, items)
    card_till.begin_payment()
    with pytest.raises(RuleViolation) as err:
        card_till.start_card("16.61")
    assert err.value.field == "amount"


@pytest.mark.parametrize("text", ["abc", "12,50", "-5", "1e3", "0", "0.001", "💶", "12.345"])
def test_text_in_amount_fields_is_refused_and_changes_nothing(card_till, items, shop, text):
    _ring_up(card_till, items)
    before = card_till.begin_payment()
    rows = counts(shop)
    for tender in (card_till.add_cash, card_till.start_card):
        with pytest.raises(InvalidInput) as err:
            tender(text)
        assert err.value.field == "amount"
    assert card_till.begin_payment() == before and counts(shop) == rows


def test_a_sale_completes_only_when_fully_paid(card_till, items, shop):
    _ring_up(card_till, items)
    card_till.begin_payment()
    card_till.add_cash("5")
    rows = counts(shop)
    with pytest.raises(RuleViolation) as err:
        card_till.complete()
    assert err.value.field == "pay" and "11.60 is still due" in err.value.message
    assert counts(shop) == rows
    assert card_till.remove_tender(0).due == 1660
    with pytest.raises(RuleViolation):
        card_till.complete()


def test_store_credit_needs_a_customer_with_credit(card_till, items, shop):
    _ring_up(card_till, items)
    card_till.begin_payment()
    with pytest.raises(RuleViolation) as err:
        card_till.add_credit(None)
    assert err.value.field == "customer"
    card_till.cancel_payment()
    with shop.read() as s:
        rich = s.scalar(select(Customer).order_by(Customer.created_at, Customer.id))  # 25.00
    card_till.attach_customer(rich.id)
    card_till.scan(items.cake_code)  # 28.70 now
    card_till.begin_payment()
    with pytest.raises(RuleViolation) as err:
        card_till.add_credit("26.00")
    assert err.value.field == "amount"
    pay = card_till.add_credit(None)  # all 25.00 of it
    assert (pay.tenders[0].label, pay.tenders[0].amount_text, pay.due_text) == (
        "Store credit", "25.00", "3.70")
    with pytest.raises(RuleViolation):
        card_till.add_credit("1")
    card_till.add_cash(None)
    result = card_till.complete()
    assert result.customer_email == rich.email and result.drawer_opened
    from app.sales.checkout import credit_balance
    with shop.read() as s:
        assert credit_balance(s, rich.id) == 0


def test_the_cart_is_frozen_while_paying_and_comes_back_on_cancel(card_till, items):
    _ring_up(card_till, items)
    cart = card_till.cart()
    card_till.begin_payment()
    card_till.add_cash("5")
    with pytest.raises(RuleViolation) as err:
        card_till.scan(items.tea_code)
    assert err.value.field == "pay"
    assert card_till.cancel_payment() == cart
    assert card_till.scan(items.tea_code).total == 2110


def test_payment_prices_from_the_catalogue_again(card_till, items, shop):
    card_till.scan(items.tea_code)
    with shop.write() as s:
        s.get(Variant, items.tea).price = 500  # a price change pulled by sync meanwhile
    assert card_till.begin_payment().total == 500
    assert card_till.cancel_payment().total == 500


def test_an_empty_cart_or_a_coupon_that_does_not_apply_cannot_be_paid(card_till, items,
                                                                       staff_ids):
    with pytest.raises(RuleViolation) as err:
        card_till.begin_payment()
    assert err.value.field == "pay"
    card_till.scan(items.cake_code)
    card_till.scan(items.cake_code)
    card_till.apply_coupon("TENOFF")
    manager = card_till.approve(staff_ids["manager"], "2222", Permission.VOID)
    card_till.set_quantity(0, "1", approver_id=manager)  # 12.10: under the 20.00 minimum
    with pytest.raises(RuleViolation) as err:
        card_till.begin_payment()
    assert err.value.field == "coupon" and "minimum spend" in err.value.message
    card_till.remove_coupon()
    assert card_till.begin_payment().total == 1210


def test_no_card_provider_says_so(make_session, staff_ids, items):
    till = make_session()
    till.sign_in(staff_ids["cara"], "3333")
    till.open_shift("0")
    till.scan(items.tea_code)
    pay = till.begin_payment()
    assert not pay.card_available and "no card terminal" in pay.card_unavailable_reason
    with pytest.raises(RuleViolation) as err:
        till.start_card(None)
    assert err.value.field == "pay"


def test_a_drawer_that_fails_does_not_undo_the_sale(make_session, staff_ids, items, shop):
    till = make_session(drawer=Drawer(works=False))
    till.sign_in(staff_ids["cara"], "3333")
    till.open_shift("0")
    till.scan(items.tea_code)
    till.begin_payment()
    till.add_cash(None)
    result = till.complete()
    assert not result.drawer_opened
    with shop.read() as s:
        assert s.get(Order, result.order_id) is not None


def test_a_zero_total_sale_completes(make_session, staff_ids, items):
    till = make_session()
    till.sign_in(staff_ids["manager"], "2222")
    till.open_shift("0")
    till.scan(items.tea_code)
    till.line_discount(0, "100%")
    pay = till.begin_payment()
    assert pay.complete
    assert till.complete().total_text == "0.00"


def test_a_sale_is_not_recorded_into_a_shift_closed_meanwhile(card_till, make_session, staff_ids,
                                                              items, shop):
    _ring_up(card_till, items)
    card_till.begin_payment()
    card_till.add_cash(None)
    other = make_session()  # another window on this register closes the shift
    other.sign_in(staff_ids["manager"], "2222")
    other.close_shift("100.00")
    rows = counts(shop)
    with pytest.raises(RuleViolation) as err:
        card_till.complete()
    assert err.value.field == "shift" and counts(shop) == rows


def test_a_card_check_answered_after_the_payment_was_left_is_for_nobody(card_till, items):
    _ring_up(card_till, items)
    view = card_till.begin_payment()
    assert view.card_available
    assert card_till.check_card(view.sale_id) is None  # nothing changed: nothing to redraw
    card_till.cancel_payment()
    assert card_till.check_card(view.sale_id) is None  # no "no payment has begun" on the till
    assert card_till.check_card() is None

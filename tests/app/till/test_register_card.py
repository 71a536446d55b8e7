"""Card payments at the register where they can go wrong: the sale records the order priced
when payment began (a price or coupon changed by sync cannot strand a captured card), the
payment cannot be left while a card is being started, late answers never add a card twice,
card money that no sale recorded is found at start-up and refunded, and a cashier's mistaken
"approved" on a standalone terminal can be taken back with a manager."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.permissions import Permission
from app.payments.attempts import CardPayments
from app.payments.terminal import StandaloneTerminal
from app.till import ApprovalNeeded
from app.till.format import cards_taken_notice
from db.models import AuditEntry, Coupon, CouponRedemption, Order, PaymentAttempt, Variant
from tests.app.payments.reader import LinkedReader
from tests.app.till.conftest import PINS, pay_by_card




def test_a_price_changed_after_the_card_was_taken_records_the_agreed_total(card_till, items,
                                                                           shop):
    card_till.scan(items.tea_code)
    card_till.scan(items.cake_code)  # 16.60
    card_till.begin_payment()
    pay_by_card(card_till)
    with shop.write() as s:  # sync brings new prices while the customer's card is out
        s.get(Variant, items.tea).price = 500
        s.get(Variant, items.cake).price = 1300
    result = card_till.complete()
    assert result.total_text == "16.60"
    with shop.read() as s:
        order = s.get(Order, result.order_id)
        assert (order.total, [l.unit_price for l in order.lines]) == (1660, [450, 1210])
        assert [(p.method, p.amount) for p in order.payments] == [("card", 1660)]


def test_the_coupon_checked_when_paying_began_is_honoured(card_till, make_session, staff_ids,
                                                          items, shop):
    with shop.write() as s:
        s.add(Coupon(code="ONCE", kind="amount", value=100, valid_from=None, valid_to=None,
                     min_spend=0, usage_limit=1, per_customer_limit=None))
    card_till.scan(items.tea_code)
    card_till.apply_coupon("ONCE")
    card_till.begin_payment()
    pay_by_card(card_till)
    other = make_session()  # another window takes the coupon's only use meanwhile
    other.sign_in(staff_ids["carl"], PINS["carl"])
    other.scan(items.tea_code)
    other.apply_coupon("ONCE")
    other.begin_payment()
    other.add_cash(None)
    other.complete()
    result = card_till.complete()
    with shop.read() as s:
        order = s.get(Order, result.order_id)
        assert (order.total, order.coupon_code) == (350, "ONCE")
        # both redemptions are recorded: the server flags the coupon used past its limit
        assert s.scalar(select(func.count()).select_from(CouponRedemption)) == 2


def test_paying_says_when_the_total_is_not_the_one_the_cart_showed(card_till, items, shop):
    assert card_till.scan(items.tea_code).total_text == "4.50"
    assert card_till.begin_payment().notice is None
    card_till.cancel_payment()
    with shop.write() as s:
        s.get(Variant, items.tea).price = 500
    pay = card_till.begin_payment()
    assert pay.total_text == "5.00" and "5.00" in pay.notice and "4.50" in pay.notice


class GatedTerminal(StandaloneTerminal):
    """A terminal whose next start (or status) waits until the test lets it answer."""

    def __init__(self) -> None:
        self.gate_start = self.gate_status = None
        self.entered = threading.Event()

    def start(self, request):  # noqa: ANN001, ANN201
        self._wait("gate_start")
        return super().start(request)

    def status(self, request, reference):  # noqa: ANN001, ANN201
        self._wait("gate_status")
        return super().status(request, reference)

    def _wait(self, name: str) -> None:
        gate = getattr(self, name)
        if gate is not None:
            setattr(self, name, None)
            self.entered.set()
            assert gate.wait(10)


def _in_thread(fn):  # noqa: ANN001, ANN202
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", fn()))
    thread.start()
    return thread, box


def test_the_payment_cannot_be_left_while_a_card_is_being_started(make_session, staff_ids,
                                                                  items, shop):
    terminal = GatedTerminal()
    till = make_session(payments=CardPayments(shop, terminal))
    till.sign_in(staff_ids["cara"], PINS["cara"])
    till.open_shift("0")
    till.scan(items.tea_code)
    till.begin_payment()
    terminal.gate_start = gate = threading.Event()
    thread, box = _in_thread(lambda: till.start_card(None))
    assert terminal.entered.wait(10)
    for refused in (till.cancel_payment, till.lock, lambda: till.add_cash(None),
                    lambda: till.start_card(None), till.complete,
                    lambda: till.confirm_card(True)):
        with pytest.raises(RuleViolation):
            refused()
    assert till.card_status().card.state == "created"
    gate.set()
    thread.join(10)
    assert box["result"].card.state == "processing"
    assert till.confirm_card(True, "4242").complete


def test_a_late_poll_never_adds_the_card_twice(make_session, staff_ids, items, shop):
    terminal = GatedTerminal()
    till = make_session(payments=CardPayments(shop, terminal))
    till.sign_in(staff_ids["cara"], PINS["cara"])
    till.open_shift("0")
    till.scan(items.tea_code)
    till.begin_payment()
    till.start_card(None)
    terminal.gate_status = gate = threading.Event()
    thread, box = _in_thread(till.card_status)  # the window's poll, in flight
    assert terminal.entered.wait(10)
    assert till.confirm_card(True, "4242", "visa").complete  # the cashier was quicker
    gate.set()
    thread.join(10)
    for view in (box["result"], till.card_status()):
        assert view.card is None and view.complete
        assert [t.label for t in view.tenders] == ["Card VISA •••• 4242"]
    assert till.complete().total_text == "4.50"


def test_card_money_without_a_sale_is_found_at_start_up_and_refunded(make_session, staff_ids,
                                                                    items, shop):
    reader = LinkedReader(shop, mode="wait")
    till = make_session(payments=CardPayments(shop, reader))
    till.sign_in(staff_ids["cara"], PINS["cara"])
    till.open_shift("0")
    till.scan(items.cake_code)
    sale_id = till.begin_payment().sale_id
    assert till.start_card(None).card.state == "processing"
    del till  # the till dies while the card is on the reader; the customer's card goes through
    reader.finish(f"{sale_id}:0:1", 1210)

    after = make_session(payments=CardPayments(shop, reader))  # the reader outlived the till
    [card] = after.recover_cards()
    assert (card.sale_id, card.amount_text, card.label) == (sale_id, "12.10",
                                                            "Card VISA •••• 4242")
    assert "12.10" in cards_taken_notice([card]) and "no sale was recorded" in card.text
    after.sign_in(staff_ids["cara"], PINS["cara"])
    with pytest.raises(ApprovalNeeded) as err:
        after.refund_card_without_sale(card.attempt_id)
    assert err.value.permission is Permission.VOID
    manager = after.approve(staff_ids["manager"], PINS["manager"], Permission.VOID)
    assert after.refund_card_without_sale(card.attempt_id, approver_id=manager) == []
    assert after.cards_without_sale() == [] and after.recover_cards() == []
    with shop.read() as s:
        entry = s.scalar(select(AuditEntry)
                         .where(AuditEntry.action == "payment.refunded_without_sale"))
        assert (entry.entity_id, entry.approved_by) == (card.attempt_id, manager)
    with pytest.raises(InvalidInput):
        after.refund_card_without_sale(card.attempt_id, approver_id=manager)


def test_the_card_of_the_sale_being_paid_is_not_listed_as_without_a_sale(card_till, items):
    card_till.scan(items.tea_code)
    card_till.begin_payment()
    pay_by_card(card_till)
    assert card_till.cards_without_sale() == []
    card_till.complete()
    assert card_till.cards_without_sale() == []


def test_a_mistaken_approved_on_the_terminal_is_removed_with_a_manager(card_till, items, shop,
                                                                       staff_ids):
    card_till.scan(items.tea_code)
    card_till.begin_payment()
    pay = card_till.start_card(None)
    attempt_id = pay.card.attempt_id
    pay = card_till.confirm_card(True)  # the terminal in fact said "declined"
    assert [(t.removable, t.removable_by_manager) for t in pay.tenders] == [(False, True)]
    with pytest.raises(ApprovalNeeded) as err:
        card_till.remove_tender(0)
    assert err.value.permission is Permission.VOID
    manager = card_till.approve(staff_ids["manager"], PINS["manager"], Permission.VOID)
    pay = card_till.remove_tender(0, approver_id=manager)
    assert (pay.tenders, pay.due_text) == ((), "4.50")
    with shop.read() as s:
        attempt = s.get(PaymentAttempt, attempt_id)
        assert (attempt.status, attempt.error_code) == ("canceled", "withdrawn")
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "payment.card_withdrawn"))
        assert (entry.entity_id, entry.approved_by) == (attempt_id, manager)
    card_till.cancel_payment()  # nothing was taken: the sale may be left
    assert card_till.cards_without_sale() == []


def test_a_card_the_provider_took_can_only_be_refunded(make_session, staff_ids, items, shop):
    till = make_session(payments=CardPayments(shop, LinkedReader(shop)))
    till.sign_in(staff_ids["manager"], PINS["manager"])
    till.open_shift("0")
    till.scan(items.tea_code)
    till.begin_payment()
    pay = till.start_card(None)
    assert [(t.removable, t.removable_by_manager) for t in pay.tenders] == [(False, False)]
    with pytest.raises(RuleViolation) as err:
        till.remove_tender(0)
    assert "refunding" in err.value.message


def test_absurd_cash_is_refused_at_the_amount_field(card_till, items, shop):
    card_till.scan(items.tea_code)
    card_till.begin_payment()
    with pytest.raises(InvalidInput) as err:
        card_till.add_cash("9638507.40")  # an EAN scanned into the cash field
    assert err.value.field == "amount" and "is that right" in err.value.message
    assert card_till.add_cash("1004.50").change_text == "1000.00"

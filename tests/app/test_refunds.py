"""Returns: money back to the original tenders, never more than was paid, stock restored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import integrity, inventory
from app.domain.errors import NotFound, RuleViolation
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout, credit_balance
from app.sales.refunds import ReturnRequest, refund
from db.models import Order, OutboxEntry, Refund, Register
from tests.support import catalog

CASH, CARD = TenderMethod.CASH, TenderMethod.CARD


@pytest.fixture
def sale(blank_shop):
    with blank_shop.write() as s:
        cashier = catalog.staff(s)
        pen = catalog.product(s, "Pen", 333, stock_milli=10_000)
        ink = catalog.product(s, "Ink", 1000, stock_milli=10_000)
        ada = catalog.customer(s)
        cart = Cart(customer_id=ada.id)
        cart.add(pen.id, 3000)  # 9.99 for three: 3.33 each
        cart.add(ink.id, 1000)
        order = checkout(s, cart=cart, tenders=[Tender(CARD, 500, reference="pi_1", card_brand="visa",
                                                       card_last4="4242"), Tender(CASH)],
                         staff_id=cashier.id)
        ids = {"cashier": cashier.id, "pen": pen.id, "ink": ink.id, "ada": ada.id,
               "order": order.number}
    return blank_shop, ids


def card_refunder(log):
    def refund_card(payment, amount):
        log.append((payment.reference, amount))
        return f"re_{len(log)}"
    return refund_card


def test_partial_returns_add_up_to_exactly_what_was_paid(sale):
    store, ids = sale
    log: list = []
    amounts = []
    for _ in range(3):
        with store.write() as s:
            r = refund(s, order_ref=ids["order"], staff_id=ids["cashier"],
                       lines=[ReturnRequest(1, 1000)], card_refunder=card_refunder(log))
            amounts.append(r.amount)
    assert amounts == [333, 333, 333]
    with store.write() as s:
        r = refund(s, order_ref=ids["order"], staff_id=ids["cashier"],
                   card_refunder=card_refunder(log))
        assert r.amount == 1000
        order = s.scalar(select(Order).where(Order.number == ids["order"]))
        assert order.refunded_total == order.total == 1999
        assert order.status == "refunded"
        # Cards are refunded first, never more than they paid; the rest goes back as cash.
        assert log == [("pi_1", 333), ("pi_1", 167)]
        assert [(p.method, p.refunded) for p in order.payments] == [("card", 500), ("cash", 1499)]
        assert inventory.level(s, store_id=order.store_id, variant_id=ids["pen"]) == 10_000
        assert integrity.check_all(s) == []
        assert s.scalar(select(func.count()).select_from(OutboxEntry)
                        .where(OutboxEntry.kind == "refund.created")) == 4
        assert s.scalars(select(Refund.number).order_by(Refund.number)).all() == [
            f"S01-R01-RF00000{i}" for i in range(1, 5)]


def test_a_refund_can_never_exceed_what_is_left(sale):
    store, ids = sale
    with store.write() as s:
        refund(s, order_ref=ids["order"], staff_id=ids["cashier"], lines=[ReturnRequest(1, 2000)],
               to_method="cash")
    for lines, message in [([ReturnRequest(1, 2000)], "only 1 left"),
                           ([ReturnRequest(9)], "no line 9"),
                           ([ReturnRequest(2), ReturnRequest(2)], "named twice"),
                           ([ReturnRequest(2, 0)], "greater than zero")]:
        with pytest.raises((RuleViolation, NotFound), match=message):
            with store.write() as s:
                refund(s, order_ref=ids["order"], staff_id=ids["cashier"], lines=lines,
                       to_method="cash")
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Refund)) == 1
        assert s.scalar(select(Register.next_refund_seq)) == 2


def test_card_refunds_need_the_payment_provider_and_roll_back_without_it(sale):
    store, ids = sale
    with pytest.raises(RuleViolation, match="card refunds need"):
        with store.write() as s:
            refund(s, order_ref=ids["order"], staff_id=ids["cashier"])
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Refund)) == 0
        order = s.scalar(select(Order).where(Order.number == ids["order"]))
        assert order.refunded_total == 0 and order.status == "delivered"


def test_refund_to_store_credit_needs_a_customer_and_credits_the_balance(sale):
    store, ids = sale
    with store.write() as s:
        r = refund(s, order_ref=ids["order"], staff_id=ids["cashier"], lines=[ReturnRequest(2)],
                   to_method="credit")
        assert r.amount == 1000
        assert credit_balance(s, ids["ada"]) == 1000


def test_unknown_orders_and_unreturnable_statuses_are_refused(sale):
    store, ids = sale
    with pytest.raises(NotFound, match="no order"):
        with store.write() as s:
            refund(s, order_ref="S01-R01-999999", staff_id=ids["cashier"])
    with store.write() as s:
        s.scalar(select(Order).where(Order.number == ids["order"])).status = "pending"
    with pytest.raises(RuleViolation, match="pending"):
        with store.write() as s:
            refund(s, order_ref=ids["order"], staff_id=ids["cashier"], to_method="cash")

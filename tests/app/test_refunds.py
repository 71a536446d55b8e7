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
from db.models import CreditMovement, Order, OutboxEntry, Refund, RefundPayment, Register
from tests.support import catalog

CASH, CARD, CREDIT = TenderMethod.CASH, TenderMethod.CARD, TenderMethod.CREDIT


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


def card_shares(session) -> list[tuple[str, int, str]]:
    return [(p.method, p.amount, p.status) for p in session.scalars(
        select(RefundPayment).join(Refund).order_by(Refund.number)).all() if p.method == "card"]


def test_partial_returns_add_up_to_exactly_what_was_paid(sale):
    store, ids = sale
    amounts = []
    for _ in range(3):
        with store.write() as s:
            r = refund(s, order_ref=ids["order"], staff_id=ids["cashier"],
                       lines=[ReturnRequest(1, 1000)])
            amounts.append(r.amount)
    assert amounts == [333, 333, 333]
    with store.write() as s:
        r = refund(s, order_ref=ids["order"], staff_id=ids["cashier"])
        assert r.amount == 1000
        order = s.scalar(select(Order).where(Order.number == ids["order"]))
        assert order.refunded_total == order.total == 1999
        assert order.status == "refunded"
        # Cards are refunded first, never more than they paid; the rest goes back as cash. Card
        # shares wait for the payment provider, which acts only after the commit.
        assert card_shares(s) == [("card", 333, "pending"), ("card", 167, "pending")]
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


def test_refund_to_cash_pays_card_shares_in_cash_and_records_each_payment(sale):
    store, ids = sale
    with store.write() as s:
        r = refund(s, order_ref=ids["order"], staff_id=ids["cashier"], to_method="cash")
        order = s.scalar(select(Order).where(Order.number == ids["order"]))
        assert [(p.method, p.amount, p.status) for p in r.payments] == [
            ("cash", 500, "done"), ("cash", 1499, "done")]
        assert [(p.method, p.refunded) for p in order.payments] == [("card", 500), ("cash", 1499)]


def test_store_credit_never_turns_into_cash(blank_shop):
    with blank_shop.write() as s:
        cashier = catalog.staff(s)
        item = catalog.product(s, "Vase", 1807)
        ada = catalog.customer(s)
        s.add(CreditMovement(customer_id=ada.id, amount=1000, kind="issue"))
        cart = Cart(customer_id=ada.id)
        cart.add(item.id, 1000)
        order = checkout(s, cart=cart, tenders=[Tender(CREDIT, 1000), Tender(CASH)],
                         staff_id=cashier.id)
        r = refund(s, order_ref=order.number, staff_id=cashier.id, to_method="cash")
        assert sorted((p.method, p.amount) for p in r.payments) == [("cash", 807), ("credit", 1000)]
        assert credit_balance(s, ada.id) == 1000
        assert [p.refunded for p in order.payments] == [1000, 807]


def test_a_support_user_may_neither_sell_nor_refund(sale):
    store, ids = sale
    with store.write() as s:
        support = catalog.staff(s, role="support").id
    with pytest.raises(RuleViolation, match="support may not"):
        with store.write() as s:
            refund(s, order_ref=ids["order"], staff_id=support, to_method="cash")
    cart = Cart()
    cart.add(ids["ink"], 1000)
    with pytest.raises(RuleViolation, match="support may not"):
        with store.write() as s:
            checkout(s, cart=cart, tenders=[Tender(CASH)], staff_id=support)


def test_half_a_piece_cannot_be_returned(sale):
    store, ids = sale
    with pytest.raises(RuleViolation, match="whole number"):
        with store.write() as s:
            refund(s, order_ref=ids["order"], staff_id=ids["cashier"],
                   lines=[ReturnRequest(2, 500)], to_method="cash")


def test_a_shipped_order_returned_in_full_becomes_refunded(sale):
    store, ids = sale
    with store.write() as s:
        s.scalar(select(Order).where(Order.number == ids["order"])).status = "shipped"
    with store.write() as s:
        refund(s, order_ref=ids["order"], staff_id=ids["cashier"], to_method="cash")
        assert s.scalar(select(Order.status).where(Order.number == ids["order"])) == "refunded"


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

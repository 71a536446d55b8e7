"""Order status changes follow the state machine, with version checks and an audit entry."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import InvalidTransition, RuleViolation
from app.orders import change_status
from app.sales.refunds import refund
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.domain.tenders import TenderMethod
from db.models import AuditEntry, Order, OutboxEntry
from tests.support import catalog


@pytest.fixture
def pending_order(blank_shop):
    with blank_shop.write() as s:
        clerk = catalog.staff(s, role="manager")
        item = catalog.product(s, "Lamp", 2500)
        cart = Cart()
        cart.add(item.id, 1000)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=clerk.id)
        order.status, order.channel = "pending", "online"  # as an online order arrives
        return blank_shop, order.number, clerk.id


def test_an_order_walks_the_happy_path_and_each_step_is_audited(pending_order):
    store, number, clerk = pending_order
    for target in ("confirmed", "processing", "shipped", "delivered"):
        with store.write() as s:
            change_status(s, order_ref=number, target=target, staff_id=clerk, reason="tested")
    with store.read() as s:
        order = s.scalar(select(Order).where(Order.number == number))
        assert order.status == "delivered" and order.version == 5
        moves = s.scalars(select(AuditEntry.details).where(AuditEntry.action == "order.status_changed")
                          .order_by(AuditEntry.seq)).all()
        assert [m.split('"to":"')[1].split('"')[0] for m in moves] == [
            "confirmed", "processing", "shipped", "delivered"]
        assert len(s.scalars(select(OutboxEntry).where(OutboxEntry.kind == "order.status")).all()) == 4


def test_moves_against_the_machine_name_the_allowed_ones_and_change_nothing(pending_order):
    store, number, clerk = pending_order
    with pytest.raises(InvalidTransition) as err:
        with store.write() as s:
            change_status(s, order_ref=number, target="shipped", staff_id=clerk)
    assert err.value.allowed == ("confirmed", "cancelled")
    with pytest.raises(RuleViolation, match="changed meanwhile"):
        with store.write() as s:
            change_status(s, order_ref=number, target="confirmed", staff_id=clerk,
                          expected_version=99)
    with store.read() as s:
        order = s.scalar(select(Order).where(Order.number == number))
        assert (order.status, order.version) == ("pending", 1)


def test_refunded_is_reached_only_by_refunding(pending_order):
    store, number, clerk = pending_order
    with store.write() as s:
        change_status(s, order_ref=number, target="cancelled", staff_id=clerk)
    with pytest.raises(RuleViolation, match="by refunding it"):
        with store.write() as s:
            change_status(s, order_ref=number, target="refunded", staff_id=clerk)
    with store.write() as s:
        record = refund(s, order_ref=number, staff_id=clerk)
        order = s.scalar(select(Order).where(Order.number == number))
        assert (record.amount, order.refunded_total, order.status) == (2500, 2500, "refunded")

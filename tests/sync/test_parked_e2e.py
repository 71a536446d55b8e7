"""Parked carts and emailed receipts the whole way: a real ``tillpoint-server`` process seeded
with the demo shop, two tills paired with it over HTTP, real engine rounds. A cart parked on
one till is resumed and sold on the other and leaves the first; two tills resuming the same
cart while apart: the second is told by a sync issue to check the other till; a receipt
asked for at the till arrives at a real SMTP server with the sale's number and total."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from app.domain.money import format_amount
from app.domain.pricing import Discount
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.till.parking import list_parked, park_cart, take_parked
from app.till.receipts import email_receipt
from db.models import Order, Register
from tests.server.test_auth_helpers import mail_body
from tests.support.server_fixtures import servers_on
from tests.support.sync_harness import Till, make_tills, start_shop


@pytest.fixture(scope="module")
def shop(mongo_uri, tmp_path_factory, smtp_sink):
    factory = servers_on(mongo_uri, tmp_path_factory.mktemp("parked-server"), smtp_sink,
                         drop=True)
    made = start_shop(next(factory), mongo_uri)
    yield made
    made.close()
    next(factory, None)  # stops the server, drops its database


@pytest.fixture(scope="module")
def tills(shop, tmp_path_factory):
    made = make_tills(shop, 2, tmp_path_factory.mktemp("parked-tills"))
    yield made
    for till in made:
        till.close()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _park(till: Till, label: str) -> tuple[str, Cart]:
    first, second = till.variants()[:2]
    cart = Cart()
    cart.add(first, 2000)
    cart.add(second, 1000)
    cart.set_line_discount(1, Discount.percent(100_000))
    with till.store.write() as session:
        parked = park_cart(session, cart=cart, staff_id=till.cashier, label=label, now=_now())
        return parked.id, cart


def _synced(*tills: Till) -> None:
    for till in tills:
        result = till.round()
        assert result.ok and result.push.rejected == 0, result.problem()


def _parked_ids(till: Till) -> set[str]:
    with till.store.read() as session:
        return {p.id for p in list_parked(session)}


def test_a_cart_parked_on_one_till_is_resumed_and_sold_on_the_other(shop, tills):
    one, two = tills
    parked_id, cart = _park(one, "Anna — on hold")
    _synced(one, two)
    with two.store.read() as session:
        [row] = [p for p in list_parked(session) if p.id == parked_id]
        assert (row.label, row.staff_id) == ("Anna — on hold", one.cashier)
        assert session.get(Register, row.register_id).code == "R01"
    with two.store.write() as session:
        resumed = take_parked(session, parked_id, staff_id=two.cashier, now=_now())
        assert resumed == cart
        sold = checkout(session, cart=resumed, tenders=[Tender(TenderMethod.CASH)],
                        staff_id=two.cashier).id
    _synced(two, one)
    assert parked_id not in _parked_ids(one) | _parked_ids(two)
    stored = shop.db.parked_carts.find_one({"_id": parked_id})
    assert (stored["status"], stored["resumed"]["register_code"]) == ("resumed", "R02")
    assert shop.db.orders.find_one({"_id": sold})["register_id"] == stored["resumed"]["register_id"]
    assert one.issues() == [] and two.issues() == []


def test_two_tills_resuming_one_cart_while_apart_the_second_is_told_to_check(shop, tills):
    one, two = tills
    parked_id, cart = _park(one, "Bob")
    _synced(one, two)
    for till in (one, two):  # both take it before either syncs
        with till.store.write() as session:
            assert take_parked(session, parked_id, staff_id=till.cashier, now=_now()) == cart
    _synced(two)  # R02 reaches the server first
    late = one.round()
    assert late.succeeded and (late.push.applied, late.push.rejected) == (0, 1)
    [issue] = [i for i in one.issues() if i.entity_id == parked_id]
    assert issue.kind == "rejected" and issue.entity == "parked_cart"
    assert issue.message.startswith("The server refused resuming the cart “Bob”: already "
                                    "resumed on register R02 at ")
    assert "the cart was taken there too; check the other till" in issue.message
    _synced(one, two)
    assert parked_id not in _parked_ids(one) | _parked_ids(two)  # nothing came back


def test_a_receipt_emailed_from_the_till_arrives_with_its_number_and_total(shop, tills,
                                                                           smtp_sink):
    one, _ = tills
    order_id = one.sell([(one.variants()[0], 3000)])
    address = f"receipt-{uuid.uuid4().hex[:8]}@example.com"
    with one.store.write() as session:
        assert email_receipt(session, order_id=order_id, email=address,
                             staff_id=one.cashier) == f"Receipt queued for {address}"
        order = session.get(Order, order_id)
        number, total = order.number, format_amount(order.total, order.currency)
    _synced(one)
    mail = smtp_sink.wait_for(address, subject_contains=number, timeout=30)
    text = mail_body(mail)
    assert number in text and f"TOTAL {order.currency}" in text
    total_line = next(line for line in text.splitlines() if line.startswith("TOTAL"))
    assert total_line.endswith(total)

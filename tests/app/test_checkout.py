"""Checkout writes a whole sale in one transaction, or nothing at all."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import integrity, inventory
from app.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from app.domain.pricing import Discount
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout, credit_balance
from app.sales.identity import this_register
from db.models import (AuditEntry, Coupon, CouponRedemption, CreditMovement, Order, OrderLine,
                       OutboxEntry, Payment, Register, StockMovement)
from tests.support import catalog

CASH, CARD, CREDIT = TenderMethod.CASH, TenderMethod.CARD, TenderMethod.CREDIT


def _counts(session) -> dict[str, int]:
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Order, OrderLine, Payment, StockMovement, OutboxEntry, AuditEntry,
                          CouponRedemption, CreditMovement)}


@pytest.fixture
def basics(blank_shop):
    with blank_shop.write() as s:
        cashier = catalog.staff(s)
        tea = catalog.product(s, "Tea", 450, stock_milli=10_000, cost=200)
        cake = catalog.product(s, "Cake", 1210, stock_milli=5_000)
        ids = {"cashier": cashier.id, "tea": tea.id, "cake": cake.id}
    return blank_shop, ids


def test_a_sale_writes_every_part_in_one_transaction(basics):
    store, ids = basics
    with store.write() as s:
        cart = Cart()
        cart.add(ids["tea"], 2000)
        cart.add(ids["cake"], 1000)
        order = checkout(s, cart=cart, tenders=[Tender(CASH, 2000), Tender(CASH, 500)],
                         staff_id=ids["cashier"])
        order_id = order.id
    with store.read() as s:
        order = s.get(Order, order_id)
        assert order.number == "S01-R01-000001"
        assert order.status == "delivered" and order.channel == "till"
        assert (order.subtotal, order.total, order.paid_total) == (2110, 2110, 2110)
        # VAT 21 % included: 900 → base round(900/1.21)=744, tax 156; 1210 → base 1000, tax 210
        assert [(l.name, l.quantity_milli, l.tax, l.total) for l in order.lines] == [
            ("Tea", 2000, 156, 900), ("Cake", 1000, 210, 1210)]
        assert order.tax_total == 366
        assert [l.unit_cost for l in order.lines] == [200, 0]
        assert [(p.method, p.amount, p.tendered) for p in order.payments] == [
            ("cash", 2000, 2000), ("cash", 110, 500)]
        assert order.change_given == 390
        assert inventory.level(s, store_id=order.store_id, variant_id=ids["tea"]) == 8_000
        assert inventory.level(s, store_id=order.store_id, variant_id=ids["cake"]) == 4_000
        outbox = s.scalars(select(OutboxEntry)).all()
        assert [(o.kind, o.entity_id) for o in outbox] == [("order.created", order.id)]
        assert '"number":"S01-R01-000001"' in outbox[0].payload
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity_id == order.id))
        assert entry.action == "sale.completed" and entry.actor_id == ids["cashier"]
        assert integrity.check_all(s) == []


def test_order_numbers_are_gap_free_even_when_a_sale_fails(basics):
    store, ids = basics
    for attempt in range(5):
        cart = Cart()
        cart.add(ids["tea"], 1000)
        tender = Tender(CASH, 100) if attempt % 2 else Tender(CASH)  # odd attempts underpay
        try:
            with store.write() as s:
                checkout(s, cart=cart, tenders=[tender], staff_id=ids["cashier"])
        except RuleViolation:
            pass
    with store.read() as s:
        numbers = s.scalars(select(Order.number).order_by(Order.number)).all()
        assert numbers == ["S01-R01-000001", "S01-R01-000002", "S01-R01-000003"]
        assert s.scalar(select(Register.next_order_seq)) == 4
        assert integrity.check_numbering(s) == []


@pytest.mark.parametrize("tenders, message", [
    ([Tender(CASH, 100)], "still due"),
    ([Tender(CARD, 9999)], "more than"),
    ([], "at least one payment"),
    ([Tender(CREDIT)], "needs a customer"),
])
def test_a_refused_sale_leaves_nothing_behind(basics, tenders, message):
    store, ids = basics
    with store.read() as s:
        before = _counts(s)
        level_before = inventory.level(s, store_id=this_register(s)[0].id, variant_id=ids["tea"])
    cart = Cart()
    cart.add(ids["tea"], 1000)
    with pytest.raises(RuleViolation, match=message):
        with store.write() as s:
            checkout(s, cart=cart, tenders=tenders, staff_id=ids["cashier"])
    with store.read() as s:
        assert _counts(s) == before
        assert inventory.level(s, store_id=this_register(s)[0].id, variant_id=ids["tea"]) == level_before
        assert s.scalar(select(Register.next_order_seq)) == 1


def test_an_error_after_the_first_writes_rolls_everything_back(basics, monkeypatch):
    store, ids = basics
    import app.sales.checkout as checkout_module

    def broken_audit(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(checkout_module.audit, "append", broken_audit)
    cart = Cart()
    cart.add(ids["tea"], 1000)
    with store.read() as s:
        before = _counts(s)
    with pytest.raises(OSError):
        with store.write() as s:
            checkout(s, cart=cart, tenders=[Tender(CASH)], staff_id=ids["cashier"])
    with store.read() as s:
        assert _counts(s) == before
        assert s.scalar(select(Register.next_order_seq)) == 1


def test_store_credit_is_spent_from_the_customers_balance(basics):
    store, ids = basics
    with store.write() as s:
        ada = catalog.customer(s)
        s.add(CreditMovement(customer_id=ada.id, amount=500, kind="issue"))
        cart = Cart(customer_id=ada.id)
        cart.add(ids["tea"], 2000)  # 9.00
        with pytest.raises(RuleViolation, match="store credit is 5.00"):
            with s.begin_nested():
                checkout(s, cart=cart, tenders=[Tender(CREDIT, 600), Tender(CASH)],
                         staff_id=ids["cashier"])
        order = checkout(s, cart=cart, tenders=[Tender(CREDIT, 500), Tender(CASH)],
                         staff_id=ids["cashier"])
        assert credit_balance(s, ada.id) == 0
        assert [(p.method, p.amount) for p in order.payments] == [("credit", 500), ("cash", 400)]


def test_coupon_rules_are_enforced_and_redemptions_counted(basics):
    store, ids = basics
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    with store.write() as s:
        s.add(Coupon(code="ONCE", kind="amount", value=100, valid_from=None,
                     valid_to=now + timedelta(days=1), min_spend=500, usage_limit=1,
                     per_customer_limit=None))
        s.add(Coupon(code="OLD", kind="percent", value=100_000, valid_from=None,
                     valid_to=now - timedelta(days=1), min_spend=0, usage_limit=None,
                     per_customer_limit=None))
    def sell(code, qty=2000):
        cart = Cart(coupon_code=code)
        cart.add(ids["tea"], qty)
        with store.write() as s:
            return checkout(s, cart=cart, tenders=[Tender(CASH)], staff_id=ids["cashier"], now=now)

    with pytest.raises(RuleViolation, match="minimum spend"):
        sell("once", qty=1000)  # 4.50 < 5.00
    order = sell("once")
    assert (order.coupon_code, order.coupon_discount_total, order.total) == ("ONCE", 100, 800)
    with pytest.raises(RuleViolation, match="used up"):
        sell("ONCE")
    with pytest.raises(RuleViolation, match="expired"):
        sell("OLD")
    with pytest.raises(NotFound, match="no coupon NOPE"):
        sell("NOPE")
    with pytest.raises(InvalidInput, match="not a coupon code"):
        sell("bad code!")
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(CouponRedemption)) == 1


def test_discounts_over_the_price_are_refused_naming_the_field(basics):
    store, ids = basics
    cart = Cart()
    cart.add(ids["tea"], 1000)
    cart.set_line_discount(0, Discount.amount(451))
    with pytest.raises(InvalidInput) as err:
        with store.write() as s:
            checkout(s, cart=cart, tenders=[Tender(CASH)], staff_id=ids["cashier"])
    assert err.value.field == "lines[0].discount"


def test_archived_items_unknown_staff_and_empty_carts_are_refused(basics):
    store, ids = basics
    with store.write() as s:
        from db.models import Variant
        s.get(Variant, ids["cake"]).archived = True
    cart = Cart()
    cart.add(ids["cake"], 1000)
    for bad_cart, staff_id, message in [(cart, ids["cashier"], "archived"),
                                        (Cart(), ids["cashier"], "empty"),
                                        (cart, "nobody", "unknown or deactivated")]:
        with pytest.raises(DomainError, match=message):
            with store.write() as s:
                checkout(s, cart=bad_cart, tenders=[Tender(CASH)], staff_id=staff_id)


def test_overselling_is_allowed_and_shows_as_negative_stock(basics):
    store, ids = basics
    cart = Cart()
    cart.add(ids["cake"], 7000)  # 5 in stock
    with store.write() as s:
        order = checkout(s, cart=cart, tenders=[Tender(CASH)], staff_id=ids["cashier"])
        assert inventory.level(s, store_id=order.store_id, variant_id=ids["cake"]) == -2000


def test_tax_exclusive_store_adds_every_rate(tmp_path):
    from app.setup import initialise
    from db.engine import LocalStore

    store = LocalStore.open(tmp_path / "us.sqlite3")
    with store.write() as s:
        initialise(s, store_name="Corner Store", currency="USD", prices_include_tax=False)
        cashier = catalog.staff(s)
        soap = catalog.product(s, "Soap", 1000, rates=(("State", 60_000), ("City", 25_000)))
        cart = Cart()
        cart.add(soap.id, 3000)
        order = checkout(s, cart=cart, tenders=[Tender(CASH, 5000)], staff_id=cashier.id)
        assert (order.subtotal, order.tax_total, order.total, order.change_given) == (
            3000, 255, 3255, 1745)
        assert [(t.name, t.tax) for t in order.lines[0].taxes] == [("State", 180), ("City", 75)]
    store.close()

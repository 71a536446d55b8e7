"""The back office's orders without Qt: one list over this till's sales and the server's
orders (filters, order, paging), an order's detail, status moves along the state machine only
(a remote order's as a version-checked order.status naming the staff), refunds (sale:refund,
this till's sales only) and the pick list PDF, rendered and its barcodes scanned back."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from app.back_office.orders.detail import ONLINE_REFUND, load_detail
from app.back_office.orders.fulfilment import book_label, pack, pick_list
from app.back_office.orders.invoicing import WEB_INVOICE, invoice_for
from app.back_office.orders.listing import OrderFilter, OrdersSource
from app.back_office.orders.refunds import refund_order
from app.back_office.orders.status import change_order_status
from app.domain.errors import InvalidInput, InvalidTransition, RuleViolation
from app.printing.documents import DocumentSettings, draw
from app.setup import initialise
from db.engine import LocalStore
from db.models import AuditEntry, Order, OutboxEntry, RemoteOrder
from tests.app.back_office.orders.orders_shop import build, line, pull_online
from tests.support import pdf


@pytest.fixture
def shop(blank_shop):
    return build(blank_shop)


@pytest.fixture(scope="module")
def read_shop(tmp_path_factory):
    """One shop for the tests that only read it."""
    store = LocalStore.open(tmp_path_factory.mktemp("orders") / "tillpoint.sqlite3")
    with store.write() as session:
        initialise(session, store_name="Test Shop", currency="EUR")
    yield build(store)
    store.close()


def listed(shop, **filters) -> list[str]:
    source = OrdersSource(OrderFilter(**filters))
    with shop.store.read() as s:
        count = source.count(s)
        numbers = [row.cells[0] for row in source.rows(s, 0, 50)]
    assert count == len(numbers)
    return numbers


def queued(store) -> list[dict]:
    with store.read() as s:
        return [{"kind": e.kind, **json.loads(e.payload)}
                for e in s.scalars(select(OutboxEntry).where(OutboxEntry.kind == "order.status")
                                   .order_by(OutboxEntry.seq))]


def test_the_list_holds_both_kinds_of_order_and_filters_each(read_shop):
    shop = read_shop
    everything = listed(shop)
    assert set(everything) == {shop.sale_number, "S01-WEB-000042", "S01-WEB-000043"}
    assert everything[-1] == "S01-WEB-000043"  # newest first: the pending one is oldest
    assert listed(shop, channel="online") == ["S01-WEB-000042", "S01-WEB-000043"]
    assert listed(shop, channel="till") == [shop.sale_number]
    assert listed(shop, status="pending") == ["S01-WEB-000043"]
    assert listed(shop, status="Delivered") == [shop.sale_number]
    assert listed(shop, customer="lovelace") == [shop.sale_number]  # a customer of the till
    assert listed(shop, customer="BOB@") == ["S01-WEB-000043"]  # an online buyer's email
    assert set(listed(shop, customer="ada")) == {shop.sale_number, "S01-WEB-000042"}
    assert listed(shop, number="WEB-0000%") == []  # typed text, never a pattern
    assert listed(shop, number="000043") == ["S01-WEB-000043"]
    assert listed(shop, date_from=date(2026, 11, 19), date_to=date(2026, 11, 21)) == [
        "S01-WEB-000043"]
    with pytest.raises(InvalidInput) as bad:
        OrderFilter(status="lost").checked()
    assert bad.value.field == "status"
    with pytest.raises(InvalidInput) as bad:
        OrderFilter(date_from=date(2026, 12, 2), date_to=date(2026, 12, 1)).checked()
    assert bad.value.field == "date_to"


def test_the_list_sorts_and_pages(read_shop):
    shop = read_shop
    source = OrdersSource(order="total", descending=False)
    with shop.store.read() as s:
        totals = [row.cells[5] for row in source.rows(s, 0, 10)]
        assert totals == ["2.50", "15.00", "15.00"]
        by_number = source.with_order("number", False)
        assert [r.cells[0] for r in by_number.rows(s, 1, 1)] == ["S01-WEB-000042"]
        rows = by_number.rows(s, 0, 10)
        assert [r.tone for r in rows if r.cells[0] == "S01-WEB-000042"] == ["waiting"]
    with pytest.raises(InvalidInput):
        source.with_order("customer", True)


def test_the_detail_of_a_till_sale_and_of_an_online_order(read_shop):
    shop = read_shop
    with shop.store.read() as s:
        sale = load_detail(s, shop.sale)
        online = load_detail(s, shop.online)
    assert [(p.label, p.amount) for p in sale.payments] == [("Card VISA •••• 4242", "5.00"),
                                                           ("Cash", "10.00")]
    assert [(l.name, l.quantity, l.returnable_milli) for l in sale.lines] == [
        ("Blue pen", "2", 2000), ("Ink bottle", "1", 1000)]
    assert sale.can_refund and sale.moves == () and not sale.remote
    assert online.remote and online.moves == ("processing", "cancelled")
    assert online.payments[0].label == "Card MASTERCARD •••• 4444"
    assert online.refund_refused == ONLINE_REFUND and online.to_ship
    assert [h.what for h in online.history] == ["new → pending"]
    assert "Ada Shopper" in online.ship_to


def test_status_moves_follow_the_state_machine_and_a_remote_move_is_pushed(shop):
    store, staff = shop.store, shop.staff
    with store.write() as s:
        assert change_order_status(s, order_id=shop.online, target="processing",
                                   staff_id=staff["support"], reason="picking") == "processing"
    [push] = queued(store)
    assert (push["from"], push["to"], push["version"], push["staff_id"], push["reason"]) == (
        "confirmed", "processing", 4, staff["support"], "picking")
    with store.read() as s:
        remote = s.get(RemoteOrder, shop.online)
        assert (remote.status, remote.version, json.loads(remote.data)["status"]) == (
            "processing", 4, "processing")
        detail = load_detail(s, shop.online)
    assert detail.history[-1].what == "confirmed → processing"
    assert detail.moves == ("shipped", "cancelled")

    for target, error in (("delivered", InvalidTransition), ("pending", InvalidTransition)):
        with pytest.raises(error), store.write() as s:
            change_order_status(s, order_id=shop.online, target=target,
                                staff_id=staff["manager"])
    with pytest.raises(RuleViolation) as stale, store.write() as s:
        change_order_status(s, order_id=shop.online, target="cancelled",
                            staff_id=staff["manager"], expected_version=3)
    assert stale.value.field == "version"
    for role in ("stock_clerk", "moderator", "cashier"):  # orders:update is not theirs
        with pytest.raises(RuleViolation) as refused, store.write() as s:
            change_order_status(s, order_id=shop.online, target="cancelled",
                                staff_id=staff[role])
        assert refused.value.field == "staff"
    # a till sale is born delivered: the only way on is a refund
    with pytest.raises(RuleViolation, match="refunding it"), store.write() as s:
        change_order_status(s, order_id=shop.sale, target="refunded",
                            staff_id=staff["manager"])
    assert len(queued(store)) == 1  # nothing refused was queued


def test_pack_then_label_ships_an_online_order(shop):
    store, manager = shop.store, shop.staff["manager"]
    with pytest.raises(RuleViolation, match="not paid yet|pending"), store.write() as s:
        book_label(s, order_id=shop.online_pending, staff_id=manager, weight_grams=500)
    with pytest.raises(RuleViolation, match="not packed"), store.write() as s:
        pack(s, order_id=shop.online_pending, staff_id=manager)
    with store.write() as s:
        assert pack(s, order_id=shop.online, staff_id=manager) == "processing"
    with pytest.raises(RuleViolation, match="already"), store.write() as s:
        pack(s, order_id=shop.online, staff_id=manager)
    with pytest.raises(RuleViolation) as clerk, store.write() as s:
        book_label(s, order_id=shop.online, staff_id=shop.staff["stock_clerk"], weight_grams=500)
    assert clerk.value.field == "staff"
    with store.write() as s:
        shipment_id = book_label(s, order_id=shop.online, staff_id=manager, weight_grams=500)
    from app.shipping import mark_printed

    with store.write() as s:
        mark_printed(s, shipment_id)
        detail = load_detail(s, shop.online)
    assert detail.status == "shipped" and detail.shipments[0].printed
    assert detail.tracking_number == detail.shipments[0].tracking_number
    assert [(p["from"], p["to"]) for p in queued(store)] == [("confirmed", "processing"),
                                                           ("processing", "shipped")]


def test_refunds_need_sale_refund_and_are_for_this_tills_sales(shop):
    store, staff = shop.store, shop.staff
    with pytest.raises(RuleViolation) as support, store.write() as s:
        refund_order(s, order_id=shop.sale, staff_id=staff["support"], lines={1: 1000})
    assert support.value.field == "staff"
    with pytest.raises(RuleViolation) as online, store.write() as s:
        refund_order(s, order_id=shop.online, staff_id=staff["manager"])
    assert online.value.message == ONLINE_REFUND and online.value.field == "order"
    with pytest.raises(RuleViolation) as nothing, store.write() as s:
        refund_order(s, order_id=shop.sale, staff_id=staff["manager"], lines={1: 0})
    assert nothing.value.field == "lines"
    with store.read() as s:
        refunds_before = s.scalar(select(func.count()).select_from(AuditEntry))
    with store.write() as s:
        done = refund_order(s, order_id=shop.sale, staff_id=staff["manager"], lines={1: 1000},
                            reason="broken")
    assert done.amount == 250 and done.cards_pending  # the card is refunded first
    with store.read() as s:
        detail = load_detail(s, shop.sale)
        assert s.scalar(select(func.count()).select_from(AuditEntry)) > refunds_before
        assert s.get(Order, shop.sale).refunded_total == 250
    assert [(r.amount, r.reason) for r in detail.refunds] == [("2.50", "broken")]
    assert "card refund pending" in detail.refunds[0].paid_back
    assert detail.lines[0].returnable_milli == 1000
    assert (detail.history[-1].what, detail.history[-1].reason) == (
        f"refund {done.number}", "broken")


def test_the_pick_list_adds_up_items_over_orders_and_its_barcodes_scan(shop):
    store = shop.store
    other = pull_online(store, shop.store_id, "S01-WEB-000044", status="processing",
                        name="Cy Clist", lines=[line(1, shop.pen, shop.pen_sku, "Blue pen",
                                                     3000, 250)])
    with store.read() as s:
        picked = pick_list(s, [shop.online, other])
        with pytest.raises(RuleViolation) as pending:
            pick_list(s, [shop.online, shop.online_pending])
        with pytest.raises(RuleViolation):
            pick_list(s, [shop.sale])  # handed over at the counter
        with pytest.raises(InvalidInput):
            pick_list(s, [])
        drawn = draw(s, "pick_list", f"{shop.online},{other}", DocumentSettings(paper="A4"))
    assert pending.value.field == "orders" and "S01-WEB-000043" in pending.value.message
    assert [(r.sku, r.quantity_milli, r.orders) for r in picked.rows] == [
        (shop.pen_sku, 5000, ("S01-WEB-000042", "S01-WEB-000044")),
        (shop.ink_sku, 1000, ("S01-WEB-000042",))]
    page = pdf.load(drawn)
    text = page.text(0)
    for expected in ("Pick list", "Blue pen", "Ink bottle", "S01-WEB-000044", "Cy Clist",
                     shop.pen_sku, "5"):
        assert expected in text
    codes = {value for kind, value in pdf.barcodes(page.render(0, 200))}
    assert codes == {shop.pen_code, shop.ink_code}


def test_a_till_sale_is_invoiced_once_and_an_online_order_not_at_all(shop):
    store, staff = shop.store, shop.staff
    with pytest.raises(RuleViolation) as online, store.write() as s:
        invoice_for(s, order_id=shop.online, staff_id=staff["manager"])
    assert online.value.message == WEB_INVOICE
    with pytest.raises(RuleViolation) as support, store.write() as s:
        invoice_for(s, order_id=shop.sale, staff_id=staff["support"])
    assert support.value.field == "staff"
    with store.write() as s:
        first = invoice_for(s, order_id=shop.sale, staff_id=staff["manager"])
    with store.write() as s:
        assert invoice_for(s, order_id=shop.sale, staff_id=staff["manager"]) == first
        detail = load_detail(s, shop.sale)
        online_detail = load_detail(s, shop.online)
        drawn = draw(s, "invoice", first[0], DocumentSettings(paper="A4"))
    assert first[1].startswith("INV-S01-R01-") and detail.invoice == first[1]
    assert online_detail.invoice_refused == WEB_INVOICE and detail.invoice_refused == ""
    assert first[1] in pdf.load(drawn).text(0)

"""Customers in the back office, through the real services over a real local store: the list
searched by name, email and phone digits with each row's orders (this till's and the server's),
a customer's purchase history and credit balance, the GDPR export (everything this till holds,
one JSON file written atomically, refused without customers:gdpr) and the erase (a tombstone,
orders that keep their figures but lose ship-to, printed documents dropped, customer.erase
queued once; edits refused afterwards; nothing written when refused)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app import customers
from app.back_office.customers import gdpr
from app.back_office.customers.detail import customer_detail
from app.back_office.customers.listing import CustomerSource
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from db.models import AuditEntry, Customer, Order, OutboxEntry, PrintJob, RemoteOrder, Shipment
from tests.app.back_office.people.shop import ADDRESS, copy_shop, people_shop

@pytest.fixture(scope="module")
def shop_file(tmp_path_factory):
    return people_shop(tmp_path_factory.mktemp("people") / "tillpoint.sqlite3")


@pytest.fixture
def shop(store, shop_file):
    path, ids = shop_file
    return copy_shop(path, store), ids


def test_the_list_searches_name_email_and_phone_digits_and_counts_every_order(shop):
    store, ids = shop
    with store.read() as s:
        assert CustomerSource().count(s) == 2
        assert [r.cells[0] for r in CustomerSource().with_order("name", True).rows(s, 0, 10)] \
            == ["Charles Babbage", "Ada Lovelace"]
        for text in ("lovelace", "ADA@EX", "0470 12 34", "47012"):
            [row] = CustomerSource(text).rows(s, 0, 10)
            assert row.id == ids["ada"], text
            assert row.cells == ("Ada Lovelace", "ada@example.com", "+32 470 12 34 56", "2",
                                 "2026-11-25"), text
        assert CustomerSource("100%_").count(s) == 0
    with pytest.raises(InvalidInput) as bad:
        CustomerSource().with_order("orders", False)
    assert bad.value.field == "order"


def test_a_customer_erased_between_the_lists_two_reads_is_skipped(shop):
    from sqlalchemy import event, update

    store, ids = shop
    with store.write() as s:
        reads: list[str] = []

        @event.listens_for(s, "do_orm_execute")
        def meanwhile(state) -> None:  # noqa: ANN001 - a sync applied between the reads
            reads.append("read")
            if len(reads) == 2:
                s.execute(update(Customer).where(Customer.id == ids["ada"]).values(erased=True))

        rows = CustomerSource().rows(s, 0, 10)  # this test's copy of the shop
    assert [row.cells[0] for row in rows] == ["Charles Babbage"]


def test_the_detail_shows_both_purchases_what_they_came_to_and_the_credit(shop):
    store, ids = shop
    with store.read() as s:
        detail = customer_detail(s, ids["ada"])
    assert [(p.number, p.here, p.total, p.refunded) for p in detail.purchases] == [
        ("W-000042", False, 1999, 500), (detail.purchases[1].number, True, 5000, 0)]
    assert detail.spent == {"EUR": 1999 - 500 + 5000}
    assert detail.credit_balance == 1500
    with pytest.raises(NotFound), store.read() as s:
        customer_detail(s, "nobody")


def test_the_export_holds_everything_this_till_knows_and_is_refused_without_gdpr(shop, tmp_path):
    store, ids = shop
    out = tmp_path / "exports" / "ada.json"
    for who in ("support", "moderator", "cashier"):
        with pytest.raises(RuleViolation):
            gdpr.export_to_file(store, staff_id=ids[who], customer_id=ids["ada"], path=out)
    assert not out.parent.exists() or not any(out.parent.iterdir())  # no file, no temp file
    gdpr.export_to_file(store, staff_id=ids["manager"], customer_id=ids["ada"], path=out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "/api/v1/customers/" + ids["ada"] + "/export" in data["note"]
    assert data["customer"]["email"] == "ada@example.com"
    [order] = data["orders"]
    assert order["ship_to"] == ADDRESS and order["total"] == 5000
    assert [line["name"] for line in order["lines"]] == ["Desk Lamp"]
    assert [p["method"] for p in order["payments"]] == ["cash"]
    assert order["shipments"][0]["ship_to"] == ADDRESS
    assert data["orders_from_server"][0]["order"]["email"] == "ada@example.com"
    assert [m["amount"] for m in data["credit_movements"]] == [1500]
    assert "customer.created" in {e["action"] for e in data["audit"]}
    assert ids["order"] in {e["entity_id"] for e in data["audit"]}  # the sale's own entries
    assert list(out.parent.iterdir()) == [out]
    with store.read() as s:
        assert s.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc())) \
            == "customer.exported"


def test_erase_anonymises_here_queues_the_server_once_and_refuses_later_edits(shop):
    store, ids = shop
    with store.read() as s:
        before = (s.scalar(select(func.count()).select_from(OutboxEntry)),
                  s.scalar(select(func.count()).select_from(AuditEntry)))
    for who in ("support", "moderator"):  # moderators edit customers but may not erase them
        with pytest.raises(RuleViolation), store.write() as s:
            gdpr.erase_customer(s, staff_id=ids[who], customer_id=ids["ada"])
    with store.read() as s:
        assert s.get(Customer, ids["ada"]).name == "Ada Lovelace"
        assert (s.scalar(select(func.count()).select_from(OutboxEntry)),
                s.scalar(select(func.count()).select_from(AuditEntry))) == before
    from app.printing.queue import PrintQueue

    queue = PrintQueue(store, recover=False)
    pdf = b"%PDF-1.4 kept copy"
    queue.enqueue("file:/tmp", "receipt", ids["order"], pdf)
    queue.enqueue("file:/tmp", "pick_list", f"some-other-order,{ids['order']}", pdf)
    kept = queue.enqueue("file:/tmp", "pick_list", "some-other-order,a-third-one", pdf)
    for _ in range(2):  # the second time: already erased, nothing more
        with store.write() as s:
            gdpr.erase_customer(s, staff_id=ids["manager"], customer_id=ids["ada"])
    with store.read() as s:
        ada = s.get(Customer, ids["ada"])
        assert (ada.name, ada.email, ada.phone, ada.address, ada.erased) == (
            gdpr.ERASED_NAME, None, None, "", True)
        order = s.get(Order, ids["order"])
        assert (order.ship_to, order.total, order.customer_id) == ("", 5000, ids["ada"])
        assert s.scalar(select(Shipment.ship_to)) == ""
        remote = json.loads(s.get(RemoteOrder, "web-1").data)
        assert (remote["email"], remote["shipping_address"], remote["total"]) == (None, None,
                                                                                  1999)
        # her receipt and the pick list naming her order go; a pick list of others stays
        assert s.scalars(select(PrintJob.id)).all() == [kept]
        queued = s.scalars(select(OutboxEntry)).all()
        assert [(e.kind, json.loads(e.payload)) for e in queued] == [
            ("customer.erase", {"id": ids["ada"], "staff_id": ids["manager"]})]
        assert CustomerSource("ada").count(s) == 0
        assert "Ada" not in json.dumps([e.details for e in s.scalars(select(AuditEntry))])
    with pytest.raises(RuleViolation, match="erased"), store.write() as s:
        customers.update_customer(s, staff_id=ids["manager"], customer_id=ids["ada"],
                                  changes={"name": "Ada Byron"})

"""Customers in the back office, through the real services over a real local store: the list
searched by name, email and phone digits with each row's orders (this till's and the server's),
a customer's purchase history and credit balance, the GDPR export (everything this till holds,
one JSON file written atomically, refused without customers:gdpr) and the erase (a tombstone,
orders that keep their figures but lose ship-to, printed documents dropped, customer.erase
queued once; edits refused afterwards; nothing written when refused)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app import customers
from app.back_office.customers import gdpr
from app.back_office.customers.detail import customer_detail
from app.back_office.customers.listing import CustomerSource
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.shipping import HouseCarrier, create_shipment
from db.models import (AuditEntry, CreditMovement, Customer, Order, OutboxEntry, PrintJob,
                       RemoteOrder, Shipment)
from tests.support import catalog

ADDRESS = "Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH"
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory):
    """One shop for the module, copied per test: staff, two customers, Ada's sale shipped to
    her (with a label and its PDF kept), an online order of hers the server showed, credit."""
    from db.engine import LocalStore
    from app.setup import initialise

    path = tmp_path_factory.mktemp("people") / "tillpoint.sqlite3"
    store = LocalStore.open(path)
    ids = {}
    with store.write() as s:
        initialise(s, store_name="Test Shop", currency="EUR")
        for role in ("manager", "moderator", "support", "cashier"):
            ids[role] = catalog.staff(s, role=role).id
        variant = catalog.product(s, "Desk Lamp", 2500, stock_milli=10_000)
        ada = customers.create_customer(s, staff_id=ids["cashier"], name="Ada Lovelace",
                                        email="ada@example.com", phone="+32 470 12 34 56",
                                        address="12 St James's Square")
        customers.create_customer(s, staff_id=ids["cashier"], name="Charles Babbage",
                                  email="charles@example.com")
        ids["ada"] = ada.id
        cart = Cart(customer_id=ada.id)
        cart.add(variant.id, 2000)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                         staff_id=ids["cashier"], ship_to=ADDRESS, now=NOW)
        ids["order"] = order.id
        shipment = create_shipment(s, order.id, weight_grams=900, parcels=1,
                                   service="standard", carrier=HouseCarrier())
        s.add(PrintJob(printer="file:/tmp", kind="label", document_ref=shipment.id,
                       pdf=b"%PDF-1.4 label for Ada", status="done"))
        s.add(RemoteOrder(id="web-1", number="W-000042", channel="online", status="confirmed",
                          version=3, currency="EUR", total=1999,
                          created_at=datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc),
                          data=json.dumps({"id": "web-1", "customer_id": ada.id,
                                           "email": "ada@example.com", "total": 1999,
                                           "shipping_address": {"name": "Ada Lovelace"},
                                           "refunded_total": 500})))
        s.add(CreditMovement(customer_id=ada.id, amount=1500, kind="issue"))
        s.query(OutboxEntry).delete()  # what the till pushed long ago
    store.close()
    return path, ids


@pytest.fixture
def shop(store, shop_file):
    import sqlite3

    path, ids = shop_file
    source = sqlite3.connect(path)
    target = store.writer.raw_connection()
    try:
        source.backup(target.driver_connection)
    finally:
        target.close()
        source.close()
    store.reader.dispose()
    return store, ids


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
        assert s.scalar(select(func.count()).select_from(PrintJob)) == 0
        queued = s.scalars(select(OutboxEntry)).all()
        assert [(e.kind, json.loads(e.payload)) for e in queued] == [
            ("customer.erase", {"id": ids["ada"], "staff_id": ids["manager"]})]
        assert CustomerSource("ada").count(s) == 0
        assert "Ada" not in json.dumps([e.details for e in s.scalars(select(AuditEntry))])
    with pytest.raises(RuleViolation, match="erased"), store.write() as s:
        customers.update_customer(s, staff_id=ids["manager"], customer_id=ids["ada"],
                                  changes={"name": "Ada Byron"})

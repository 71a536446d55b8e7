"""Orders the server showed this till (online orders, other registers' sales to ship), shipped
from the till: pulled through the real store-feed apply, booked with the built-in carrier from
the server's ``shipping_address``, and shipped when the label is printed — the till's copy
moves along the state machine and ``order.status`` (version-chained, the last with the
tracking number) asks the server to do the same. What cannot ship is refused, naming its
field, and writes nothing; a conflict takes the server's view, and a reprint after it asks
again."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.printing.label import label_data, render_label
from app.shipping import (HouseCarrier, cancel_shipment, create_shipment, latest_shipment,
                          mark_printed)
from app.sync_issues import list_issues
from db.models import AuditEntry, OutboxEntry, RemoteOrder, Shipment, Store
from sync.apply import apply_entity
from sync.resolution import record_outcome
from tests.support import pdf

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)
ADDRESS = {"name": "Ada Shopper", "line1": "1 High Street", "line2": "Flat 2",
           "city": "Leeds", "postcode": "LS1 1AA", "region": "", "country": "GB",
           "phone": ""}


@pytest.fixture
def till(blank_shop):
    with blank_shop.write() as s:
        store = s.scalar(select(Store))
        store.name, store.address = "Corner Shop", "1 High Street\nBristol BS1 1AA"
        store_id = store.id
    return blank_shop, store_id


def pull(store, store_id: str, number: str = "S01-WEB-000042", *, status: str = "confirmed",
         version: int = 3, channel: str = "online", address: dict | None = ADDRESS,
         order_id: str | None = None) -> str:
    """The server's view of an order, applied as the store feed applies it."""
    order_id = order_id or f"web-{number}"
    view = {"id": order_id, "number": number, "store_id": store_id, "channel": channel,
            "status": status, "version": version, "currency": "EUR", "total": 2598,
            "lines": [], "payments": [], "email": "ada@example.com",
            "shipping_address": address, "created_at": NOW.isoformat()}
    with store.write() as s:
        assert apply_entity(s, "order", order_id, "upsert", view, store_id=store_id,
                            currency="EUR")
    return order_id


def ship(store, ref: str, **figures) -> Shipment:
    figures = {"weight_grams": 900, "parcels": 1, "service": "standard", **figures}
    with store.write() as s:
        shipment = create_shipment(s, ref, carrier=HouseCarrier(), now=NOW, **figures)
        s.expunge(shipment)
        return shipment


def queued(store) -> list[dict]:
    with store.read() as s:
        return [{"kind": e.kind, "entity_id": e.entity_id, **json.loads(e.payload)}
                for e in s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))]


def remote(store, order_id: str) -> tuple[str, int, dict]:
    with store.read() as s:
        row = s.get(RemoteOrder, order_id)
        return row.status, row.version, json.loads(row.data)


def rows(store) -> dict[str, int]:
    with store.read() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Shipment, OutboxEntry, AuditEntry)}


def test_a_paid_online_order_is_labelled_from_its_address_and_the_print_ships_it(till):
    store, store_id = till
    order_id = pull(store, store_id)
    shipment = ship(store, "S01-WEB-000042")
    assert (shipment.order_id, shipment.remote_order_id) == (None, order_id)
    assert shipment.order_number == "S01-WEB-000042"
    assert shipment.ship_to.splitlines() == ["Ada Shopper", "1 High Street", "Flat 2",
                                             "Leeds LS1 1AA", "GB"]
    assert queued(store) == []  # nothing left the shop yet
    with store.read() as s:
        drawn = render_label(label_data(s, shipment.id))
    page = pdf.load(drawn)
    codes = dict(pdf.barcodes(page.render(0, pdf.THERMAL_DPI)))
    assert codes == {"Code128": shipment.tracking_number, "QRCode": "S01-WEB-000042"}
    assert "Ada Shopper" in page.text(0) and "Leeds LS1 1AA" in page.text(0)
    assert "Corner Shop" in page.text(0)  # the sender: this till's shop

    with store.write() as s:
        mark_printed(s, shipment.id, NOW)
    status, version, view = remote(store, order_id)
    assert (status, version) == ("shipped", 5)  # confirmed → processing → shipped
    assert (view["status"], view["version"], view["tracking_number"]) == (
        "shipped", 5, shipment.tracking_number)
    moves = queued(store)
    assert [(m["kind"], m["from"], m["to"], m["version"]) for m in moves] == [
        ("order.status", "confirmed", "processing", 4),
        ("order.status", "processing", "shipped", 5)]
    assert "tracking_number" not in moves[0]
    assert (moves[1]["tracking_number"], moves[1]["carrier"], moves[1]["parcels"]) == (
        shipment.tracking_number, "house", 1)
    # a reprint ships nothing again
    with store.write() as s:
        mark_printed(s, shipment.id, NOW)
    assert len(queued(store)) == 2
    with store.read() as s:
        assert latest_shipment(s, order_id).id == shipment.id
    with pytest.raises(RuleViolation, match="shipped already"):
        ship(store, order_id)


def test_an_order_being_picked_ships_in_one_step(till):
    store, store_id = till
    order_id = pull(store, store_id, status="processing", version=4)
    shipment = ship(store, order_id, parcels=2, weight_grams=3000, service="express")
    with store.write() as s:
        mark_printed(s, shipment.id, NOW)
    [move] = queued(store)
    assert (move["from"], move["to"], move["version"], move["parcels"]) == (
        "processing", "shipped", 5, 2)
    assert remote(store, order_id)[:2] == ("shipped", 5)


@pytest.mark.parametrize(("country", "region", "town"), [
    ("BE", "", "1000 Brussels"), ("US", "DC", "Brussels DC 1000"), ("", "", "1000 Brussels"),
    ("IT", "RM", "1000 Brussels RM")])
def test_the_town_and_postcode_are_written_as_the_country_writes_them(till, country, region,
                                                                      town):
    store, store_id = till
    address = {**ADDRESS, "line2": "", "city": "Brussels", "postcode": "1000",
               "country": country, "region": region}
    order_id = pull(store, store_id, address=address)
    lines = ship(store, order_id).ship_to.splitlines()
    assert lines == ["Ada Shopper", "1 High Street", town] + ([country] if country else [])


def test_another_registers_sale_to_ship_keeps_its_typed_lines(till):
    store, store_id = till
    # as the server stores a till's typed address (server.orders.till._ship_to)
    address = {"name": "Bob Builder", "line1": "Unit 4", "line2": "Mill Lane, Old Town",
               "city": "Bath BA1 1AA", "postcode": "", "region": "", "country": "",
               "phone": ""}
    order_id = pull(store, store_id, "S01-R02-000007", status="processing", channel="till",
                    address=address)
    assert ship(store, order_id).ship_to.splitlines() == [
        "Bob Builder", "Unit 4", "Mill Lane", "Old Town", "Bath BA1 1AA"]
    # a typed line that held a comma itself: splitting would overflow the label, so kept whole
    crowded = {**address, "line2": "Mill Lane, Old Town, Bathwick, Bath Spa, Somerset"}
    other = pull(store, store_id, "S01-R02-000008", status="processing", channel="till",
                 address=crowded)
    assert ship(store, other).ship_to.splitlines() == [
        "Bob Builder", "Unit 4", "Mill Lane, Old Town, Bathwick, Bath Spa, Somerset",
        "Bath BA1 1AA"]


def test_two_tills_labelling_one_online_order_never_make_the_same_number(till, tmp_path):
    """Any till of the store may label an online order: the labelling register's code is in
    the number, so a second till's parcel is a different parcel to the server, not a replay."""
    from app.sales.identity import this_register

    store, store_id = till
    order_id = pull(store, store_id)
    first = ship(store, order_id)
    with store.read() as s:
        register = this_register(s)[1].code
    assert first.tracking_number.startswith(f"TPS01WEB000042{register}01")
    with store.write() as s:
        cancel_shipment(s, first.id, now=NOW)
        this_register(s)[1].code = "R09"  # the same order, labelled at another register
    assert ship(store, order_id).tracking_number.startswith("TPS01WEB000042R0902")


@pytest.mark.parametrize(("status", "address", "field", "message"), [
    ("pending", ADDRESS, "order", "not paid yet"),
    ("cancelled", ADDRESS, "order", "is cancelled: it cannot be shipped"),
    ("delivered", ADDRESS, "order", "is delivered: it cannot be shipped"),
    ("shipped", ADDRESS, "order", "shipped already"),
    ("confirmed", None, "order", "has no shipping address"),
    ("confirmed", {**ADDRESS, "name": ""}, "ship_to", "address has no name"),
    ("confirmed", {"name": "Ada", "country": "GB"}, "ship_to", "address has no street"),
    ("confirmed", {**ADDRESS, "city": "", "postcode": ""}, "ship_to", "no town or postcode"),
])
def test_what_cannot_ship_is_refused_and_writes_nothing(till, status, address, field, message):
    store, store_id = till
    order_id = pull(store, store_id, status=status, address=address)
    before = rows(store)
    with pytest.raises((RuleViolation, InvalidInput), match=message) as refused:
        ship(store, order_id)
    assert refused.value.field == field
    assert rows(store) == before


def test_an_address_the_label_cannot_hold_can_be_given_instead(till):
    store, store_id = till
    # as long as the web shop lets each field be, all of them
    long = {**ADDRESS, "name": "Ada " + "Shopper-Lovelace " * 11, "line1": "Flat 9 " + "Long "
            * 38, "line2": "Building " * 22, "city": "Leeds " * 16, "postcode": "LS1 1AA",
            "region": "West Yorkshire " * 6}
    order_id = pull(store, store_id, address=long)
    with pytest.raises(InvalidInput, match="characters long") as refused:
        ship(store, order_id)
    assert refused.value.field == "ship_to"
    shipment = ship(store, order_id, ship_to="Ada Shopper, Flat 9 Long House, Leeds LS1 1AA")
    assert shipment.ship_to.splitlines() == ["Ada Shopper", "Flat 9 Long House", "Leeds LS1 1AA"]
    with pytest.raises(InvalidInput, match="needs a name and an address") as refused:
        ship(store, pull(store, store_id, "S01-WEB-000043"), ship_to="Ada")
    assert refused.value.field == "ship_to"


def test_an_unknown_order_is_not_found(till):
    store, _ = till
    with pytest.raises(NotFound, match="no order S01-WEB-999999"):
        ship(store, "S01-WEB-999999")


def test_a_cancelled_label_gives_its_order_back_and_its_number_is_never_reused(till):
    store, store_id = till
    order_id = pull(store, store_id)
    first = ship(store, order_id)
    with store.write() as s:
        cancel_shipment(s, first.id, now=NOW)
    second = ship(store, order_id)
    assert second.tracking_number != first.tracking_number
    assert queued(store) == []


def test_a_conflict_takes_the_servers_view_drops_the_next_step_and_a_reprint_asks_again(till):
    store, store_id = till
    order_id = pull(store, store_id)
    shipment = ship(store, order_id)
    with store.write() as s:
        mark_printed(s, shipment.id, NOW)
    # the server changed the order meanwhile (a payment note: still confirmed, version 4)
    current = {"id": order_id, "number": "S01-WEB-000042", "store_id": store_id,
               "channel": "online", "status": "confirmed", "version": 4, "currency": "EUR",
               "total": 2598, "shipping_address": ADDRESS}
    with store.write() as s:
        first = s.scalar(select(OutboxEntry).order_by(OutboxEntry.seq).limit(1))
        record_outcome(s, first, {"id": first.mutation_id, "status": "conflict",
                                  "current": current})
        s.delete(first)
    assert remote(store, order_id)[:2] == ("confirmed", 4)
    assert queued(store) == []  # the shipping step made on top of it is not kept either
    with store.read() as s:
        messages = [i["message"] for i in list_issues(s)]
    assert len(messages) == 2 and all("S01-WEB-000042" in m and "not kept" in m
                                      for m in messages)
    # the parcel is labelled: printing its label again asks the server once more
    with store.write() as s:
        mark_printed(s, shipment.id, NOW)
    assert [(m["from"], m["to"], m["version"]) for m in queued(store)] == [
        ("confirmed", "processing", 5), ("processing", "shipped", 6)]
    with store.write() as s:
        mark_printed(s, shipment.id, NOW)  # and not twice while it waits
    assert len(queued(store)) == 2


def test_a_refused_shipping_puts_the_order_back_as_it_was(till):
    store, store_id = till
    order_id = pull(store, store_id, status="processing", version=4)
    shipment = ship(store, order_id)
    with store.write() as s:
        mark_printed(s, shipment.id, NOW)
        entry = s.scalar(select(OutboxEntry))
        record_outcome(s, entry, {"id": entry.mutation_id, "status": "rejected",
                                  "reason": "payload.to: an order cannot go from processing "
                                            "to shipped"})
        s.delete(entry)
    status, version, view = remote(store, order_id)
    assert (status, version, view["status"], view["version"]) == ("processing", 4,
                                                                   "processing", 4)
    assert "tracking_number" not in view
    with store.read() as s:
        [issue] = list_issues(s)
    assert issue["message"].startswith("The server refused moving order S01-WEB-000042 to "
                                       "shipped") and issue["message"].endswith("undone here")
    # the label is on the parcel: printing it again asks once more
    with store.write() as s:
        mark_printed(s, shipment.id, NOW)
    assert [(m["from"], m["to"], m["version"]) for m in queued(store)] == [
        ("processing", "shipped", 5)]


def test_a_pull_never_puts_back_an_older_view_of_an_order_the_till_moved(till):
    store, store_id = till
    order_id = pull(store, store_id, status="processing", version=4)
    shipment = ship(store, order_id)
    with store.write() as s:
        mark_printed(s, shipment.id, NOW)
    pull(store, store_id, status="processing", version=4)  # a page from before the push
    assert remote(store, order_id)[:2] == ("shipped", 5)
    pull(store, store_id, status="delivered", version=6)  # newer: the server's
    assert remote(store, order_id)[:2] == ("delivered", 6)


def test_a_label_printed_after_the_order_was_cancelled_ships_nothing(till):
    store, store_id = till
    order_id = pull(store, store_id)
    shipment = ship(store, order_id)
    pull(store, store_id, status="cancelled", version=4)
    with store.write() as s, pytest.raises(RuleViolation, match="is cancelled"):
        mark_printed(s, shipment.id, NOW)
    assert queued(store) == []
    with store.read() as s:
        assert s.get(Shipment, shipment.id).printed_at is None


def test_shipments_made_before_remote_orders_keep_their_order_through_the_migration(till):
    """0007 rebuilds ``shipments``: a till sale's shipment keeps everything and gains its
    order's number; going back to 0006 keeps it and drops the remote orders' shipments, which
    the older schema cannot hold."""
    from alembic import command

    from app.domain.tenders import TenderMethod
    from app.sales.cart import Cart
    from app.sales.checkout import Tender, checkout
    from db.engine import LocalStore, alembic_config
    from tests.support import catalog

    store, store_id = till
    with store.write() as s:
        cashier = catalog.staff(s).id
        lamp = catalog.product(s, "Lamp", 2500, stock_milli=5_000).id
        cart = Cart()
        cart.add(lamp, 1000)
        sale = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier,
                        ship_to="Ada Lovelace, 12 St James's Square, London SW1Y 4JH", now=NOW)
        number = sale.number
    local = ship(store, number)
    ship(store, pull(store, store_id))
    path = store.path
    store.close()
    opened = LocalStore.open(path)
    engine = opened.writer
    command.downgrade(alembic_config(engine), "0006")
    with engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT id, order_id, tracking_number FROM shipments").all()
    assert kept == [(local.id, local.order_id, local.tracking_number)]
    opened.close()
    reopened = LocalStore.open(path)  # migrates to head again
    try:
        with reopened.read() as s:
            [again] = s.scalars(select(Shipment)).all()
            assert (again.id, again.order_id, again.remote_order_id, again.order_number,
                    again.ship_to, again.weight_grams) == (
                local.id, local.order_id, None, number, local.ship_to, local.weight_grams)
    finally:
        reopened.close()

"""Sales sent to the customer: born ``processing`` with the address they go to, booked with the
built-in carrier (its own tracking numbers, with a check digit), shipped once when the label
is printed, and the server told through the outbox. Whatever is refused names its field and
writes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest
from sqlalchemy import func, select

import main
from app.domain.barcodes import in_store_ean13
from app.domain.errors import InvalidInput, InvalidTransition, NotFound, RuleViolation
from app.domain.tenders import TenderMethod
from app.orders import change_status
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.shipping import (HouseCarrier, cancel_shipment, check_digit, create_shipment,
                          is_valid_tracking, latest_shipment, mark_printed)
from app.shipping.address import MAX_LINE, MAX_LINES, address_lines
from db.models import AuditEntry, Order, OutboxEntry, Shipment, Store
from tests.support import catalog

ADDRESS = "Ada Lovelace, 12 St James's Square, London SW1Y 4JH"
NOW = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)


@pytest.fixture
def shop_to_ship(blank_shop):
    with blank_shop.write() as s:
        store = s.scalar(select(Store))
        store.name, store.address = "Corner Shop", "1 High Street\nBristol BS1 1AA"
        ids = {"cashier": catalog.staff(s).id, "manager": catalog.staff(s, role="manager").id,
               "lamp": catalog.product(s, "Lamp", 2500, stock_milli=10_000).id}
    return blank_shop, ids


def sell(store, ids, *, ship_to: str | None = ADDRESS) -> str:
    with store.write() as s:
        cart = Cart()
        cart.add(ids["lamp"], 1000)
        return checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                        staff_id=ids["cashier"], ship_to=ship_to, now=NOW).id


def ship(store, order_id: str, **figures) -> Shipment:
    figures = {"weight_grams": 2350, "parcels": 2, "service": "express", **figures}
    with store.write() as s:
        shipment = create_shipment(s, order_id, carrier=HouseCarrier(), now=NOW, **figures)
        s.expunge(shipment)
        return shipment


def counts(store) -> dict[str, int]:
    with store.read() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Order, Shipment, OutboxEntry, AuditEntry)}


def outbox(store, kind: str) -> list[dict]:
    with store.read() as s:
        return [json.loads(p) for p in s.scalars(select(OutboxEntry.payload)
                                                 .where(OutboxEntry.kind == kind)
                                                 .order_by(OutboxEntry.seq))]


def test_a_sale_to_ship_waits_in_processing_and_its_printed_label_ships_it_once(shop_to_ship):
    store, ids = shop_to_ship
    order_id = sell(store, ids)
    with store.read() as s:
        order = s.get(Order, order_id)
        assert (order.status, order.fulfilment) == ("processing", "ship")
        assert order.ship_to == "Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH"
    [created] = outbox(store, "order.created")
    assert (created["status"], created["fulfilment"]) == ("processing", "ship")
    assert created["ship_to"].splitlines()[0] == "Ada Lovelace"

    shipment = ship(store, order_id)
    assert shipment.tracking_number == "TPS01R0100000101" + check_digit("TPS01R0100000101")
    assert is_valid_tracking(shipment.tracking_number)
    assert (shipment.carrier, shipment.service, shipment.weight_grams, shipment.parcels) == (
        "house", "express", 2350, 2)
    assert shipment.ship_to.splitlines() == ["Ada Lovelace", "12 St James's Square",
                                             "London SW1Y 4JH"]
    assert outbox(store, "order.shipped") == []  # nothing has left the shop yet
    # the same click again is the label already waiting; other figures wait for a cancel
    assert ship(store, order_id).id == shipment.id
    with pytest.raises(RuleViolation, match="already has a label waiting") as err:
        ship(store, order_id, weight_grams=2400)
    assert err.value.field == "order"

    with store.write() as s:
        mark_printed(s, shipment.id, NOW + timedelta(minutes=5))
    with store.read() as s:
        order = s.get(Order, order_id)
        assert (order.status, order.version) == ("shipped", 2)
        assert s.get(Shipment, shipment.id).printed_at == NOW + timedelta(minutes=5)
        assert latest_shipment(s, order.number).id == shipment.id
    [pushed] = outbox(store, "order.shipped")
    assert pushed == {"order_id": order_id, "number": "S01-R01-000001", "from": "processing",
                      "version": 2, "shipment_id": shipment.id, "carrier": "house",
                      "service": "express", "tracking_number": shipment.tracking_number,
                      "parcels": 2, "weight_grams": 2350,
                      "shipped_at": (NOW + timedelta(minutes=5)).isoformat()}
    before = counts(store)
    with store.write() as s:  # a reprint finds it printed: once
        mark_printed(s, shipment.id, NOW + timedelta(hours=1))
    assert counts(store) == before
    with store.read() as s:
        assert s.get(Shipment, shipment.id).printed_at == NOW + timedelta(minutes=5)
        moved = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == order_id)
                          .order_by(AuditEntry.seq)).all()
        assert moved == ["sale.completed", "shipment.created", "order.status_changed"]
    with pytest.raises(RuleViolation, match="shipped already"):
        ship(store, order_id)


def test_house_tracking_numbers_are_unique_per_order_and_catch_typing_errors(shop_to_ship):
    store, ids = shop_to_ship
    numbers = [ship(store, sell(store, ids), parcels=1, weight_grams=900).tracking_number
               for _ in range(3)]
    assert [n[:-1] for n in numbers] == [f"TPS01R01{seq:06d}01" for seq in (1, 2, 3)]

    def luhn_ok(number: str) -> bool:  # written out the textbook way, not the module's
        digits = [int(d) for d in "".join(str(int(ch, 36)) for ch in number)]
        odd = sum(digits[-1::-2])
        even = sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
        return (odd + even) % 10 == 0

    for number in numbers:
        assert luhn_ok(number) and is_valid_tracking(number)
        for i, digit in product(range(len(number)), "0123456789"):
            typo = number[:i] + digit + number[i + 1:]
            if typo != number and number[i].isdigit():
                assert not is_valid_tracking(typo), typo  # every single wrong digit
        for i in range(len(number) - 1):  # swapped neighbours (Luhn misses only 09 ↔ 90)
            a, b = number[i], number[i + 1]
            if a.isdigit() and b.isdigit() and a != b and {a, b} != {"0", "9"}:
                assert not is_valid_tracking(number[:i] + b + a + number[i + 2:])
    assert not is_valid_tracking("") and not is_valid_tracking("TP-1")


def test_a_cancelled_label_frees_its_order_and_a_printed_one_cannot_be_cancelled(shop_to_ship):
    store, ids = shop_to_ship
    order_id = sell(store, ids)
    first = ship(store, order_id)
    with store.write() as s:
        cancel_shipment(s, first.id, staff_id=ids["manager"])
    second = ship(store, order_id, weight_grams=2400)
    # the cancelled label may be stuck on a parcel already: its number is never reissued
    assert second.tracking_number == "TPS01R0100000102" + check_digit("TPS01R0100000102")
    with store.write() as s:
        cancel_shipment(s, second.id)
    with pytest.raises(ZeroDivisionError):  # rolled back, it was never printed: no number kept
        with store.write() as s:
            create_shipment(s, order_id, carrier=HouseCarrier(), weight_grams=2400, parcels=2,
                            service="express")
            raise ZeroDivisionError  # e.g. the till died before the commit
    second = ship(store, order_id, weight_grams=2400)
    assert second.tracking_number == "TPS01R0100000103" + check_digit("TPS01R0100000103")
    with store.write() as s:
        mark_printed(s, second.id, NOW)
    with pytest.raises(RuleViolation, match="is printed") as err:
        with store.write() as s:
            cancel_shipment(s, second.id)
    assert err.value.field == "shipment"
    with pytest.raises(NotFound):
        with store.write() as s:
            mark_printed(s, first.id, NOW)


REFUSED_FIGURES = [
    ({"weight_grams": 0}, "weight_grams"), ({"weight_grams": -5}, "weight_grams"),
    ({"weight_grams": 1.5}, "weight_grams"), ({"weight_grams": True}, "weight_grams"),
    ({"weight_grams": "900"}, "weight_grams"),
    ({"weight_grams": 40_001, "parcels": 2}, "weight_grams"),  # express: 20 kg a parcel
    ({"parcels": 0}, "parcels"), ({"parcels": 21}, "parcels"), ({"parcels": "2"}, "parcels"),
    ({"service": "overnight"}, "service"), ({"service": None}, "service"),
]
REFUSED_ADDRESSES = [
    ("Ada Lovelace", "needs a name and an address"),
    (" , ,\n", "needs a name and an address"),
    (", ".join(f"line {n}" for n in range(MAX_LINES + 1)), f"at most {MAX_LINES}"),
    (f"Ada, {'x' * (MAX_LINE + 1)}, London", f"at most {MAX_LINE}"),
    (42, "must be text"),
]


def test_a_refused_weight_parcel_count_or_service_names_its_field_and_writes_nothing(
        shop_to_ship):
    store, ids = shop_to_ship
    order_id = sell(store, ids)
    before = counts(store)
    for figures, field in REFUSED_FIGURES:
        with pytest.raises(InvalidInput) as err:
            ship(store, order_id, **figures)
        assert err.value.field == field, figures
        assert counts(store) == before, figures
    # heavy is fine within the service's limit
    shipment = ship(store, order_id, service="standard", parcels=3, weight_grams=90_000)
    assert (shipment.service, shipment.weight_grams) == ("standard", 90_000)


def test_a_refused_address_names_its_field_and_records_no_sale(shop_to_ship):
    store, ids = shop_to_ship
    before = counts(store)
    for ship_to, message in REFUSED_ADDRESSES:
        with pytest.raises(InvalidInput, match=message) as err:
            sell(store, ids, ship_to=ship_to)
        assert err.value.field == "ship_to"
        assert counts(store) == before, ship_to


def test_addresses_are_cleaned_and_may_come_on_several_lines():
    assert address_lines("  Ada   Lovelace \r\n\n12 St James's Square, flat 2\nLondon\t") == (
        "Ada Lovelace", "12 St James's Square, flat 2", "London")
    assert address_lines("Ada,\x07 12 Square ,London") == ("Ada", "12 Square", "London")


def test_orders_not_to_ship_are_refused(shop_to_ship):
    store, ids = shop_to_ship
    collected = sell(store, ids, ship_to=None)
    with store.read() as s:
        assert (s.get(Order, collected).status, s.get(Order, collected).fulfilment) == (
            "delivered", "collect")
    with pytest.raises(RuleViolation, match="handed over at the counter") as err:
        ship(store, collected)
    assert err.value.field == "order"
    with pytest.raises(NotFound):
        ship(store, "S09-R09-000999")
    # cancelled before it left: nothing to ship, and a label made before cannot ship it
    waiting = sell(store, ids)
    shipment = ship(store, waiting)
    with store.write() as s:
        change_status(s, order_ref=waiting, target="cancelled", staff_id=ids["manager"],
                      reason="customer changed their mind")
    with pytest.raises(RuleViolation, match="is cancelled"):
        ship(store, waiting)
    before = counts(store)
    with pytest.raises(InvalidTransition):
        with store.write() as s:
            mark_printed(s, shipment.id, NOW)
    assert counts(store) == before
    with store.read() as s:
        assert s.get(Shipment, shipment.id).printed_at is None


def test_tillpoint_sale_ship_to_records_a_sale_to_ship(shop, tmp_path, capsys):
    pen = in_store_ean13(1)
    code = main.main(["--data-dir", str(tmp_path), "sale", "--item", pen, "--pay", "cash",
                      "--ship-to", ADDRESS])
    out, err = capsys.readouterr()
    assert code == 0, err
    order = json.loads(out)
    assert (order["status"], order["fulfilment"]) == ("processing", "ship")
    assert order["ship_to"].splitlines() == ["Ada Lovelace", "12 St James's Square",
                                             "London SW1Y 4JH"]
    code = main.main(["--data-dir", str(tmp_path), "sale", "--item", pen, "--pay", "cash",
                      "--ship-to", "Ada"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("tillpoint: ship_to: needs a name and an address")
    with shop.read() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1

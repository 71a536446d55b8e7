"""Receiving a supplier's delivery: lines by barcode or SKU, received in parts (receipt
movements, over and short per line), unannounced items, closing; bad input and refusals
write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.back_office.stock import deliveries
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from db.models import Delivery, Variant
from tests.support import catalog


def _sku(room, variant_id):
    with room.store.read() as s:
        return s.get(Variant, variant_id).sku


def test_a_delivery_received_in_two_parts_shows_over_and_short_and_closes(room):
    with room.store.write() as s:
        delivery = deliveries.create_delivery(
            s, staff_id=room.clerk, supplier="Acme Ceramics", reference="DN-1042",
            lines=[(room.mug_barcode, "6"), (_sku(room, room.cheese), "2.5"),
                   (room.mug_barcode, "4")])
        delivery_id = delivery.id
    with room.store.read() as s:
        view = deliveries.delivery_view(s, delivery_id)
        mug_line = deliveries.line_for_code(s, delivery_id, room.mug_barcode)
    assert [(line.sku, line.expected_milli) for line in view.lines] == [
        (_sku(room, room.mug), 10_000), (_sku(room, room.cheese), 2_500)]
    cheese_line = view.lines[1].id
    with room.store.write() as s:
        first = deliveries.receive(s, staff_id=room.clerk, delivery_id=delivery_id,
                                   received={mug_line: "7", cheese_line: ""})
    assert len(first) == 1 and room.level(room.mug) == 17_000
    with room.store.write() as s:
        deliveries.receive(s, staff_id=room.clerk, delivery_id=delivery_id,
                           received={mug_line: "4", cheese_line: "2.480"}, close=True)
    with room.store.read() as s:
        view = deliveries.delivery_view(s, delivery_id)
        listed = deliveries.DeliveriesSource(closed_too=True)
        assert listed.count(s) == 1 and deliveries.DeliveriesSource().count(s) == 0
    assert view.status == "closed"
    assert [line.difference for line in view.lines] == ["over 1", "short 0.02 kg"]
    assert room.level(room.mug) == 21_000 and room.level(room.cheese) == 2_480
    sent = room.outbox("stock.movement")
    assert [(m["kind"], m["quantity_milli"]) for m in sent] == [
        ("receipt", 7_000), ("receipt", 4_000), ("receipt", 2_480)]
    assert sent[0]["reason"] == "delivery Acme Ceramics DN-1042"
    with pytest.raises(RuleViolation, match="closed"), room.store.write() as s:
        deliveries.receive(s, staff_id=room.clerk, delivery_id=delivery_id,
                           received={mug_line: "1"})


def test_an_unannounced_item_is_received_on_a_line_expecting_nothing(room):
    with room.store.write() as s:
        delivery_id = deliveries.create_delivery(
            s, staff_id=room.clerk, supplier="Acme", lines=[(room.mug_barcode, "2")]).id
    with room.store.write() as s:
        deliveries.receive(s, staff_id=room.clerk, delivery_id=delivery_id, received={},
                           extra=[(_sku(room, room.cheese), "1.000")])
        teapot = catalog.product(s, "Teapot", 2500).sku
    with room.store.read() as s:
        view = deliveries.delivery_view(s, delivery_id)
        with pytest.raises(NotFound, match="Teapot is not on this delivery"):
            deliveries.line_for_code(s, delivery_id, teapot)
    assert [(line.expected_milli, line.received_milli, line.difference)
            for line in view.lines] == [(2_000, 0, "short 2"), (0, 1_000, "over 1 kg")]


BAD_NOTES = [
    ("  ", [("MUG", "1")], "supplier"), ("Acme", [], "lines"),
    ("Acme", [("NOPE-404", "1")], "lines[1].code"), ("Acme", [("MUG", "1.5")], "lines[1].quantity"),
    ("Acme", [("MUG", "2"), ("MUG", "-1")], "lines[2].quantity"),
]


def test_a_bad_delivery_note_names_the_line_and_keeps_nothing(room):
    for supplier, lines, field in BAD_NOTES:
        lines = [(room.mug_barcode if code == "MUG" else code, q) for code, q in lines]
        with pytest.raises((InvalidInput, NotFound)) as raised, room.store.write() as s:
            deliveries.create_delivery(s, staff_id=room.clerk, supplier=supplier, lines=lines)
        assert raised.value.field == field, (supplier, lines)
    with room.store.read() as s:
        assert s.scalars(select(Delivery)).all() == []


def test_a_bad_receipt_or_a_support_user_receives_nothing(room):
    with room.store.write() as s:
        delivery_id = deliveries.create_delivery(
            s, staff_id=room.clerk, supplier="Acme", lines=[(room.mug_barcode, "2")]).id
        line_id = deliveries.delivery_view(s, delivery_id).lines[0].id
    before = room.written()
    for staff, received, error in ((room.clerk, {line_id: "0.5"}, InvalidInput),
                                   (room.clerk, {"nope": "1"}, NotFound),
                                   (room.clerk, {}, InvalidInput),
                                   (room.support, {line_id: "1"}, RuleViolation)):
        with pytest.raises(error), room.store.write() as s:
            deliveries.receive(s, staff_id=staff, delivery_id=delivery_id, received=received)
    assert room.written() == before and room.level(room.mug) == 10_000
    with pytest.raises(RuleViolation, match="stock:write"), room.store.write() as s:
        deliveries.create_delivery(s, staff_id=room.support, supplier="Acme",
                                   lines=[(room.mug_barcode, "1")])

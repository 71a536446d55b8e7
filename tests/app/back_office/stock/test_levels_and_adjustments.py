"""This store's levels (filters, low stock), a product's movement history, and adjustments
with reasons: signed, checked by piece or weight, refused whole for staff without
stock:write."""

from __future__ import annotations

import pytest

from app.back_office.stock.adjust import adjust
from app.back_office.stock.levels import LevelsSource, MovementsSource, low_stock
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from db.models import Variant
from tests.support import catalog


def _rows(room, source):
    with room.store.read() as s:
        return source.count(s), source.rows(s, 0, 50)


def test_levels_filter_by_text_barcode_category_and_low(room):
    total, rows = _rows(room, LevelsSource())  # by SKU: the mug was made first
    assert total == 2 and [r.cells[0] for r in rows] == ["Mug", "Gouda"]
    assert rows[0].cells[3:] == ("10", "3") and rows[1].cells[3] == "0 kg"
    with pytest.raises(InvalidInput, match="SKU only"):  # a full sort at a million
        LevelsSource().with_order("name", False)
    assert _rows(room, LevelsSource(text="mug"))[0] == 1  # a word, through the till's index
    assert _rows(room, LevelsSource(text="mu"))[0] == 0  # two letters: SKUs only, no name scan
    assert _rows(room, LevelsSource(text=room.mug_barcode))[1][0].id == room.mug
    with room.store.read() as s:
        cheese_sku = s.get(Variant, room.cheese).sku
    assert [r.id for r in _rows(room, LevelsSource(text=cheese_sku))[1]] == [room.cheese]
    assert _rows(room, LevelsSource(text=cheese_sku[:2]))[0] == 2  # a SKU's start: both
    assert _rows(room, LevelsSource(category_id=room.category_id))[1][0].id == room.mug
    assert _rows(room, low_stock())[0] == 0
    with room.store.write() as s:
        adjust(s, staff_id=room.clerk, variant_id=room.mug, quantity="-7", reason="damage",
               note="dropped a box")
    count, rows = _rows(room, low_stock())
    assert count == 1 and rows[0].tone == "low" and rows[0].cells[3] == "3"
    total, rows = _rows(room, LevelsSource(low_only=True).with_order("on_hand", True))
    assert [r.id for r in rows] == [room.mug]
    with pytest.raises(InvalidInput, match="order"):
        LevelsSource().with_order("colour", False)
    with room.store.read() as s, pytest.raises(NotFound, match="category"):
        LevelsSource(category_id="nope").count(s)
    with room.store.write() as s:  # archived products and variants are not listed or counted
        archived = catalog.product(s, "Old mug", 500)
        archived.product.category_id = room.category_id
        archived.product.archived = True
        catalog.product(s, "Old plate", 500).archived = True
    for source in (LevelsSource(), LevelsSource(category_id=room.category_id)):
        total, rows = _rows(room, source)
        assert total == len(rows) and "Old mug" not in {r.cells[0] for r in rows}


def test_an_adjustment_posts_a_signed_movement_with_its_reason_and_history_shows_it(room):
    with room.store.write() as s:
        adjust(s, staff_id=room.clerk, variant_id=room.mug, quantity="-2", reason="theft")
        adjust(s, staff_id=room.clerk, variant_id=room.cheese, quantity="+1.250",
               reason="other", note="found in the cold room")
    assert room.level(room.mug) == 8_000 and room.level(room.cheese) == 1_250
    sent = room.outbox("stock.movement")
    assert [(m["kind"], m["quantity_milli"], m["reason"]) for m in sent] == [
        ("adjustment", -2_000, "theft"), ("adjustment", 1_250, "other: found in the cold room")]
    count, rows = _rows(room, MovementsSource(variant_id=room.mug))
    assert count == 2  # the first receipt and the theft, newest first
    assert rows[0].cells[2:5] == ("adjustment", "-2", "theft")
    assert rows[0].cells[6] == "not yet" and rows[0].tone == "unsynced"
    assert rows[1].cells[2:4] == ("receipt", "+10")
    with room.store.read() as s:
        product_id = s.get(Variant, room.mug).product_id
    assert _rows(room, MovementsSource(product_id=product_id))[0] == 2


BAD_ADJUSTMENTS = [
    ("0", "damage", "", "quantity"), ("1.5", "damage", "", "quantity"),
    ("-1,5", "damage", "", "quantity"), ("2", "lost", "", "reason"),
    ("2", "other", "  ", "note"), ("2", "damage", "x" * 300, "note"),
]


def test_bad_adjustments_name_their_field_and_write_nothing(room):
    before = room.written()
    for quantity, reason, note, field in BAD_ADJUSTMENTS:
        with pytest.raises(InvalidInput) as raised, room.store.write() as s:
            adjust(s, staff_id=room.clerk, variant_id=room.mug, quantity=quantity,
                   reason=reason, note=note)
        assert raised.value.field == field, (quantity, reason, note)
    assert room.written() == before and room.level(room.mug) == 10_000


def test_a_support_user_may_not_change_stock(room):
    before = room.written()
    with pytest.raises(RuleViolation, match="stock:write"), room.store.write() as s:
        adjust(s, staff_id=room.support, variant_id=room.mug, quantity="-1",
               reason="correction")
    assert room.written() == before

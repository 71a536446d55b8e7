"""Stock counts (full, by category, chosen items): expected levels frozen at the start, the
variance report, posting one count movement per differing variant (movements made meanwhile
kept), cancelling; transfers out to another store as one stock.transfer carrying its
movements. Refusals write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.back_office.stock import counts, transfers
from app.back_office.stock.adjust import adjust
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from db.models import StockCount, Variant
from tests.support import catalog


def test_a_count_posts_its_variances_and_keeps_what_moved_while_it_was_open(room):
    with room.store.write() as s:
        count_id = counts.start_count(s, staff_id=room.clerk).id
    with room.store.write() as s:  # a sale-like movement while the shelf is being counted
        adjust(s, staff_id=room.clerk, variant_id=room.mug, quantity="-1", reason="damage")
        counts.enter_counts(s, staff_id=room.clerk, count_id=count_id,
                            counted={room.mug: "8", room.cheese: "0.750"})
    with room.store.read() as s:
        report = counts.variance_report(s, count_id)
        source = counts.CountLinesSource(count_id)
        assert source.count(s) == 2
        assert [r.cells[2:] for r in source.rows(s, 0, 10)] == [
            ("0 kg", "0.75 kg", "+0.75 kg"), ("10", "8", "-2")]
    assert report.scope == "All products" and (report.counted, report.total_lines) == (2, 2)
    assert [(line.expected_milli, line.counted_milli, line.difference_milli,
             line.moved_since_milli, line.value) for line in report.lines] == [
        (0, 750, 750, 0, 750), (10_000, 8_000, -2_000, -1_000, -800)]
    assert report.shown_value(report.total_value) == "-0.50"
    with room.store.write() as s:
        posted = counts.post_count(s, staff_id=room.clerk, count_id=count_id)
    assert len(posted) == 2
    # 10 expected, 8 on the shelf: −2 from the level now (9 after the damage) → 7
    assert room.level(room.mug) == 7_000 and room.level(room.cheese) == 750
    assert [(m["kind"], m["quantity_milli"]) for m in room.outbox("stock.movement")][-2:] \
        in ([("count", -2_000), ("count", 750)], [("count", 750), ("count", -2_000)])
    with pytest.raises(RuleViolation, match="posted"), room.store.write() as s:
        counts.cancel_count(s, staff_id=room.clerk, count_id=count_id)


def test_a_partial_count_is_cancelled_with_nothing_posted_and_overlaps_are_refused(room):
    with room.store.write() as s:
        by_category = counts.start_count(s, staff_id=room.clerk, category_id=room.category_id)
        assert by_category.scope == "Kitchen"
        count_id = by_category.id
    with pytest.raises(RuleViolation, match="open count “Kitchen”"), room.store.write() as s:
        counts.start_count(s, staff_id=room.clerk, variant_ids=[room.mug, room.cheese])
    with room.store.write() as s:
        chosen = counts.start_count(s, staff_id=room.clerk, variant_ids=[room.cheese])
        assert chosen.scope == "1 chosen item"
        with pytest.raises(NotFound, match="not in this count"):
            counts.variant_for_code(s, count_id, s.get(Variant, room.cheese).sku)
        counts.enter_counts(s, staff_id=room.clerk, count_id=count_id, counted={room.mug: "4"})
    before = room.written()
    with room.store.write() as s:
        counts.cancel_count(s, staff_id=room.clerk, count_id=count_id)
    assert room.written()[:2] == before[:2] and room.level(room.mug) == 10_000
    with room.store.read() as s:
        assert s.get(StockCount, count_id).status == "cancelled"
        assert counts.open_counts(s)[0][0] == chosen.id


def test_bad_counts_and_refusals_write_nothing(room):
    with room.store.write() as s:
        count_id = counts.start_count(s, staff_id=room.clerk).id
    before = room.written()
    cases = [(room.clerk, {room.mug: "-1"}, InvalidInput, f"counted[{room.mug}]"),
             (room.clerk, {room.mug: "2.5"}, InvalidInput, f"counted[{room.mug}]"),
             (room.clerk, {"nope": "1"}, NotFound, "counted[nope]"),
             (room.support, {room.mug: "1"}, RuleViolation, "staff")]
    for staff, counted, error, field in cases:
        with pytest.raises(error) as raised, room.store.write() as s:
            counts.enter_counts(s, staff_id=staff,
                                count_id=count_id, counted={room.cheese: "1", **counted})
        assert raised.value.field == field
    with pytest.raises(RuleViolation, match="nothing is counted"), room.store.write() as s:
        counts.post_count(s, staff_id=room.clerk, count_id=count_id)
    with pytest.raises(RuleViolation, match="stock:write"), room.store.write() as s:
        counts.start_count(s, staff_id=room.support)
    with room.store.read() as s:
        assert counts.variance_report(s, count_id).counted == 0
        assert len(s.scalars(select(StockCount)).all()) == 1
    assert room.written() == before


def test_a_transfer_sends_stock_out_as_one_mutation_carrying_its_movements(room):
    with room.store.write() as s:
        assert transfers.other_stores(s) == [(room.other_store_id, "S02 Harbour Street")]
        transfer_id = transfers.transfer(
            s, staff_id=room.clerk, to_store_id=room.other_store_id, note="weekend cover",
            lines=[(room.mug, "3"), (room.mug_barcode, "1"), (room.cheese, "0.400")])
    assert room.level(room.mug) == 6_000 and room.level(room.cheese) == -400
    [sent] = room.outbox("stock.transfer")
    assert sent["id"] == transfer_id and sent["to_store_id"] == room.other_store_id
    assert sent["reason"] == "transfer to S02 Harbour Street: weekend cover"
    assert sorted((m["variant_id"], m["kind"], m["quantity_milli"])
                  for m in sent["stock_movements"]) == sorted(
        [(room.mug, "transfer", -4_000), (room.cheese, "transfer", -400)])
    assert room.outbox("stock.movement") == []


def test_bad_transfers_and_refusals_write_nothing(room):
    before = room.written()
    with room.store.write() as s:
        here = catalog.product(s, "Spoon", 100).sku
    before = room.written()
    cases = [(room.clerk, room.store_id, [(room.mug, "1")], InvalidInput, "to_store"),
             (room.clerk, "nowhere", [(room.mug, "1")], NotFound, "to_store"),
             (room.clerk, room.other_store_id, [], InvalidInput, "lines"),
             (room.clerk, room.other_store_id, [(here, "1"), (room.mug, "0")], InvalidInput,
              "lines[2].quantity"),
             (room.clerk, room.other_store_id, [(room.mug, "1.5")], InvalidInput,
              "lines[1].quantity"),
             (room.support, room.other_store_id, [(room.mug, "1")], RuleViolation, "staff")]
    for staff, to_store, lines, error, field in cases:
        with pytest.raises(error) as raised, room.store.write() as s:
            transfers.transfer(s, staff_id=staff, to_store_id=to_store, lines=lines)
        assert raised.value.field == field, (to_store, lines)
    assert room.written() == before and room.level(room.mug) == 10_000


def test_the_count_sheet_prints_the_figures_frozen_at_the_start(room):
    from app.back_office.stock.count_sheet import render_count_sheet
    from tests.support.pdf import load

    with room.store.write() as s:
        count_id = counts.start_count(s, staff_id=room.clerk, variant_ids=[room.mug]).id
        adjust(s, staff_id=room.clerk, variant_id=room.mug, quantity="-4", reason="damage")
    with room.store.read() as s:
        text = load(render_count_sheet(s, count_id, paper="A4")).text()
    assert "1 chosen item" in text and room.mug_barcode in text and "Mug" in text
    assert "10" in text.split("Mug", 1)[1] and "Gouda" not in text

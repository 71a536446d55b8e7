"""Stock posted by staff (receipt, adjustment, count, transfer): one ledger movement, the level
moved with it, a ``stock.movement`` under the movement's own id, and an audit entry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app import inventory
from app.domain.errors import InvalidInput, RuleViolation
from app.integrity import check_stock_levels
from app.sales.identity import this_register
from db.models import AuditEntry, OutboxEntry, StockMovement
from tests.support import catalog


@pytest.fixture
def stockroom(blank_shop):
    with blank_shop.write() as s:
        piece = catalog.product(s, "Mug", 900, stock_milli=10_000)
        cheese = catalog.product(s, "Gouda", 1890, sold_by_weight=True)
        store_id = this_register(s)[0].id
        return (blank_shop, catalog.staff(s, role="stock_clerk").id,
                catalog.staff(s, role="cashier").id, piece.id, cheese.id, store_id)


def _level(store, store_id, variant_id) -> int:
    with store.read() as s:
        return inventory.level(s, store_id=store_id, variant_id=variant_id)


def _posted(session) -> list[dict]:
    return [json.loads(p) for p in session.scalars(
        select(OutboxEntry.payload).where(OutboxEntry.kind == "stock.movement")
        .order_by(OutboxEntry.seq))]


def test_a_receipt_moves_the_level_and_queues_the_movement_under_its_id(stockroom):
    store, clerk, _, mug, _, store_id = stockroom
    with store.write() as s:
        movement = inventory.post_movement(s, staff_id=clerk, variant_id=mug,
                                           quantity_milli=24_000, kind="receipt",
                                           reason=" delivery 1142 ")
        mid = movement.id
    assert _level(store, store_id, mug) == 34_000
    with store.read() as s:
        [payload] = _posted(s)
        at = payload.pop("at")
        assert payload == {"id": mid, "store_id": store_id, "variant_id": mug, "kind": "receipt",
                           "quantity_milli": 24_000, "reason": "delivery 1142", "staff_id": clerk}
        assert at == s.get(StockMovement, mid).at.isoformat()
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.kind == "stock.movement"))
        assert entry.entity_id == mid
        assert s.get(StockMovement, mid).synced is False
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "stock.movement_posted"))
        assert audit.entity_id == mid and audit.actor_id == clerk
        assert check_stock_levels(s) == []


def test_a_count_posts_the_difference_from_the_level_here(stockroom):
    store, clerk, _, mug, _, store_id = stockroom
    with store.write() as s:
        inventory.post_movement(s, staff_id=clerk, variant_id=mug, quantity_milli=7_000,
                                kind="count")
    assert _level(store, store_id, mug) == 7_000
    with store.write() as s:
        same = inventory.post_movement(s, staff_id=clerk, variant_id=mug, quantity_milli=7_000,
                                       kind="count", reason="recount")
        assert same.quantity_milli == 0  # a count that agrees is still a fact worth keeping
    with store.read() as s:
        assert [p["quantity_milli"] for p in _posted(s)] == [-3_000, 0]
        details = json.loads(s.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "stock.movement_posted").order_by(AuditEntry.seq)).first())
        assert (details["counted_milli"], details["level_before_milli"]) == (7_000, 10_000)


def test_adjustments_and_transfers_are_signed_and_weights_may_be_fractional(stockroom):
    store, clerk, _, mug, gouda, store_id = stockroom
    with store.write() as s:
        inventory.post_movement(s, staff_id=clerk, variant_id=mug, quantity_milli=-2_000,
                                kind="adjustment", reason="broken")
        inventory.post_movement(s, staff_id=clerk, variant_id=mug, quantity_milli=-3_000,
                                kind="transfer", reason="to S02")
        inventory.post_movement(s, staff_id=clerk, variant_id=gouda, quantity_milli=2_375,
                                kind="receipt")
    assert (_level(store, store_id, mug), _level(store, store_id, gouda)) == (5_000, 2_375)


@pytest.mark.parametrize("variant, quantity, kind, reason, field", [
    ("mug", 1_000, "sale", "", "kind"),
    ("mug", 1_000, "return", "", "kind"),
    ("mug", 1_000, "gift", "", "kind"),
    ("nope", 1_000, "receipt", "", "variant"),
    ("mug", 0, "receipt", "", "quantity_milli"),
    ("mug", -1_000, "receipt", "", "quantity_milli"),
    ("mug", 0, "adjustment", "", "quantity_milli"),
    ("mug", 0, "transfer", "", "quantity_milli"),
    ("mug", -1_000, "count", "", "quantity_milli"),
    ("mug", 1_500, "receipt", "", "quantity_milli"),
    ("mug", 1.0, "receipt", "", "quantity_milli"),
    ("mug", True, "receipt", "", "quantity_milli"),
    ("mug", 10**15, "adjustment", "", "quantity_milli"),
    ("mug", 1_000, "receipt", "r" * 201, "reason"),
])
def test_bad_postings_name_the_field_and_write_nothing(stockroom, variant, quantity, kind,
                                                       reason, field):
    store, clerk, _, mug, _, store_id = stockroom
    with pytest.raises(InvalidInput) as err:
        with store.write() as s:
            inventory.post_movement(s, staff_id=clerk, variant_id=mug if variant == "mug" else variant,
                                    quantity_milli=quantity, kind=kind, reason=reason)
    assert err.value.field == field
    with store.read() as s:
        assert _posted(s) == []
        assert s.scalar(select(func.count()).select_from(StockMovement)) == 1  # the opening stock
    assert _level(store, store_id, mug) == 10_000


def test_a_cashier_may_not_post_stock_and_a_crash_before_commit_loses_both(stockroom):
    store, clerk, cashier, mug, _, store_id = stockroom
    with pytest.raises(RuleViolation, match="stock:write"):
        with store.write() as s:
            inventory.post_movement(s, staff_id=cashier, variant_id=mug, quantity_milli=1_000,
                                    kind="receipt")
    with pytest.raises(RuntimeError):
        with store.write() as s:
            inventory.post_movement(s, staff_id=clerk, variant_id=mug, quantity_milli=1_000,
                                    kind="receipt")
            raise RuntimeError("crash before commit")
    assert _level(store, store_id, mug) == 10_000
    with store.read() as s:
        assert _posted(s) == []

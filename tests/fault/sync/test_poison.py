"""Poison mutations in the middle of a till's outbox: the server refuses them, the till records
each refusal as a sync issue and drops the entry, the sales around them are applied, and
nothing is left stuck (the next round has nothing to send)."""

from __future__ import annotations

import json
import random
import uuid

import pytest
from sqlalchemy import update

from app import outbox
from db.models import OutboxEntry
from tests.support.sync_harness import Till, assert_converged, server_orders, settle


def poison_stock(till: Till, variant_id: str = "no-such-variant") -> str:
    """A stock receipt of a variant the server has never heard of (refused by its rules)."""
    movement_id = str(uuid.uuid4())
    with till.store.write() as session:
        outbox.enqueue(session, kind="stock.movement", entity_id=movement_id, payload={
            "id": movement_id, "store_id": till.shop.store_id, "variant_id": variant_id,
            "kind": "receipt", "quantity_milli": 1000, "reason": "", "staff_id": till.cashier,
            "at": "2026-12-01T10:00:00+00:00"})
    return movement_id


def poison_kind(till: Till) -> str:
    """A mutation kind this server does not know (a newer till, or a bug)."""
    entity = str(uuid.uuid4())
    with till.store.write() as session:
        outbox.enqueue(session, kind="gift_card.issued", entity_id=entity, payload={"id": entity})
    return entity


def test_poison_in_the_middle_is_rejected_the_rest_applied_nothing_stuck(shop, till, seed):
    rng = random.Random(seed)
    before = [till.sell_random(rng) for _ in range(3)]
    stock = poison_stock(till)
    middle = [till.sell_random(rng) for _ in range(3)]
    kind = poison_kind(till)
    after = [till.sell_random(rng) for _ in range(3)]

    result = till.round()
    assert result.succeeded and (result.push.applied, result.push.rejected) == (9, 2)
    assert result.ok is False and "rejected 2" in result.problem()
    assert set(server_orders(shop.db, shop.store_id)) == set(before + middle + after)
    assert till.pending() == 0
    issues = {issue.entity_id: issue for issue in till.issues()}
    assert set(issues) == {stock, kind} and {i.kind for i in issues.values()} == {"rejected"}
    assert "no-such-variant" in issues[stock].message
    assert "gift_card.issued" in issues[kind].message
    again = till.round()
    assert again.ok and again.push.sent == 0
    settle([till])
    assert_converged(shop, [till])


def schema_poison(till: Till, how: str) -> None:
    """An entry the push request's own schema refuses: a payload that is not an object, or an
    entity id over the protocol's 64 characters."""
    with till.store.write() as session:
        entry = outbox.enqueue(session, kind="stock.movement", entity_id=str(uuid.uuid4()),
                               payload={})
        session.flush()
        values = {"payload": json.dumps(["not", "an", "object"])} if how == "payload" \
            else {"entity_id": "x" * 65}
        session.execute(update(OutboxEntry).where(OutboxEntry.seq == entry.seq).values(**values))


@pytest.mark.parametrize("how", ["payload", "entity_id"])
def test_an_entry_the_push_schema_refuses_is_held_back_and_blocks_nothing(shop, till, seed, how):
    """The server answers such a request 422 as a whole, naming no result: the till finds the
    entry by halving the batch, holds it back with the reason, and sends the rest."""
    rng = random.Random(seed)
    before = [till.sell_random(rng) for _ in range(5)]
    schema_poison(till, how)
    after = [till.sell_random(rng) for _ in range(5)]
    first = till.round()
    assert first.succeeded and (first.push.applied, first.push.held) == (10, 1), first.summary()
    assert not first.ok and "held back" in first.problem()
    assert set(server_orders(shop.db, shop.store_id)) == set(before + after)
    [held] = till.outbox()
    assert "422" in held.last_error and f"mutations.0.{how}" in held.last_error
    later = [till.sell_random(rng) for _ in range(3)]
    second = till.round()
    assert (second.push.applied, second.push.held) == (3, 1), second.summary()
    assert set(server_orders(shop.db, shop.store_id)) == set(before + after + later)
    assert [entry.mutation_id for entry in till.outbox()] == [held.mutation_id]

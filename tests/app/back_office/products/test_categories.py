"""The category tree's service: a category created and renamed queues one ``category.upsert``
each (a new one without a base version, a change based on the version it saw, counting the
changes still queued); bad names, unknown parents, a move into its own subtree, a tree too deep
and staff without ``catalog:write`` are refused naming the field, with nothing written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.back_office.products.categories import MAX_DEPTH, save_category
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from db.models import Category, OutboxEntry
from tests.support.catalog import staff as make_staff


def test_the_tree_changes_locally_and_queues_each_change(blank_shop):
    store = blank_shop
    with store.write() as s:
        manager, clerk = make_staff(s, "manager").id, make_staff(s, "stock_clerk").id
        chain = [save_category(s, staff_id=manager, name="Level 1").id]
        for n in range(2, MAX_DEPTH + 1):
            chain.append(save_category(s, staff_id=manager, name=f"Level {n}",
                                       parent_id=chain[-1]).id)
        save_category(s, staff_id=manager, name="Second", category_id=chain[1])
        save_category(s, staff_id=manager, name="Second", category_id=chain[1], position=4)
    with store.read() as s:
        payloads = [json.loads(p) for p in s.scalars(
            select(OutboxEntry.payload).where(OutboxEntry.entity_id == chain[1])
            .order_by(OutboxEntry.seq))]
        assert [(p["name"], p["base_version"], p["position"]) for p in payloads] == [
            ("Level 2", None, 0), ("Second", 1, 0), ("Second", 2, 4)]
        assert s.get(Category, chain[1]).parent_id == chain[0]  # a rename keeps it in place
        before = s.scalar(select(func.count()).select_from(OutboxEntry))
    cases = [({"name": " "}, "name", InvalidInput),
             ({"name": "X", "parent_id": "nope"}, "parent_id", NotFound),
             ({"name": "Deep", "parent_id": chain[-1]}, "parent_id", RuleViolation),
             ({"name": "L1", "category_id": chain[0], "parent_id": chain[3]}, "parent_id",
              RuleViolation),
             ({"name": "Clerk's", "staff_id": clerk}, "staff", RuleViolation)]
    for args, field, error in cases:
        with pytest.raises(error) as raised, store.write() as s:
            save_category(s, **{"staff_id": manager, **args})
        assert raised.value.field == field, args
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == before
        assert s.get(Category, chain[0]).parent_id is None

"""Two tills of one store sell the same products with no network (no sync round meanwhile),
then sync one after the other, in either order: the stock level on the server and on both
tills comes out at the start level minus everything both sold, exactly, because levels are
derived from a ledger of movements and never overwritten. A variant sold beyond its stock
goes negative everywhere, and the server flags each sale that left a level below zero."""

from __future__ import annotations

import os
import random
from collections import Counter

import pytest
from sqlalchemy import select

from app.domain.quantity import format_quantity
from db.models import StockMovement, Variant
from tests.support.sync_harness import Till, assert_converged, server_levels

SEED = int(os.environ.get("TILLPOINT_FAULT_SEED", "0")) or random.randrange(1, 10**6)
SALES_PER_TILL = 12 * max(1, int(os.environ.get("TILLPOINT_FAULT_ROUNDS", "1")))
UNIT = 1000  # milli-units in one piece

Sale = tuple[str, dict[str, int]]  # (order id, {variant id: quantity sold})


def skus(till: Till) -> dict[str, str]:
    with till.store.read() as session:
        return dict(session.execute(select(Variant.id, Variant.sku)).all())


def unacknowledged(till: Till) -> int:
    with till.store.read() as session:
        return len(session.scalars(select(StockMovement.id)
                                   .where(StockMovement.synced.is_(False))).all())


def oversold_flags(start: dict[str, int], arrivals: list[list[Sale]],
                   sku: dict[str, str]) -> dict[str, list[str]]:
    """The oversold flags each sale should carry when the sales reach the server in this
    order: one per SKU the sale left below zero (however far below it was already)."""
    level = dict(start)
    flags: dict[str, list[str]] = {}
    for sales in arrivals:
        for order_id, lines in sales:
            flags[order_id] = []
            for variant_id, quantity in lines.items():
                level[variant_id] -= quantity
                if level[variant_id] < 0:
                    flags[order_id].append(f"oversold {sku[variant_id]}: "
                                           f"{format_quantity(-level[variant_id])} more sold "
                                           "than the store had")
    return flags


@pytest.mark.parametrize("first", [0, 1], ids=["R01-syncs-first", "R02-syncs-first"])
def test_two_tills_selling_offline_converge_on_the_exact_level(shop, two_tills, first):
    db, tills = shop.db, two_tills
    rng = random.Random(SEED + first)
    start = server_levels(db, shop.store_id)
    assert all(till.levels() == start for till in tills)
    sku = skus(tills[0])
    # one with stock enough that each till sells some of it (seed-demo stocks 0 to 79)
    oversold = rng.choice([v for v in tills[0].variants() if start[v] >= 2 * UNIT])
    common = [v for v in tills[0].variants() if v != oversold]
    sold: Counter[str] = Counter()
    sales: dict[str, list[Sale]] = {till.name: [] for till in tills}

    def ring_up(till: Till, lines: list[tuple[str, int]]) -> None:
        sales[till.name].append((till.sell(lines), dict(lines)))
        sold.update(dict(lines))

    for till in tills:
        for _ in range(SALES_PER_TILL):
            ring_up(till, [(v, rng.randint(1, 3) * UNIT)
                           for v in rng.sample(common, rng.randint(1, 3))])
    # Between them the two tills sell one piece more of ``oversold`` than the store had; each
    # alone stays within what it saw, so neither could have known.
    on_hand = start[oversold] // UNIT
    shares = ((on_hand + 1) // 2, on_hand + 1 - (on_hand + 1) // 2)
    for till, pieces in zip(tills, shares):
        ring_up(till, [(oversold, pieces * UNIT)])
        assert till.levels()[oversold] == start[oversold] - pieces * UNIT >= 0
    print(f"seed {SEED + first}: {SALES_PER_TILL + 1} sales per till over {len(common) + 1} "
          f"variants, {sum(sold.values()) // UNIT} pieces; {sku[oversold]} had {on_hand}, "
          f"{on_hand + 1} sold")

    order = tills[first:] + tills[:first]
    for till in order:
        assert till.round().ok
    assert order[0].round().ok  # the first to sync hears of the other's sales now

    expected = {v: start[v] - sold[v] for v in start}
    assert expected[oversold] == -UNIT
    assert server_levels(db, shop.store_id) == expected
    for till in tills:
        assert till.levels() == expected, till.name
        assert unacknowledged(till) == 0, till.name
    assert_converged(shop, tills)
    flagged = {d["_id"]: [f for f in d.get("flags", []) if f.startswith("oversold ")]
               for d in db.orders.find({"store_id": shop.store_id, "channel": "till"})}
    assert flagged == oversold_flags(start, [sales[t.name] for t in order], sku)
    last_big_sale = sales[order[1].name][-1][0]
    assert f"oversold {sku[oversold]}: 1 more sold than the store had" in flagged[last_big_sale]

"""A till comes back with a cursor the server no longer keeps, and starts over from a fresh
snapshot (410 ``cursor_gone``) without losing or doubling anything:

* ``cursor_expired``: while it was away, something it holds was deleted and compaction
  (``tillpoint-server compact-changes --keep-tombstones-days 0``) dropped the tombstone;
* ``cursor_ahead``: the server was restored from an older copy of its database, so the
  till's cursor lies beyond the feed's head.
"""

from __future__ import annotations

import json
import random
import uuid

from sqlalchemy import select

from app.domain.sync_protocol import CATALOG_FEED
from db.models import Product, Variant
from tests.support.sync_harness import OwnerApi, Till, assert_converged, server_orders, settle


def new_product(owner: OwnerApi, name: str) -> tuple[str, str]:
    made = owner.call("POST", "/products", json={
        "name": name, "prices": {"EUR": 375}, "variants": [{"sku": f"FT-{uuid.uuid4().hex[:8]}"}]})
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["variants"][0]["id"]


def rename(owner: OwnerApi, product_id: str, name: str) -> None:
    version = owner.call("GET", f"/products/{product_id}").json()["version"]
    done = owner.call("PATCH", f"/products/{product_id}", json={"version": version, "name": name})
    assert done.status_code == 200, done.text


def local_product(till: Till, product_id: str) -> Product | None:
    with till.store.read() as session:
        found = session.get(Product, product_id)
        if found is not None:
            session.expunge(found)
        return found


def snapshot_round(till: Till, reason: str, caplog) -> None:  # noqa: ANN001
    caplog.clear()
    result = till.round()
    assert result.ok, result.problem()
    assert result.pull.snapshot, result.summary()
    assert any(reason in record.getMessage() for record in caplog.records), \
        [r.getMessage() for r in caplog.records]


def test_a_cursor_behind_a_compacted_delete_takes_a_fresh_snapshot(shop, two_tills, seed,
                                                                   caplog):
    away, other = two_tills
    rng = random.Random(seed)
    owner = shop.owner()
    tax = owner.call("POST", "/tax-classes", json={"name": "Gone soon"})
    assert tax.status_code == 201, tax.text
    renamed, _ = new_product(owner, "Before the trip")
    assert away.round().ok
    assert local_product(away, renamed).name == "Before the trip"
    offline_sales = [away.sell_random(rng) for _ in range(5)]  # not sent: the till is away

    assert owner.call("DELETE", f"/tax-classes/{tax.json()['id']}").status_code == 204
    rename(owner, renamed, "After the trip")
    added, added_variant = new_product(owner, "New while away")
    for _ in range(20):
        other.sell_random(rng)
    assert other.round().ok
    done = shop.admin("compact-changes", "--keep-tombstones-days", "0")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)  # a summary per feed
    floor = shop.db.feed_counters.find_one({"_id": CATALOG_FEED}).get("floor", 0)
    assert floor > away.position(CATALOG_FEED)  # the till never read the dropped delete

    snapshot_round(away, "cursor_expired", caplog)
    assert local_product(away, renamed).name == "After the trip"
    assert local_product(away, added) is not None and added_variant in _variant_ids(away)
    assert set(offline_sales) <= set(server_orders(shop.db, shop.store_id))
    assert away.round().pull.snapshot is False  # the new cursor is good
    settle(two_tills)
    assert_converged(shop, two_tills)


def _variant_ids(till: Till) -> list[str]:
    with till.store.read() as session:
        return list(session.scalars(select(Variant.id)))


def test_a_server_restored_from_an_older_copy_sends_the_till_a_fresh_snapshot(shop, till, seed,
                                                                              caplog):
    rng = random.Random(seed)
    for _ in range(5):
        till.sell_random(rng)
    settle([till])
    backup = shop.copy_database(f"{shop.database}_backup")
    owner = shop.owner()
    lost, _ = new_product(owner, "Only after the backup")
    assert till.round().ok
    assert local_product(till, lost) is not None
    cursor_before = till.position(CATALOG_FEED)

    shop.restart(database=backup)  # the server comes back on the older copy
    head = shop.db.feed_counters.find_one({"_id": CATALOG_FEED})["seq"]
    assert head < cursor_before

    snapshot_round(till, "cursor_ahead", caplog)
    assert local_product(till, lost).archived  # the restored server never had it
    sold_after = [till.sell_random(rng) for _ in range(5)]
    result = till.round()
    assert result.ok and result.push.applied == 5 and not result.pull.snapshot
    assert set(sold_after) <= set(server_orders(shop.db, shop.store_id))
    settle([till])
    assert_converged(shop, [till])


def test_a_sale_acknowledged_after_the_servers_backup_reaches_the_restored_server(shop, till,
                                                                                seed):
    rng = random.Random(seed)
    settle([till])
    backup = shop.copy_database(f"{shop.database}_backup")
    acknowledged = [till.sell_random(rng) for _ in range(3)]
    assert till.round().ok
    shop.restart(database=backup)
    settle([till])  # 410 cursor_ahead: the till sends them again, then takes a snapshot
    assert set(acknowledged) <= set(server_orders(shop.db, shop.store_id))
    assert_converged(shop, [till])  # their stock moved once on the restored server too

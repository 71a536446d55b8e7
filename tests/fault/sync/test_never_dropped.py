"""An unsynced sale is never dropped: not when the till's process is killed between rounds, not
when a backup is restored over it (``tillpoint restore`` refuses and says how many would be
lost; the outbox stays), and a backup restored after a sync leaves nothing counted twice.

(Closing a shift is not here: the local store has shifts, but no service closes one yet.)
"""

from __future__ import annotations

import json
import random
import signal

from tests.support.sync_harness import (Till, assert_converged, mutation_counts, server_levels,
                                        server_orders, settle)
from tests.support.tills import tillpoint


def cli(till: Till, *args: str):  # noqa: ANN201 - CompletedProcess
    return tillpoint(till.data_dir, *args, env=till.env)


def test_sales_outlive_a_till_process_killed_between_rounds(shop, till, seed):
    rng = random.Random(seed)
    assert till.sync_cli().returncode == 0
    sold = [till.sell_random(rng) for _ in range(12)]
    idle = till.spawn_sync("--wait", "60")  # a run that has nothing to hold: killed as it goes
    idle.send_signal(signal.SIGKILL)
    idle.communicate(timeout=30)
    till.reopen()
    unsent = [entry.entity_id for entry in till.outbox()]
    on_server = set(server_orders(shop.db, shop.store_id))
    assert set(sold) == set(unsent) | (set(sold) & on_server)
    done = till.sync_cli()
    assert done.returncode == 0, done.stderr
    assert set(sold) <= set(server_orders(shop.db, shop.store_id))
    settle([till])
    assert_converged(shop, [till])


def test_restoring_a_backup_refuses_while_unsynced_sales_would_be_lost(shop, till, seed, tmp_path):
    rng = random.Random(seed)
    assert till.sync_cli().returncode == 0
    backup = tmp_path / "before.tillpoint-backup"
    made = cli(till, "backup", "--out", str(backup))
    assert made.returncode == 0, made.stderr
    sold = [till.sell_random(rng) for _ in range(3)]

    refused = cli(till, "restore", str(backup))
    assert refused.returncode != 0
    assert "3 change(s)" in refused.stderr and "3 order.created" in refused.stderr, refused.stderr
    till.reopen()
    assert sorted(entry.entity_id for entry in till.outbox()) == sorted(sold)
    assert set(sold) <= set(till.orders())
    done = till.sync_cli()
    assert done.returncode == 0 and "3 applied" in done.stdout, done.stdout + done.stderr
    settle([till])
    assert_converged(shop, [till])


def test_a_backup_restored_after_a_sync_counts_nothing_twice(shop, till, seed, tmp_path):
    """The backup holds sales still queued when it was taken; they were synced before the
    restore. Back in the restored store they are sent again and answered ``duplicate``; the
    sales made after the backup are no longer the till's own but come back from the server as
    this store's orders; stock agrees on both sides and new sales carry on the numbering."""
    rng = random.Random(seed)
    assert till.sync_cli().returncode == 0
    queued_at_backup = [till.sell_random(rng) for _ in range(4)]
    backup = tmp_path / "queued.tillpoint-backup"
    assert cli(till, "backup", "--out", str(backup)).returncode == 0
    after_backup = [till.sell_random(rng) for _ in range(4)]
    assert till.sync_cli().returncode == 0

    restored = cli(till, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    till.reopen()
    assert sorted(e.entity_id for e in till.outbox()) == sorted(queued_at_backup)
    replay = till.round()
    assert replay.ok and (replay.push.duplicate, replay.push.applied) == (4, 0), replay.summary()
    new = [till.sell_random(rng) for _ in range(2)]
    assert till.round().ok
    settle([till])

    on_server = server_orders(shop.db, shop.store_id)
    assert set(on_server) == set(queued_at_backup + after_backup + new)
    assert all(count == 1 for count in mutation_counts(shop.db, shop.store_id).values())
    assert set(after_backup) <= till.remote_orders()
    assert set(till.orders()) | till.remote_orders() >= set(on_server)
    numbers = [d["number"] for d in shop.db.orders.find({"store_id": shop.store_id}, {"number": 1})]
    assert len(numbers) == len(set(numbers)), "an order number was handed out twice"
    levels = server_levels(shop.db, shop.store_id)
    here = till.levels()
    assert {v: here.get(v, 0) for v in levels} == levels
    assert json.loads(restored.stdout)["discarded"] == {}

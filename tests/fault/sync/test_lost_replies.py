"""The three crash windows around a push, with real processes and a real network in between:

* the server commits a push and its reply is lost (``drop_reply``): the retry is answered
  ``duplicate`` and changes nothing on the server;
* the till dies between its sale's local commit and any push: the outbox entry is there
  after the restart and goes at the next round;
* the till dies between the server's acknowledgement and clearing its outbox (the server
  applied the batch, the reply never arrived, the process is killed): the replay is answered
  ``duplicate``.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

from tests.support.flaky_proxy import FaultPlan
from tests.support.sync_harness import (Shop, assert_converged, mutation_counts, server_levels,
                                        server_movements, server_orders, settle)
from tests.support.tills import REPO

LOST_REPLIES = FaultPlan(drop_reply=1.0)


def server_state(shop: Shop) -> tuple:
    db = shop.db
    return (server_orders(db, shop.store_id), server_movements(db, shop.store_id),
            server_levels(db, shop.store_id), db.sync_mutations.count_documents({}))


def test_a_push_whose_reply_is_lost_is_answered_duplicate_on_retry(shop, till, seed):
    rng = random.Random(seed)
    sold = [till.sell_random(rng) for _ in range(30)]
    proxy = shop.proxy(seed, LOST_REPLIES)
    try:
        lost = till.round(till.client(proxy.url, attempts=1))
    finally:
        proxy.stop()
    assert (lost.failed_step, lost.push.sent) == ("push", 0), lost.problem()
    assert proxy.fates["drop_reply"] >= 1
    assert set(server_orders(shop.db, shop.store_id)) == set(sold)  # applied, never told
    numbered = {e.mutation_id: e.device_seq for e in till.outbox()}
    assert len(numbered) == 30 and None not in numbered.values()
    before = server_state(shop)

    retry = till.round()
    assert retry.ok and (retry.push.duplicate, retry.push.applied) == (30, 0), retry.summary()
    assert server_state(shop) == before
    assert till.pending() == 0 and till.issues() == []
    settle([till])
    assert_converged(shop, [till])


def test_a_sale_committed_just_before_the_till_died_goes_at_the_next_round(shop, till):
    # a real process rings up a sale and is killed the moment its commit returned
    script = ("import sys, time\n"
              "from pathlib import Path\n"
              "from db.engine import LocalStore\n"
              "from tests.support.tills import sell\n"
              "store = LocalStore.open(Path(sys.argv[1]))\n"
              "print(sell(store, sys.argv[2], sys.argv[3]), flush=True)\n"
              "time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(till.paths.store), till.cashier,
                              till.variants()[0]], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    order_id = child.stdout.readline().strip()
    assert order_id, child.communicate(timeout=10)[1]
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    till.reopen()
    assert order_id in till.orders()
    assert [(e.kind, e.entity_id) for e in till.outbox()] == [("order.created", order_id)]
    assert order_id not in server_orders(shop.db, shop.store_id)
    result = till.round()
    assert result.ok and result.push.applied == 1
    settle([till])
    assert_converged(shop, [till])


def test_killed_after_the_server_applied_but_before_the_outbox_was_cleared(shop, till, seed):
    rng = random.Random(seed)
    sold = [till.sell_random(rng) for _ in range(120)]  # two batches
    shop.faults(LOST_REPLIES)  # tillpoint sync's every reply is lost on the way back
    sync = till.spawn_sync()
    deadline = time.monotonic() + 60
    while len(mutation_counts(shop.db, shop.store_id)) < 100 and time.monotonic() < deadline:
        time.sleep(0.02)
    sync.send_signal(signal.SIGKILL)
    sync.communicate(timeout=30)
    shop.faults(None)
    applied = set(mutation_counts(shop.db, shop.store_id))
    assert len(applied) >= 100, "the server never applied the first batch"
    till.reopen()
    assert till.pending() == 120  # the server's word never reached the outbox
    before = server_state(shop)

    again = till.sync_cli()
    assert again.returncode == 0, again.stderr
    assert f"{len(applied)} duplicate" in again.stdout, again.stdout
    assert f"{120 - len(applied)} applied" in again.stdout, again.stdout
    orders, movements, levels, _ = server_state(shop)
    assert {o: t for o, t in orders.items() if o in applied} == \
        {o: t for o, t in before[0].items() if o in applied}
    assert set(orders) == set(sold) and set(before[1]) <= set(movements)
    settle([till])
    assert_converged(shop, [till])

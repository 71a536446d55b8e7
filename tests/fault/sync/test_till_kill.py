"""A till's ``tillpoint sync`` process SIGKILLed at random moments, many times, while it pushes
its offline sales and while it pulls what another till of the store sold: after every kill the
store opens, the sync lock is free, the cursor never stands past an order the till does not
hold, and no batch is half-recorded; at the end the till converges with nothing twice.

Each kill is classified by what it interrupted, judged from both sides afterwards: ``startup``
(nothing sent yet), ``push`` (the outbox part-sent, or sent with its reply not yet recorded),
``pull`` (the outbox drained, the pull not finished), ``done`` (the run had ended).

``TILLPOINT_FAULT_ROUNDS`` sets the kills (default 9), ``TILLPOINT_FAULT_SEED`` the carts and
the moments (printed).
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter

from app import integrity
from sync.lock import SyncLock
from tests.support.sync_harness import (Shop, Till, assert_converged, fault_rounds,
                                        skipped_orders, settle)

DEFAULT_KILLS = 9  # three of each aim; more with TILLPOINT_FAULT_ROUNDS


def recorded(shop: Shop, till: Till) -> int:
    return shop.db.sync_mutations.count_documents({"device_id": till.device_id})


def classify(exited: bool, sent_before: int, sent_after: int, pending_before: int,
             pending_after: int, ended_pull: bool) -> str:
    if exited:
        return "done"
    if sent_after == sent_before and pending_after == pending_before:
        return "startup" if pending_before or not ended_pull else "pull"
    if pending_after > 0:
        return "push"
    return "pull"


def wait_for_moment(victim: Till, sync, aim: str, rng: random.Random) -> None:  # noqa: ANN001
    """Sleep until the moment to kill: ``push`` soon after the process's first batch was
    recorded on the server and answered (more are still queued: the victim sells over 100),
    ``pull`` soon after its outbox drained, ``any`` at a random time after start.

    Both are watched in the till's own store: the outbox shrinks only once the server has
    recorded a batch and answered it. (Counting the server's records instead scans them in
    the database every few milliseconds, which halved the push rate it was waiting on.)"""
    if aim == "any":
        time.sleep(rng.uniform(0.4, 2.5))
        return
    queued = victim.pending()
    deadline = time.monotonic() + 30
    while sync.poll() is None and time.monotonic() < deadline:
        if aim == "push" and victim.pending() < queued:
            break
        if aim == "pull" and victim.pending() == 0:
            break
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.5 if aim == "push" else 0.3))


def check_after_kill(shop: Shop, victim: Till) -> None:
    victim.reopen()
    with victim.store.read() as session:
        # not check_stock_levels: a paired till's level is the server's count plus its own
        # unsent movements, not the sum of its local movements
        assert integrity.check_audit(session) + integrity.check_numbering(session) \
            + integrity.check_orders(session) == []
    with SyncLock(victim.data_dir, timeout=0):
        pass  # the kernel dropped the dead process's lock
    assert skipped_orders(shop, victim) == []
    sent = set(shop.db.sync_mutations.distinct("entity_id", {"device_id": victim.device_id}))
    unsent = {entry.entity_id for entry in victim.outbox()}
    # an entry is either still queued or on the server, never neither
    assert set(victim.orders()) <= sent | unsent


def test_a_till_killed_in_the_middle_of_push_and_pull_converges(shop, two_tills, seed):
    victim, other = two_tills
    rng = random.Random(seed)
    kills = fault_rounds(DEFAULT_KILLS)
    landed: Counter = Counter()
    for kill in range(kills):
        other.sell_random_many(rng, rng.randint(10, 60))
        assert other.round().ok
        aim = ("push", "pull", "any")[kill % 3]
        offline = rng.randint(0, 20) if aim == "pull" else rng.randint(120, 200)
        victim.sell_random_many(rng, offline)
        pending, sent, cursor = victim.pending(), recorded(shop, victim), victim.cursor()
        sync = victim.spawn_sync()
        wait_for_moment(victim, sync, aim, rng)
        exited = sync.poll() is not None
        sync.send_signal(signal.SIGKILL)
        sync.communicate(timeout=30)
        landed[classify(exited, sent, recorded(shop, victim), pending, victim.pending(),
                        victim.cursor() != cursor)] += 1
        check_after_kill(shop, victim)
    settle(two_tills)
    print(f"\n{kills} kills of `tillpoint sync`: {dict(landed)}; "
          f"{len(victim.orders())} sales on the killed till, {len(other.orders())} on the other")
    assert skipped_orders(shop, victim) == []
    assert victim.remote_orders() >= set(other.orders())
    assert_converged(shop, two_tills)
    if kills >= DEFAULT_KILLS:
        assert landed["push"] > 0 and landed["pull"] + landed["done"] > 0, landed

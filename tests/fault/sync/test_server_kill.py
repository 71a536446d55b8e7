"""The server SIGKILLed while a till pushes a large offline outbox (``tillpoint sync`` as a real
process), then started again on the same database behind the same address: whatever batch was
in flight is either all there with its mutation records or not at all, and after another round
every sale is on the server exactly once. A kill inside a batch's transaction leaves that
transaction open in the database until it has been idle for the database's transaction
lifetime: the till's retries, or its next sync when the push gave up while the server
was down, wait through it (the times are printed). The lifetime is 60 s by
default (mongod's ``transactionLifetimeLimitSeconds`` too); this module's database process
reaps after 5 s, so the push resumes in seconds instead of a minute: what is proven (a
batch whole or not at all, every sale once) does not depend on how long the wait is.

``TILLPOINT_FAULT_ROUNDS`` sets the kills (default 1), ``TILLPOINT_FAULT_SEED`` the carts and
the moment of each kill (printed).
"""

from __future__ import annotations

import random
import time

import pytest

from tests.support.server_fixtures import secantus
from tests.support.sync_harness import (Shop, Till, assert_converged, fault_rounds,
                                        mutation_counts, server_orders, settle)

DEFAULT_KILLS = 1  # each kill waits out the dead server's open transaction
OFFLINE_SALES = 250  # three batches of at most 100: a kill lands inside the push
TRANSACTION_LIFETIME_S = 5.0  # idle seconds before the database aborts a dead server's batch


@pytest.fixture(scope="module")
def fault_mongo_uri(tmp_path_factory):
    """A database process of this module's own, quick to reap a killed server's transaction."""
    with secantus(tmp_path_factory.mktemp("secantus-quick-reap"),
                  transaction_lifetime_s=TRANSACTION_LIFETIME_S) as uri:
        yield uri


def applied_here(shop: Shop, till: Till) -> int:
    return shop.db.sync_mutations.count_documents({"device_id": till.device_id})


def wait_for_progress(till: Till, sync, count: int, timeout: float = 120) -> None:  # noqa: ANN001
    """Until the server recorded ``count`` more of this till's mutations and answered for
    them (or the push ended). Watched in the till's outbox, which shrinks only by what the
    server recorded and answered: counting the server's records every 10 ms scans them in
    the database, slowing down the push being waited on."""
    queued = till.pending()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and sync.poll() is None:
        if queued - till.pending() >= count:
            return
        time.sleep(0.01)


def assert_batches_whole(shop: Shop, till: Till) -> None:
    """Every order on the server has its mutation record and the other way round: a batch
    commits with its records or not at all."""
    orders = set(server_orders(shop.db, shop.store_id)) & set(till.orders())
    recorded = set(mutation_counts(shop.db, shop.store_id))
    assert orders == recorded & set(till.orders()), (len(orders), len(recorded))


def test_a_server_killed_in_the_middle_of_a_push_gets_every_sale_once(shop, till, seed):
    rng = random.Random(seed)
    kills = fault_rounds(DEFAULT_KILLS)
    report = []
    for kill in range(kills):
        before = applied_here(shop, till)
        till.sell_random_many(rng, OFFLINE_SALES)
        sync = till.spawn_sync()
        wait_for_progress(till, sync, rng.randint(1, OFFLINE_SALES - 120))
        time.sleep(rng.uniform(0, 0.4))  # somewhere inside the next batch's work
        at_kill = applied_here(shop, till)
        killed = time.monotonic()
        shop.restart()  # SIGKILL, then a new process on the same database
        restarted = time.monotonic()
        out, err = sync.communicate(timeout=240)
        ended = time.monotonic()
        after_restart = applied_here(shop, till)
        assert_batches_whole(shop, till)
        report.append(f"kill {kill + 1}: {at_kill - before} of {OFFLINE_SALES} recorded when "
                      f"killed, {after_restart - before} once the push ended (exit "
                      f"{sync.returncode}: {(err or out).strip().splitlines()[-1][:120]})")
        again = till.sync_cli()
        report.append(f"  restart {restarted - killed:.1f} s, push ended {ended - restarted:.1f} s "
                      f"later, next sync {time.monotonic() - ended:.1f} s")
        assert again.returncode == 0, again.stderr
        assert " 0 rejected" in again.stdout
    settle([till])
    print("\n" + "\n".join(report))
    assert_converged(shop, [till])
    assert len(till.orders()) == kills * OFFLINE_SALES
    assert shop.restarts == kills

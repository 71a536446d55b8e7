"""Two sync runs at once on one till, many times: a ``tillpoint sync`` process (as typed in a
terminal) and an in-process engine round (the window's) started at nearly the same moment,
with sales rung up meanwhile. The sync lock lets one run at a time; between them every sale is
sent exactly once, nothing is answered ``duplicate``, and the pull applies once per page.

Every other race the engine starts at once (it takes the lock, the terminal's run waits), the
others once the terminal's run reached the server. ``TILLPOINT_FAULT_ROUNDS`` sets the races
(default 8), ``TILLPOINT_FAULT_SEED`` the carts and the offsets (printed).
"""

from __future__ import annotations

import random
import re
import threading
import time

from tests.support.sync_harness import Till, assert_converged, fault_rounds, settle

DEFAULT_RACES = 5
SUMMARY = re.compile(r"pushed (\d+) in \d+ batch\(es\): (\d+) applied, (\d+) duplicate")


def cli_counts(stdout: str) -> tuple[int, int, int]:
    found = SUMMARY.search(stdout)
    assert found, stdout
    return int(found[1]), int(found[2]), int(found[3])


def wait_until_talking(till: Till, cli) -> None:  # noqa: ANN001 - a Popen
    connections = sum(till.shop.door.fates.values())
    deadline = time.monotonic() + 30
    while sum(till.shop.door.fates.values()) == connections and cli.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.005)


def sell_meanwhile(till: Till, rng: random.Random, stop: threading.Event,
                   sold: list[str]) -> None:
    while not stop.wait(rng.uniform(0.02, 0.1)):
        sold.append(till.sell_random(rng))


def test_a_terminal_sync_and_the_windows_round_at_once_send_each_sale_once(shop, till, seed):
    rng = random.Random(seed)
    races = fault_rounds(DEFAULT_RACES)
    first = {"cli": 0, "engine": 0}  # which run held the lock first (sent the offline sales)
    total_sold = 0
    for race in range(races):
        queued = till.pending()  # sold after both runs of the race before
        offline = till.sell_random_many(rng, rng.randint(20, 150))
        meanwhile: list[str] = []
        stop = threading.Event()
        seller = threading.Thread(target=sell_meanwhile,
                                  args=(till, random.Random(rng.random()), stop, meanwhile))
        seller.start()
        cli = till.spawn_sync("--wait", "120")
        if race % 2:  # the terminal's run first: the engine starts once it reached the server
            wait_until_talking(till, cli)
        time.sleep(rng.uniform(0, 0.3))
        engine = till.round(lock_timeout=120)
        out, err = cli.communicate(timeout=240)
        stop.set()
        seller.join(30)
        assert cli.returncode == 0, err
        assert engine.ok, engine.problem()
        sent, applied, duplicate = cli_counts(out)
        assert duplicate == 0 and engine.push.duplicate == 0, (out, engine.summary())
        assert sent == applied and engine.push.sent == engine.push.applied
        first["cli" if sent > engine.push.sent else "engine"] += 1
        # the two rounds sent what was there; whatever was sold after both is still queued
        assert sent + engine.push.sent + till.pending() == queued + len(offline) + len(meanwhile)
        total_sold += len(offline) + len(meanwhile)
    settle([till])
    print(f"\n{races} races, {total_sold} sales; first to hold the lock: {first}")
    assert_converged(shop, [till])
    assert len(till.orders()) == total_sold

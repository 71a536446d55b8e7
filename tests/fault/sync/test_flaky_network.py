"""Hundreds of sync requests through a bad network while the tills keep selling: every
connection is refused, dropped before the server sees it, dropped after the server did the
work (the reply lost), cut in half, or held back beyond the client's read timeout, at random.
Then the network heals, a few plain rounds run, and the server holds every order and movement
exactly once, and every till agrees with it.

``TILLPOINT_FAULT_ROUNDS`` sets the least rounds (default 40, and more until 250 requests went
through the proxies; the requests scale with the rounds),
``TILLPOINT_FAULT_SEED`` the proxies' fates and the carts (printed).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.support.flaky_proxy import FaultPlan
from tests.support.sync_harness import Till, assert_converged, fault_rounds, settle

DEFAULT_ROUNDS = 40
MIN_REQUESTS = 250
READ_TIMEOUT_S = 1.5
BAD_NETWORK = FaultPlan(refuse=0.08, drop_request=0.08, drop_reply=0.10, cut_reply=0.08,
                        delay=0.04, delay_s=READ_TIMEOUT_S + 0.7)


@dataclass
class Tally:
    rounds: int = 0
    succeeded: int = 0
    failed: Counter = field(default_factory=Counter)  # by step
    applied: int = 0
    duplicate: int = 0

    def add(self, result) -> None:  # noqa: ANN001 - sync.engine.RoundResult
        self.rounds += 1
        self.applied += result.push.applied
        self.duplicate += result.push.duplicate
        if result.succeeded:
            self.succeeded += 1
        else:
            self.failed[result.failed_step] += 1


class Seller(threading.Thread):
    """Rings up sales on one till at random moments while its rounds run."""

    def __init__(self, till: Till, rng: random.Random) -> None:
        super().__init__(name=f"seller-{till.name}", daemon=True)
        self.till, self.rng = till, rng
        self.sold: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.wait(self.rng.uniform(0.05, 0.4)):
                self.sold.append(self.till.sell_random(self.rng))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def test_hundreds_of_rounds_through_a_bad_network_lose_and_double_nothing(shop, two_tills, seed):
    rng = random.Random(seed)
    rounds = fault_rounds(DEFAULT_ROUNDS)
    proxies = [shop.proxy(seed + n, BAD_NETWORK) for n, _ in enumerate(two_tills)]
    clients = [till.client(proxy.url, timeout=(1.0, READ_TIMEOUT_S), attempts=2)
               for till, proxy in zip(two_tills, proxies)]
    sellers = [Seller(till, random.Random(rng.random())) for till in two_tills]
    tally = Tally()
    started = time.monotonic()
    for seller in sellers:
        seller.start()
    # at least ``rounds`` rounds and the requests they are meant to make (rounds go faster or
    # slower with the machine's load: the requests are what meets the faults)
    wanted = MIN_REQUESTS * rounds // DEFAULT_ROUNDS
    try:
        while tally.rounds < len(two_tills) * rounds or sum(sum(p.fates.values()) for p in proxies) < wanted:
            if tally.rounds >= 10 * len(two_tills) * rounds:
                break
            for till, client in zip(two_tills, clients):
                tally.add(till.round(client))
    finally:
        for seller in sellers:
            seller.stop.set()
            seller.join(30)
        for proxy in proxies:
            proxy.stop()
    fates = sum((proxy.fates for proxy in proxies), Counter())
    sold = sum(len(seller.sold) for seller in sellers)
    healed = time.monotonic()
    passes = settle(two_tills)
    settled = time.monotonic()
    print(f"{tally.rounds // len(two_tills)} rounds x {len(two_tills)} tills in {time.monotonic() - started:.1f} s: "
          f"{sum(fates.values())} requests through the proxies {dict(fates)}; rounds "
          f"{tally.succeeded} through, failed {dict(tally.failed)}; {sold} sales, "
          f"{tally.applied} applied and {tally.duplicate} answered duplicate under faults; "
          f"settled in {passes} pass(es), {settled - healed:.1f} s")
    assert all(seller.error is None for seller in sellers), [s.error for s in sellers]
    assert_converged(shop, two_tills)
    print(f"convergence checked in {time.monotonic() - settled:.1f} s")
    assert sold == sum(len(till.orders()) for till in two_tills)
    if rounds >= DEFAULT_ROUNDS:  # a short run may not meet every fault
        assert sum(fates.values()) >= MIN_REQUESTS
        assert all(fates[fate] > 0 for fate in ("ok", "refuse", "drop_request", "drop_reply",
                                                "cut_reply", "delay")), fates
        assert tally.duplicate > 0  # some pushes were applied and their replies lost
        assert tally.succeeded > 0 and sum(tally.failed.values()) > 0

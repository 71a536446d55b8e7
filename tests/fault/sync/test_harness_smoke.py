"""The harness itself: two tills sell, settle, and the invariants hold; a sale counted on
one side only is caught."""

from __future__ import annotations

import random

from tests.support.sync_harness import assert_converged, convergence_problems, settle


def test_two_tills_sell_and_converge(shop, two_tills):
    rng = random.Random(1)
    for till in two_tills:
        for _ in range(5):
            till.sell_random(rng)
    settle(two_tills)
    assert_converged(shop, two_tills)
    a, _ = two_tills
    a.sell([a.variants()[0]])  # not pushed yet: the invariants must say so
    problems = convergence_problems(shop, two_tills)
    assert any("outbox" in p for p in problems) and any("only on the tills" in p
                                                        for p in problems), problems

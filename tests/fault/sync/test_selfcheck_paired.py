"""``tillpoint selfcheck`` on a paired till that has synced: a pulled stock level is the
server's count plus this till's unsent movements, not the sum of the till's own movements, so
the check that a level equals its movements does not hold for a paired till."""

from __future__ import annotations

import json
import random

from tests.support.tills import tillpoint


def test_selfcheck_finds_no_problem_on_a_synced_paired_till(shop, two_tills, seed):
    rng = random.Random(seed)
    one = two_tills[0]
    for till in two_tills:
        till.sell_random(rng)
        assert till.round().ok
    assert one.round().ok
    done = tillpoint(one.data_dir, "selfcheck", env=one.env)
    report = json.loads(done.stdout)
    assert report["problems"] == [], report["problems"][:3]

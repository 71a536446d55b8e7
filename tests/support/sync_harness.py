"""Real servers and real tills for the sync fault tests (``tests/fault/sync/``).

A :class:`Shop` is a ``tillpoint-server`` process on the session's SecantusDB, seeded with
the demo catalogue and stock, behind a *door*: a :class:`FlakyProxy` that the tills are paired
with. The door is the shop's stable address, so the server can be SIGKILLed and restarted on
another port (``Shop.restart``) while tills and ``tillpoint sync`` subprocesses keep their
pairing; it also carries network faults for every till at once (``Shop.faults``).

A :class:`Till` is a paired data directory with its own store, device key and cashier:
``sell`` rings up real cash sales, ``round`` runs one engine round (directly, or through a
client the test built, e.g. to a per-till proxy), ``sync_cli`` runs ``tillpoint sync`` as a
process. Readers on both sides return plain dicts, and :func:`assert_converged` checks the
invariants every fault test ends with (after :func:`settle`).

The pieces live in ``sync_shop`` (the server side) and ``sync_till`` (a till); import them
from here. STABLE API (other test files import it; additions only): ``start_shop``, ``Shop``
(``url``, ``db``, ``store_id``, ``baseline``, ``faults``, ``proxy``, ``kill``, ``restart``,
``copy_database``, ``owner``, ``admin``, ``codes``), ``seed_template`` and ``ShopTemplate``
(a database seeded once, each shop a copy of it: ``start_shop(..., template=)``),
``OwnerApi`` (``call``), ``make_tills``,
``pair_till``, ``Till`` (``sell``, ``sell_random``, ``sell_random_many``, ``variants``,
``round``, ``client``, ``engine``, ``sync_cli``, ``spawn_sync``, ``env``, ``orders``,
``movements``, ``levels``, ``pending``, ``outbox``, ``issues``, ``cursor``, ``position``,
``remote_orders``, ``reopen``, ``close``), ``close_each_request``, ``server_orders``,
``server_movements``, ``server_levels``, ``movement_sums``, ``mutation_counts``,
``order_entries``, ``skipped_orders``, ``fault_seed``, ``fault_rounds``, ``settle``,
``convergence_problems``, ``assert_converged``.
"""

from __future__ import annotations

import os
import random
from typing import Any, Sequence

from tests.support.sync_shop import (OwnerApi, Shop, ShopTemplate, movement_sums,
                                     mutation_counts, order_entries, seed_template,
                                     server_levels, server_movements, server_orders, start_shop)
from tests.support.sync_till import (FAST_TIMEOUT, Till, close_each_request, make_tills,
                                     pair_till)

__all__ = ["FAST_TIMEOUT", "OwnerApi", "Shop", "ShopTemplate", "Till", "assert_converged",
           "close_each_request", "convergence_problems", "fault_rounds", "fault_seed",
           "make_tills", "movement_sums", "mutation_counts", "order_entries", "pair_till",
           "seed_template", "server_levels", "server_movements", "server_orders", "settle",
           "skipped_orders", "start_shop"]


def fault_seed() -> int:
    """``TILLPOINT_FAULT_SEED`` or a fresh one; every test prints the seed it used."""
    raw = os.environ.get("TILLPOINT_FAULT_SEED")
    return int(raw) if raw else random.SystemRandom().randrange(1, 2**31)


def fault_rounds(default: int) -> int:
    """``TILLPOINT_FAULT_ROUNDS`` (a count: the kills, loops or rounds of each test) or the
    test's ``default``."""
    raw = os.environ.get("TILLPOINT_FAULT_ROUNDS")
    return max(1, int(raw)) if raw else default


def skipped_orders(shop: Shop, till: Till) -> list[str]:
    """Orders whose feed entry lies at or below the till's cursor but that the till does not
    hold: what a cursor that skipped would leave behind."""
    upto = till.position()
    held = till.remote_orders() | set(till.orders())
    return sorted(o for o, seq in order_entries(shop.db, shop.store_id).items()
                  if seq <= upto and o not in held)


# -- the end of every fault test ---------------------------------------------------------------

def settle(tills: Sequence[Till], *, passes: int = 6) -> int:
    """Rounds for every till (no faults: straight to the door) until a whole pass sent nothing
    and every outbox is empty, so the last pull of each till came after every push. Returns
    the passes it took."""
    for done in range(1, passes + 1):
        quiet = True
        for till in tills:
            result = till.round(till.client(attempts=5))
            quiet = quiet and result.succeeded and result.push.sent == 0
        if quiet and all(till.pending() == 0 for till in tills):
            return done
    problems = {t.name: (t.pending(), [o.last_error for o in t.outbox()][:3]) for t in tills}
    raise AssertionError(f"the tills did not settle in {passes} passes: {problems}")


def convergence_problems(shop: Shop, tills: Sequence[Till]) -> list[str]:
    """Everything that breaks the invariants; empty when the shop converged."""
    db = shop.db
    problems: list[str] = []
    for till in tills:
        if till.pending():
            problems.append(f"{till.name}: {till.pending()} outbox entries still unsent")
    union: dict[str, int] = {}
    for till in tills:
        union.update(till.orders())
    on_server = server_orders(db, shop.store_id)
    if set(on_server) != set(union):
        problems.append(f"orders only on the tills: {sorted(set(union) - set(on_server))[:5]}, "
                        f"only on the server: {sorted(set(on_server) - set(union))[:5]} "
                        f"({len(union)} on the tills, {len(on_server)} on the server)")
    wrong = [(o, union[o], on_server[o]) for o in union if o in on_server
             and on_server[o] != union[o]]
    if wrong:
        problems.append(f"order totals differ (id, till, server): {wrong[:5]}")
    twice = {o: n for o, n in mutation_counts(db, shop.store_id).items() if n != 1}
    if twice:
        problems.append(f"orders applied more than once: {dict(list(twice.items())[:5])}")
    problems += _movement_problems(shop, tills)
    problems += _level_problems(shop, tills)
    return problems


def _movement_problems(shop: Shop, tills: Sequence[Till]) -> list[str]:
    problems = []
    moved = server_movements(shop.db, shop.store_id)
    written: dict[str, dict[str, Any]] = {}
    for till in tills:
        written.update(till.movements())
    missing = sorted(set(written) - set(moved))
    if missing:
        problems.append(f"{len(missing)} till movements not on the server: {missing[:5]}")
    differ = [m for m in written if m in moved and moved[m] != written[m]]
    if differ:
        problems.append(f"movements that differ: {[(m, written[m], moved[m]) for m in differ[:3]]}")
    # a sale or return the server holds under an id no till wrote is a sale counted twice
    extra = sorted(m for m, doc in moved.items()
                   if doc["kind"] in ("sale", "return") and m not in written)
    if extra:
        problems.append(f"{len(extra)} sale/return movements on the server no till wrote: "
                        f"{extra[:5]}")
    return problems


def _level_problems(shop: Shop, tills: Sequence[Till]) -> list[str]:
    problems = []
    levels = server_levels(shop.db, shop.store_id)
    sums = movement_sums(shop.db, shop.store_id)
    for variant, on_hand in sorted(levels.items()):
        expected = shop.baseline.get(variant, 0) + sums.get(variant, 0)
        if on_hand != expected:
            problems.append(f"server level of {variant} is {on_hand}, its start plus its "
                            f"movements is {expected}")
    for till in tills:
        here = till.levels()
        differ = {v: (here.get(v, 0), levels.get(v, 0)) for v in set(here) | set(levels)
                  if here.get(v, 0) != levels.get(v, 0)}
        if differ:
            problems.append(f"{till.name}'s levels differ from the server's (till, server): "
                            f"{dict(sorted(differ.items())[:5])}")
    return problems


def assert_converged(shop: Shop, tills: Sequence[Till]) -> None:
    problems = convergence_problems(shop, tills)
    assert not problems, "not converged:\n  " + "\n  ".join(problems)

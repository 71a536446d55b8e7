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

STABLE API (other test files import it): ``start_shop``, ``Shop`` (``url``, ``db``,
``store_id``, ``baseline``, ``faults``, ``kill``, ``restart``, ``admin``, ``proxy``),
``make_tills``, ``Till`` (``sell``, ``sell_random``, ``round``, ``client``, ``engine``,
``orders``, ``movements``, ``levels``, ``pending``, ``issues``, ``cursor``, ``sync_cli``,
``spawn_sync``, ``env``, ``reopen``, ``close``), ``close_each_request``, ``server_orders``,
``server_movements``, ``server_levels``, ``mutation_counts``, ``settle``,
``assert_converged``.
"""

from __future__ import annotations

import contextlib
import random
import signal
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import urlsplit

import keyring
import requests
from pymongo import MongoClient
from pymongo.database import Database
from sqlalchemy import select

from app.config.paths import Paths
from db.engine import LocalStore
from db.models import Order, OutboxEntry, StockLevel, StockMovement, SyncIssue, SyncState
from sync.client import SyncClient
from sync.engine import RoundResult, SyncEngine
from sync.pairing import pair
from sync.status import SERVER_FEED
from tests.support.file_keyring import subprocess_env
from tests.support.flaky_proxy import FaultPlan, FlakyProxy
from tests.support.server_fixtures import BIN, ServerProcess
from tests.support.tills import (issue_code, pulled_cashier, seed_server, sellable_variants,
                                 spawn_tillpoint, tillpoint)

#: a fault test's client gives up fast: a delay fault longer than this read timeout is a
#: lost reply, and a round that cannot get through fails in seconds, not minutes
FAST_TIMEOUT = (1.0, 2.0)


# -- the server side ---------------------------------------------------------------------------

def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, url
    return port


@dataclass
class Shop:
    """A seeded server process behind its door; see the module docstring."""

    start: Callable[..., ServerProcess]  # the ``server_factory`` fixture
    process: ServerProcess
    door: FlakyProxy
    mongo_uri: str
    database: str
    store_id: str = ""
    #: per variant of the store: its level minus the sum of its movements after seeding (0 when
    #: the seed posted every unit as a movement); a level must keep this offset for ever
    baseline: dict[str, int] = field(default_factory=dict)
    restarts: int = 0
    _mongo: MongoClient | None = None

    @property
    def url(self) -> str:
        return self.door.url

    @property
    def db(self) -> Database:
        if self._mongo is None:
            self._mongo = MongoClient(self.mongo_uri)
        return self._mongo[self.database]

    @property
    def env(self) -> dict[str, str]:
        return self.process.env

    def faults(self, plan: FaultPlan | None) -> None:
        """Every connection through the door from now on draws its fate from ``plan``."""
        self.door.set_plan(plan or FaultPlan())

    def proxy(self, seed: int, plan: FaultPlan | None = None) -> FlakyProxy:
        """A started proxy of its own in front of the door (one till's bad Wi-Fi)."""
        return FlakyProxy("127.0.0.1", self.door.port, seed=seed, plan=plan or FaultPlan()).start()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        self.process.stop(sig, timeout=30)

    def restart(self, sig: int = signal.SIGKILL) -> None:
        """Stop the process (SIGKILL: no clean shutdown) and start a new one on the same
        database; the door forwards to the new one."""
        self.kill(sig)
        self.process = self.start(database=self.database)
        self.door.upstream_port = _port(self.process.base_url)
        self.restarts += 1

    def admin(self, *args: str, stdin: str | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
        """``tillpoint-server ARGS`` on this shop's database."""
        return subprocess.run([str(BIN / "tillpoint-server"), *args], env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=timeout)

    def take_baseline(self) -> None:
        levels = server_levels(self.db, self.store_id)
        sums = _movement_sums(self.db, self.store_id)
        self.baseline = {v: on_hand - sums.get(v, 0) for v, on_hand in levels.items()}

    def close(self) -> None:
        self.door.stop()
        if self._mongo is not None:
            self._mongo.close()


def start_shop(server_factory: Callable[..., ServerProcess], mongo_uri: str, *,
               products: int = 12, customers: int = 3, seed: int = 0) -> Shop:
    """A fresh server with the demo shop (``seed-demo``); the door lets everything through."""
    process = server_factory()
    seed_server(process, products=products, customers=customers)
    door = FlakyProxy("127.0.0.1", _port(process.base_url), seed=seed).start()
    shop = Shop(server_factory, process, door, mongo_uri, process.env["TILLPOINT_MONGODB_DB"])
    stores = list(shop.db.stores.find({}, {"_id": 1}))
    assert len(stores) == 1, stores
    shop.store_id = stores[0]["_id"]
    shop.take_baseline()
    return shop


def server_orders(db: Database, store_id: str) -> dict[str, int]:
    """The store's till orders on the server: ``{order_id: total}``."""
    return {d["_id"]: d["total"] for d in db.orders.find({"store_id": store_id, "channel": "till"},
                                                         {"total": 1})}


def server_movements(db: Database, store_id: str) -> dict[str, dict[str, Any]]:
    """Every stock movement of the store: ``{id: {variant_id, kind, quantity_milli}}``."""
    return {d["_id"]: {"variant_id": d["variant_id"], "kind": d["kind"],
                       "quantity_milli": d["quantity_milli"]}
            for d in db.stock_movements.find({"store_id": store_id},
                                             {"variant_id": 1, "kind": 1, "quantity_milli": 1})}


def _movement_sums(db: Database, store_id: str) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for movement in server_movements(db, store_id).values():
        sums[movement["variant_id"]] += movement["quantity_milli"]
    return dict(sums)


def server_levels(db: Database, store_id: str) -> dict[str, int]:
    """``{variant_id: on_hand_milli}`` of the store."""
    return {d["variant_id"]: d["on_hand_milli"]
            for d in db.stock_levels.find({"store_id": store_id},
                                          {"variant_id": 1, "on_hand_milli": 1})}


def mutation_counts(db: Database, store_id: str, kind: str = "order.created") -> Counter:
    """How many applied mutation records each entity has (a sale counted twice shows 2)."""
    return Counter(d["entity_id"] for d in db.sync_mutations.find(
        {"store_id": store_id, "kind": kind}, {"entity_id": 1, "status": 1})
        if d["status"] == "applied")


# -- the tills ---------------------------------------------------------------------------------

def close_each_request() -> requests.Session:
    """A session whose every request opens its own connection: a proxy draws one fate per
    connection, so this gives each request its own fate."""
    session = requests.Session()
    session.headers["Connection"] = "close"
    return session


@contextlib.contextmanager
def _without_keyring() -> Iterator[None]:
    """Pairing here must neither touch the user's keyring nor need one: the key is printed
    (``--print-key``) and each till keeps its own."""
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


@dataclass
class Till:
    name: str
    shop: Shop
    data_dir: Path
    device_id: str
    device_key: str
    store: LocalStore
    cashier: str = ""
    _variants: list[str] = field(default_factory=list)

    @property
    def paths(self) -> Paths:
        return Paths.resolve(self.data_dir)

    @property
    def env(self) -> dict[str, str]:
        """For a ``tillpoint`` subprocess of this till (its key as on a headless till)."""
        return subprocess_env(TILLPOINT_DEVICE_KEY=self.device_key)

    # talking to the server -----------------------------------------------------------------

    def client(self, url: str | None = None, *, timeout: tuple[float, float] = FAST_TIMEOUT,
               attempts: int = 3, backoff_base: float = 0.02, backoff_cap: float = 0.2,
               close_each: bool = True) -> SyncClient:
        """A client of this till to ``url`` (default: the door)."""
        return SyncClient(url or self.shop.url, device_id=self.device_id,
                          device_key=self.device_key, timeout=timeout, attempts=attempts,
                          backoff_base=backoff_base, backoff_cap=backoff_cap,
                          session=close_each_request() if close_each else None)

    def engine(self, client: SyncClient | None = None, *, lock_timeout: float = 60.0,
               pull_limit: int | None = None) -> SyncEngine:
        extra = {"pull_limit": pull_limit} if pull_limit else {}
        return SyncEngine(self.store, self.paths, client=client or self.client(),
                          lock_timeout=lock_timeout, **extra)

    def round(self, client: SyncClient | None = None, **engine: Any) -> RoundResult:
        """One engine round (through ``client`` when given, else straight to the door)."""
        own = client is None
        client = client or self.client()
        try:
            return self.engine(client, **engine).run_round()
        finally:
            if own:
                client.session.close()

    def sync_cli(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
        return tillpoint(self.data_dir, "sync", *args, env=self.env, timeout=timeout)

    def spawn_sync(self, *args: str) -> subprocess.Popen:
        return spawn_tillpoint(self.data_dir, "sync", *args, env=self.env)

    # selling -------------------------------------------------------------------------------

    def variants(self) -> list[str]:
        """Sellable variants pulled from the server (read once)."""
        if not self._variants:
            self._variants = sellable_variants(self.store, limit=1000)
        return self._variants

    def sell(self, items: Iterable[str | tuple[str, int]]) -> str:
        """One real sale paid in cash (its outbox entry is written with it); its order id.
        ``items``: variant ids (one unit each) or ``(variant_id, quantity_milli)``."""
        from app.domain.tenders import TenderMethod
        from app.sales.cart import Cart
        from app.sales.checkout import Tender, checkout

        cart = Cart()
        for item in items:
            variant_id, quantity = (item, 1000) if isinstance(item, str) else item
            cart.add(variant_id, quantity)
        with self.store.write() as session:
            return checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                            staff_id=self.cashier).id

    def sell_random(self, rng: random.Random, *, max_lines: int = 3,
                    variants: Sequence[str] | None = None) -> str:
        pool = list(variants or self.variants())
        lines = [(rng.choice(pool), 1000 * rng.randint(1, 3))
                 for _ in range(rng.randint(1, max_lines))]
        return self.sell(lines)

    # what the till holds -------------------------------------------------------------------

    def orders(self) -> dict[str, int]:
        """This till's own orders: ``{order_id: total}``."""
        with self.store.read() as session:
            return dict(session.execute(select(Order.id, Order.total)
                                        .where(Order.channel == "till")).all())

    def movements(self) -> dict[str, dict[str, Any]]:
        """The stock movements this till wrote: ``{id: {variant_id, kind, quantity_milli}}``."""
        with self.store.read() as session:
            rows = session.execute(select(StockMovement.id, StockMovement.variant_id,
                                          StockMovement.kind, StockMovement.quantity_milli))
            return {r.id: {"variant_id": r.variant_id, "kind": r.kind,
                           "quantity_milli": r.quantity_milli} for r in rows}

    def levels(self) -> dict[str, int]:
        with self.store.read() as session:
            return dict(session.execute(select(StockLevel.variant_id, StockLevel.quantity_milli)
                                        .where(StockLevel.store_id == self.shop.store_id)).all())

    def pending(self) -> int:
        with self.store.read() as session:
            return len(session.scalars(select(OutboxEntry.seq)).all())

    def outbox(self) -> list[OutboxEntry]:
        with self.store.read() as session:
            entries = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))
            session.expunge_all()
            return entries

    def issues(self) -> list[SyncIssue]:
        with self.store.read() as session:
            issues = list(session.scalars(select(SyncIssue).order_by(SyncIssue.id)))
            session.expunge_all()
            return issues

    def cursor(self) -> str | None:
        with self.store.read() as session:
            row = session.get(SyncState, SERVER_FEED)
            return row.cursor if row is not None else None

    def reopen(self) -> None:
        """Close and open the store again, as a restarted till process does."""
        self.store.close()
        self.store = LocalStore.open(self.paths.store)

    def close(self) -> None:
        self.store.close()


def pair_till(shop: Shop, data_dir: Path, register: str) -> Till:
    """A new data directory paired with ``register`` of the shop (through the door) and its
    first round done (catalogue, staff and stock pulled)."""
    code = issue_code(shop.process, register=register)
    store = LocalStore.open(Paths.resolve(data_dir).store)
    with _without_keyring():
        paired = pair(store, server=shop.url, code=code, print_key=True)
    assert paired.device_key
    till = Till(register, shop, data_dir, paired.device_id, paired.device_key, store)
    first = till.round()
    assert first.ok, first.problem()
    till.cashier = pulled_cashier(store)
    assert till.cashier and till.variants(), "the first pull brought no cashier or no products"
    return till


def make_tills(shop: Shop, count: int, root: Path) -> list[Till]:
    """``count`` tills of the shop's store, registers R01.., data in ``root/R01``..."""
    return [pair_till(shop, root / f"R{n:02d}", f"R{n:02d}") for n in range(1, count + 1)]


# -- the end of every fault test ---------------------------------------------------------------

def settle(tills: Sequence[Till], *, passes: int = 6) -> int:
    """Rounds for every till (no faults: straight to the door) until a whole pass sent nothing
    and every outbox is empty, so the last pull of each till came after every push. Returns
    the passes it took."""
    for done in range(1, passes + 1):
        quiet = True
        for till in tills:
            result = till.round(till.client(timeout=(3.05, 30.0), attempts=5))
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
    sums = _movement_sums(shop.db, shop.store_id)
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

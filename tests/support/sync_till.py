"""A paired till for the sync fault tests: its own data directory, store, device key and
cashier; real cash sales, engine rounds (directly or through a client the test built) and
``tillpoint sync`` as a process; plain-dict readers of what it holds. Part of the sync fault
harness (``tests.support.sync_harness`` re-exports everything here)."""

from __future__ import annotations

import contextlib
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import keyring
import requests
from sqlalchemy import select

from app.config.paths import Paths
from app.domain.sync_protocol import decode_cursor, store_feed
from db.engine import LocalStore
from db.models import (Order, OutboxEntry, RemoteOrder, StockLevel, StockMovement, SyncIssue,
                       SyncState)
from sync.client import DEFAULT_TIMEOUT, SyncClient
from sync.engine import RoundResult, SyncEngine
from sync.pairing import pair
from sync.status import SERVER_FEED
from tests.support.file_keyring import subprocess_env
from tests.support.new_store import open_new_store
from tests.support.sync_shop import Shop
from tests.support.tills import (issue_code, pulled_cashier, sellable_variants, spawn_tillpoint,
                                 tillpoint)

#: a fault test's client gives up fast: a delay fault longer than this read timeout is a
#: lost reply, and a round that cannot get through fails in seconds, not minutes
FAST_TIMEOUT = (1.0, 2.0)


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
        """A client of this till to ``url`` (default: the door) that gives up fast."""
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
        """One engine round through ``client``, else straight to the door with the product's
        timeouts (a push slower than ``FAST_TIMEOUT``'s read timeout would be sent again and
        answered ``duplicate``: right, but noise where no fault is meant)."""
        own = client is None
        client = client or self.client(timeout=DEFAULT_TIMEOUT)
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
        with self.store.write() as session:
            return self._checkout(session, items)

    def _checkout(self, session: Any, items: Iterable[str | tuple[str, int]]) -> str:
        from app.domain.tenders import TenderMethod
        from app.sales.cart import Cart
        from app.sales.checkout import Tender, checkout

        cart = Cart()
        for item in items:
            variant_id, quantity = (item, 1000) if isinstance(item, str) else item
            cart.add(variant_id, quantity)
        return checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                        staff_id=self.cashier).id

    @staticmethod
    def _random_lines(rng: random.Random, pool: Sequence[str],
                      max_lines: int) -> list[tuple[str, int]]:
        return [(rng.choice(pool), 1000 * rng.randint(1, 3))
                for _ in range(rng.randint(1, max_lines))]

    def sell_random(self, rng: random.Random, *, max_lines: int = 3,
                    variants: Sequence[str] | None = None) -> str:
        return self.sell(self._random_lines(rng, list(variants or self.variants()), max_lines))

    def sell_random_many(self, rng: random.Random, count: int, *, max_lines: int = 3,
                         variants: Sequence[str] | None = None) -> list[str]:
        """``count`` random sales as ``sell_random`` rings them up (the same draws of ``rng``),
        each a whole checkout with its outbox entry, all committed in one transaction: sales
        queued before a sync starts, at about half the cost of one commit (and fsync) each."""
        pool = list(variants or self.variants())
        with self.store.write() as session:
            return [self._checkout(session, self._random_lines(rng, pool, max_lines))
                    for _ in range(count)]

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

    def remote_orders(self) -> set[str]:
        """Ids of the store's orders pulled from the server (other registers', online)."""
        with self.store.read() as session:
            return set(session.scalars(select(RemoteOrder.id)))

    def position(self, feed: str | None = None) -> int:
        """How far the pull's cursor is in ``feed`` (default: this store's feed)."""
        positions = decode_cursor(self.cursor())
        return positions.get(feed or store_feed(self.shop.store_id), (None, 0))[1]

    def reopen(self) -> None:
        """Close and open the store again, as a restarted till process does."""
        self.store.close()
        self.store = LocalStore.open(self.paths.store)

    def close(self) -> None:
        self.store.close()


def pair_till(shop: Shop, data_dir: Path, register: str) -> Till:
    """A new data directory paired with ``register`` of the shop (through the door) and its
    first round done (catalogue, staff and stock pulled)."""
    code = shop.codes.pop(register, None) or issue_code(shop.process, register=register)
    store = open_new_store(Paths.resolve(data_dir).store)
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

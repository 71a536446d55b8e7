"""A seeded ``tillpoint-server`` process behind its *door* (a :class:`FlakyProxy` the tills are
paired with: the shop's stable address across SIGKILL restarts, and the place to put network
faults for every till at once), and plain-dict readers of the server's database. Part of the
sync fault harness (``tests.support.sync_harness`` re-exports everything here)."""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable
from urllib.parse import urlsplit

import requests
from pymongo import MongoClient
from pymongo.database import Database

from app.domain.sync_protocol import store_feed
from tests.support.flaky_proxy import FaultPlan, FlakyProxy
from tests.support.server_fixtures import BIN, ServerProcess, server_env
from tests.support.tills import issue_code, seed_server


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
    copies: list[str] = field(default_factory=list)
    #: pairing codes issued before the shop started (a template's), by register; each is used
    #: once, by the first till paired with its register
    codes: dict[str, str] = field(default_factory=dict)
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

    def restart(self, sig: int = signal.SIGKILL, *, database: str | None = None) -> None:
        """Stop the process (SIGKILL: no clean shutdown) and start a new one on the same
        database (or on ``database``, e.g. a copy: a server restored from a backup); the door
        forwards to the new one."""
        self.kill(sig)
        self.database = database or self.database
        self.process = self.start(database=self.database)
        self.door.upstream_port = _port(self.process.base_url)
        self.restarts += 1

    def copy_database(self, name: str) -> str:
        """Copy every collection of the shop's database to ``name`` (a backup taken now;
        the server rebuilds indexes when it starts on it)."""
        copy_collections(self.db, self.db.client[name])
        self.copies.append(name)
        return name

    def owner(self) -> "OwnerApi":
        """The owner's HTTP API on the server process itself (past the door and its faults),
        as a new owner account created with ``tillpoint-server create-user``."""
        email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
        made = self.admin("create-user", "--email", email, "--role", "owner", "--name", "Owner",
                          stdin=OWNER_PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
        return OwnerApi(self, email)

    def admin(self, *args: str, stdin: str | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
        """``tillpoint-server ARGS`` on this shop's database."""
        return subprocess.run([str(BIN / "tillpoint-server"), *args], env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=timeout)

    def take_baseline(self) -> None:
        levels = server_levels(self.db, self.store_id)
        sums = movement_sums(self.db, self.store_id)
        self.baseline = {v: on_hand - sums.get(v, 0) for v, on_hand in levels.items()}

    def close(self) -> None:
        # The data is throwaway and a graceful shutdown proves nothing here (it took ~0.6 s,
        # and a proxy's half-closed connections could hold it for its full 30 s): SIGKILL.
        self.door.stop()
        self.process.stop(signal.SIGKILL)
        if self._mongo is not None:
            self._mongo.close()


OWNER_PASSWORD = "owner password for the fault tests"


class OwnerApi:
    """``call(method, path, **requests_kwargs)`` on ``/api/v1`` as a logged-in owner; follows
    the shop to its current process across restarts."""

    def __init__(self, shop: Shop, email: str) -> None:
        self.shop, self.email = shop, email
        self.http = requests.Session()
        self._login()

    def _login(self) -> None:
        reply = self.http.post(self.shop.process.url("/api/v1/auth/login"), timeout=20,
                               json={"email": self.email, "password": OWNER_PASSWORD})
        assert reply.status_code == 200, reply.text
        self.http.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.shop.process.url(f"/api/v1{path}"), timeout=30,
                                 **kwargs)


def copy_collections(source: Database, target: Database) -> None:
    """Every document of every collection of ``source`` into ``target`` (indexes are the
    server's to build: it ensures them at every start)."""
    for collection in source.list_collection_names():
        docs = list(source[collection].find())
        if docs:
            target[collection].insert_many(docs)


@dataclass(frozen=True)
class ShopTemplate:
    """A database seeded once (``seed_template``) that each shop starts from a copy of."""

    mongo_uri: str
    database: str
    #: one-time pairing codes, by register, issued in the template (each copy has its own)
    codes: dict[str, str]


#: a template's codes must outlive the test session that issued them
TEMPLATE_CODE_MINUTES = 24 * 60


def seed_template(mongo_uri: str, work_dir: Path, *, products: int = 12, customers: int = 3,
                  registers: int = 3) -> ShopTemplate:
    """The demo shop (``seed-demo``) and a pairing code for each of registers R01..R``nn``,
    made with the server's admin commands on a database of their own, once: seeding each
    shop and asking for its codes took ~3.5 s of the ~5 s it took to set up."""
    database = f"t_template_{uuid.uuid4().hex[:12]}"
    env = server_env({"TILLPOINT_MONGODB_URI": mongo_uri, "TILLPOINT_MONGODB_DB": database,
                      "TILLPOINT_PAIRING_CODE_MINUTES": str(TEMPLATE_CODE_MINUTES)}, work_dir)
    admin = SimpleNamespace(env=env)  # the admin commands need no server running
    seed_server(admin, products=products, customers=customers)
    codes = {f"R{n:02d}": issue_code(admin, register=f"R{n:02d}")
             for n in range(1, registers + 1)}
    return ShopTemplate(mongo_uri, database, codes)


def start_shop(server_factory: Callable[..., ServerProcess], mongo_uri: str, *,
               products: int = 12, customers: int = 3, seed: int = 0,
               template: ShopTemplate | None = None) -> Shop:
    """A fresh server with the demo shop (``seed-demo``; or a copy of ``template``, whose
    ``products`` and ``customers`` it has: then ``server_factory`` must be ``servers_on``'s,
    which names the database it starts on); the door lets everything through."""
    codes: dict[str, str] = {}
    if template is not None:
        with MongoClient(template.mongo_uri) as source, MongoClient(mongo_uri) as target:
            copy_collections(source[template.database], target[server_factory.database])  # type: ignore[attr-defined]
        codes = dict(template.codes)
        process = server_factory()
    else:
        process = server_factory()
        seed_server(process, products=products, customers=customers)
    door = FlakyProxy("127.0.0.1", _port(process.base_url), seed=seed).start()
    shop = Shop(server_factory, process, door, mongo_uri, process.env["TILLPOINT_MONGODB_DB"],
                codes=codes)
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


def movement_sums(db: Database, store_id: str) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for movement in server_movements(db, store_id).values():
        sums[movement["variant_id"]] += movement["quantity_milli"]
    return dict(sums)


def server_levels(db: Database, store_id: str) -> dict[str, int]:
    """``{variant_id: on_hand_milli}`` of the store."""
    return {d["variant_id"]: d["on_hand_milli"]
            for d in db.stock_levels.find({"store_id": store_id},
                                          {"variant_id": 1, "on_hand_milli": 1})}


def order_entries(db: Database, store_id: str) -> dict[str, int]:
    """``{order_id: seq of its first entry}`` in the store's feed."""
    first: dict[str, int] = {}
    for entry in db.change_log.find({"feed": store_feed(store_id), "entity": "order"},
                                    {"entity_id": 1, "seq": 1}):
        first[entry["entity_id"]] = min(entry["seq"], first.get(entry["entity_id"], entry["seq"]))
    return first


def mutation_counts(db: Database, store_id: str, kind: str = "order.created") -> Counter:
    """How many applied mutation records each entity has (a sale counted twice shows 2)."""
    return Counter(d["entity_id"] for d in db.sync_mutations.find(
        {"store_id": store_id, "kind": kind}, {"entity_id": 1, "status": 1})
        if d["status"] == "applied")



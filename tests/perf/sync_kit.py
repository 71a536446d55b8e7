"""The measuring kit of ``bench_sync``: CPU seconds per process, a client wrapper that times
its HTTP calls and keeps what it pushed, a per-collection command counter for pymongo,
sequential timed calls, and the till's side of the setup (an empty store paired over HTTP,
offline sales, the documents a push names copied to a fresh database)."""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pymongo.monitoring import CommandListener

from tests.perf.bench_server import percentile

WARMUP_ROUNDS = 5


def load_average() -> float | None:
    """The 1-minute load average (None where the system has none): other work on the machine
    inflates wall times, not CPU seconds."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None
COPY_CHUNK = 500


class Cpu:
    """CPU seconds spent by this process and by the server's and the database's processes
    (found under ``/proc`` by their command lines; on a system without ``/proc`` only this
    process is counted, the others read as 0)."""

    def __init__(self, storage: Path, api_port: str) -> None:
        self.db: list[Path] = []
        self.server: list[Path] = []
        parents: dict[Path, str] = {}
        for folder in Path("/proc").glob("[0-9]*"):
            try:
                args = (folder / "cmdline").read_bytes().decode(errors="replace").split("\0")
                parents[folder] = (folder / "stat").read_text().rsplit(")", 1)[1].split()[1]
            except OSError:
                continue
            if any("secantusd" in a for a in args) and str(storage) in args:
                self.db.append(folder)
            elif any(a.endswith("tillpoint-server") for a in args) and \
                    any(a == "--port" and b == api_port for a, b in zip(args, args[1:])):
                self.server.append(folder)
        # worker processes (``--workers`` > 1) are the server's children
        self.server += [f for f, ppid in parents.items()
                        if ppid in {s.name for s in self.server}]

    @staticmethod
    def _seconds(folders: list[Path]) -> float:
        if not folders:
            return 0.0
        total = 0
        for folder in folders:
            try:
                fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime of the process
        return total / os.sysconf("SC_CLK_TCK")

    def sample(self) -> tuple[float, float, float]:
        return time.process_time(), self._seconds(self.server), self._seconds(self.db)

    def since(self, before: tuple[float, float, float], name: str) -> dict[str, float]:
        till, server, db = (b - a for a, b in zip(before, self.sample()))
        return {f"{name}_cpu_till": till, f"{name}_cpu_server": server, f"{name}_cpu_db": db}


@dataclass
class Recorder:
    """The real client, with the time spent inside its HTTP calls and the batches it pushed."""

    client: Any
    http_s: float = 0.0
    batches: list[list[dict[str, Any]]] = field(default_factory=list)

    def changes(self, cursor: str | None, limit: int) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return self.client.changes(cursor, limit)
        finally:
            self.http_s += time.perf_counter() - started

    def push(self, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(mutations)
        started = time.perf_counter()
        try:
            return self.client.push(mutations)
        finally:
            self.http_s += time.perf_counter() - started


class Commands(CommandListener):
    """Per command and collection (``"update stock_levels"``): how many were sent, the
    documents they inserted, updated or deleted, and the seconds until each was answered."""

    def __init__(self) -> None:
        self.by_name: dict[str, list[float]] = {}  # name -> [commands, documents, seconds]
        self._open: dict[int, str] = {}

    def reset(self) -> None:
        self.by_name.clear()

    def total(self, index: int) -> float:
        return sum(row[index] for row in self.by_name.values())

    def top(self, count: int) -> list[tuple[str, list[float]]]:
        return sorted(self.by_name.items(), key=lambda item: -item[1][2])[:count]

    def started(self, event: Any) -> None:
        target = event.command.get(event.command_name)
        name = f"{event.command_name} {target}" if isinstance(target, str) else event.command_name
        row = self.by_name.setdefault(name, [0, 0, 0.0])
        row[0] += 1
        row[1] += sum(len(event.command.get(key) or ()) for key in ("documents", "updates",
                                                                      "deletes"))
        self._open[event.request_id] = name

    def succeeded(self, event: Any) -> None:
        name = self._open.pop(event.request_id, None)
        if name in self.by_name:
            self.by_name[name][2] += event.duration_micros / 1e6

    def failed(self, event: Any) -> None:
        self.succeeded(event)


def timed_calls(call: Callable[[], bool], count: int) -> dict[str, Any]:
    """``count`` sequential calls after a few unmeasured ones: the same figures as the other
    benchmarks' rows (rate, p50, p99, count, errors)."""
    for _ in range(WARMUP_ROUNDS):
        call()
    samples, errors, started = [], 0, time.perf_counter()
    for _ in range(count):
        began = time.perf_counter_ns()
        if call():
            samples.append(time.perf_counter_ns() - began)
        else:
            errors += 1
    elapsed = time.perf_counter() - started
    if not samples:
        raise RuntimeError(f"no call succeeded ({errors} failed)")
    return {"count": len(samples), "errors": errors, "rps": len(samples) / elapsed,
            "p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99)}


def open_till(folder: Path, me: dict[str, Any]) -> Any:
    """An empty local store with the server's store and register ids (what pairing makes)."""
    from app.setup import initialise
    from db.engine import LocalStore

    folder.mkdir(parents=True)
    store = LocalStore.open(folder / "tillpoint.sqlite3")
    with store.write() as session:
        initialise(session, store_id=me["store_id"], register_id=me["register_id"],
                   store_code=me.get("store_code") or "S01",
                   store_name=me.get("store_name") or "Store",
                   currency=me.get("currency") or "EUR",
                   prices_include_tax=bool(me.get("prices_include_tax", True)),
                   timezone=me.get("timezone") or "UTC",
                   register_code=me.get("register_code") or "R01")
    return store


def pair(db: Any, base: str, folder: Path) -> tuple[Any, Any, dict[str, Any], str]:
    """Pair a new device over HTTP: ``(store, client, whoami, device_key)``."""
    from server.devices import service as devices
    from sync.client import SyncClient, pair_device
    from sync.credentials import Pairing, remember_pairing

    issued = devices.issue_pairing_code(db, store_code=None, register_code="R01", minutes=10,
                                        actor="bench", ip=None)
    paired = pair_device(base, issued["code"])
    client = SyncClient(base, device_id=paired["device_id"], device_key=paired["device_key"])
    me = client.whoami()
    store = open_till(folder, me)
    with store.write() as session:
        remember_pairing(session, Pairing(base, me["device_id"], me["store_id"]))
    return store, client, me, paired["device_key"]


def ring_up(till: Any, orders: int, seed: int = 7) -> float:
    """``orders`` cash sales of 1–4 random pulled items; returns the seconds they took."""
    from sqlalchemy import select

    from app.domain.tenders import TenderMethod
    from app.sales.cart import Cart
    from app.sales.checkout import Tender, checkout
    from db.models import Product, StaffUser, Variant

    with till.read() as session:
        variants = session.execute(
            select(Variant.id, Product.sold_by_weight).join(Product)
            .where(Variant.archived.is_(False), Product.archived.is_(False),
                   Variant.price > 0).order_by(Variant.sku)).all()
        cashier = session.scalar(select(StaffUser.id).where(
            StaffUser.role == "cashier", StaffUser.active.is_(True)).order_by(StaffUser.email))
    if not variants or cashier is None:
        raise RuntimeError("the pull brought no sellable variants or no cashier")
    rng, started = random.Random(seed), time.perf_counter()
    for _ in range(orders):
        cart = Cart()
        for variant_id, weighed in rng.sample(variants, min(len(variants), rng.randint(1, 4))):
            cart.add(variant_id, rng.randrange(100, 2000) if weighed else rng.randint(1, 3) * 1000)
        with till.write() as session:
            checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier)
    return time.perf_counter() - started


def copy_named(source: Any, target: Any, store_id: str,
                batches: list[list[dict[str, Any]]]) -> None:
    """What the handlers read: the small collections whole, the named products and levels."""
    for name in ("stores", "registers", "users", "tax_classes", "categories"):
        docs = list(source[name].find())
        if docs:
            target[name].insert_many(docs, ordered=False)
    variants = sorted({line["variant_id"] for batch in batches for m in batch
                       for line in m["payload"].get("lines", []) if line.get("variant_id")})
    for first in range(0, len(variants), COPY_CHUNK):
        chunk = variants[first:first + COPY_CHUNK]
        products = {p["_id"]: p for p in source.products.find({"variants.id": {"$in": chunk}})}
        fresh_ids = set(products) - {p["_id"] for p in target.products.find(
            {"_id": {"$in": sorted(products)}}, {"_id": 1})}
        if fresh_ids:
            target.products.insert_many([products[i] for i in sorted(fresh_ids)], ordered=False)
        level_ids = [f"{store_id}:{variant_id}" for variant_id in chunk]
        levels = list(source.stock_levels.find({"_id": {"$in": level_ids}}))
        if levels:
            target.stock_levels.insert_many(levels, ordered=False)


def count_rows(store: Any, model: Any) -> int:
    from sqlalchemy import func, select

    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0

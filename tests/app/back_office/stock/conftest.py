"""A small stockroom for the stock back office's service tests: a mug sold by the piece (10
in stock, low at 3), cheese sold by weight, a stock clerk, a support user (no stock:write) and
a second store of the chain to transfer to."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import inventory
from app.setup import initialise
from app.sales.identity import this_register
from db.engine import LocalStore
from db.models import AuditEntry, Category, OutboxEntry, StockMovement, Store
from tests.support import catalog


@dataclass
class Stockroom:
    store: LocalStore
    store_id: str
    other_store_id: str
    clerk: str
    support: str
    mug: str  # variant ids
    mug_barcode: str
    cheese: str
    category_id: str

    def level(self, variant_id: str) -> int:
        with self.store.read() as s:
            return inventory.level(s, store_id=self.store_id, variant_id=variant_id)

    def written(self) -> tuple[int, int, int]:
        """(movements, outbox entries, audit entries): what a refusal must leave unchanged."""
        with self.store.read() as s:
            return tuple(s.scalar(select(func.count()).select_from(t))
                         for t in (StockMovement, OutboxEntry, AuditEntry))

    def outbox(self, kind: str) -> list[dict]:
        with self.store.read() as s:
            return [json.loads(p) for p in s.scalars(select(OutboxEntry.payload)
                                                     .where(OutboxEntry.kind == kind)
                                                     .order_by(OutboxEntry.seq))]


@pytest.fixture(scope="session")
def room_template(tmp_path_factory) -> tuple[Path, dict]:
    """The stockroom made once per run (a migrated store costs most of a second); each test
    gets a copy of the file, page by page with SQLite's backup API, as ``shop`` does."""
    path = tmp_path_factory.mktemp("stockroom") / "tillpoint.sqlite3"
    template = LocalStore.open(path)
    try:
        with template.write() as s:
            initialise(s, store_name="Test Shop", currency="EUR")
            ids = _fill(s)
    finally:
        template.close()
    return path, ids


@pytest.fixture
def room(tmp_path: Path, room_template) -> Stockroom:
    path, ids = room_template
    copy = tmp_path / "tillpoint.sqlite3"
    source, target = sqlite3.connect(path), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    local = LocalStore.open(copy)  # already at the newest schema: nothing migrates
    yield Stockroom(local, **ids)
    local.close()


def _fill(s) -> dict:  # noqa: ANN001
    kitchen = Category(name="Kitchen")
    s.add(kitchen)
    s.flush()
    mug = catalog.product(s, "Mug", 900, stock_milli=10_000, cost=400)
    mug.product.low_stock_threshold = 3_000
    mug.product.category_id = kitchen.id
    cheese = catalog.product(s, "Gouda", 1890, sold_by_weight=True, cost=1000)
    other = Store(code="S02", name="Harbour Street", currency="EUR")
    s.add(other)
    s.flush()
    return dict(store_id=this_register(s)[0].id, other_store_id=other.id,
                clerk=catalog.staff(s, role="stock_clerk").id,
                support=catalog.staff(s, role="support").id, mug=mug.id,
                mug_barcode=mug.barcodes[0].code, cheese=cheese.id, category_id=kitchen.id)

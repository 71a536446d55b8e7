"""The demo shop with a manager, a stock clerk and a cashier, and a way to write CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, Customer, OutboxEntry, StockLevel, StockMovement, Variant
from tests.support import catalog


@pytest.fixture
def people(shop):
    with shop.write() as s:
        return {role: catalog.staff(s, role=role).id
                for role in ("manager", "stock_clerk", "cashier", "moderator")}


@pytest.fixture
def write_csv(tmp_path: Path):
    def write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path
    return write


def snapshot(store) -> dict[str, int]:
    """What an import writes, counted: unchanged counts prove nothing was written."""
    with store.read() as s:
        return {"outbox": s.scalar(select(func.count()).select_from(OutboxEntry)),
                "movements": s.scalar(select(func.count()).select_from(StockMovement)),
                "stock": s.scalar(select(func.sum(StockLevel.quantity_milli))) or 0,
                "customers": s.scalar(select(func.count()).select_from(Customer)),
                "customer_names": hash(tuple(s.scalars(select(Customer.name)
                                                       .order_by(Customer.id)))),
                "prices": s.scalar(select(func.sum(Variant.price))),
                "audit": s.scalar(select(func.count()).select_from(AuditEntry))}

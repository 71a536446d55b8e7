"""Daily backups: one a day, the newest ``backup.keep`` automatic ones kept and nothing else
ever deleted; and a backup taken while another thread keeps selling (a sale provably committed
half-way through the copy) restores, into a fresh data directory, with every sale committed
before the copy ended, each one whole."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app import audit
from app import backup as backup_module
from app.backup import restore
from app.backup_schedule import back_up_now, is_due, list_backups, run_if_due, take_daily
from app.config.paths import Paths
from app.config.settings import Settings
from db import search_index
from db.engine import LocalStore
from db.models import Order, OrderLine, OutboxEntry, Payment, StockMovement
from tests.support.tills import sell, stocked_shop


def test_one_backup_a_day_and_only_its_own_files_rotate(blank_shop, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    by_hand = folder / "tillpoint-20260101-090000.sqlite3"  # `tillpoint backup`, long ago
    by_hand.write_bytes(b"kept")
    other = folder / "notes.txt"
    other.write_text("mine")
    day = datetime(2026, 3, 1, 8, 30)
    taken = []
    for n in range(5):
        now = day + timedelta(days=n)
        assert is_due(folder, now)
        result = take_daily(blank_shop.path, folder, keep=3, now=now)
        assert result.taken is not None
        taken.append(result.taken.file)
        assert not is_due(folder, now + timedelta(hours=9))  # later that day
        again = take_daily(blank_shop.path, folder, keep=3, now=now + timedelta(hours=1))
        assert again.taken is None
    assert [b.path for b in list_backups(folder) if b.automatic] == taken[:1:-1]
    assert by_hand.read_bytes() == b"kept" and other.read_text() == "mine"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [by_hand.name, other.name] + [p.name for p in taken[2:]])
    # a backup taken by hand today makes the daily one unnecessary, and is never rotated
    paths = Paths(blank_shop.path.parent)  # the fixture's store is this data dir's
    settings = Settings(tmp_path / "settings.toml")
    settings.set("backup.dir", str(folder))
    settings.set("backup.keep", "1")
    hand = back_up_now(paths, settings, now=day + timedelta(days=9))
    assert hand.file.name == "tillpoint-20260310-083000.sqlite3"
    result = run_if_due(paths, settings, now=day + timedelta(days=9))
    assert result.taken is None and len(result.removed) == 2  # keep 1: the newest automatic one
    assert hand.file.exists() and by_hand.exists()


class _CopyInSteps(sqlite3.Connection):
    """The store's connection of a backup that copies 64 pages at a time and calls ``between``
    after each step: the copy stays open while sales commit (the real one copies in a single
    step, far too quick to catch a sale in the middle)."""

    between = staticmethod(lambda: None)

    def backup(self, target, **_kwargs):  # noqa: ANN001, ANN003, ANN201
        return super().backup(target, pages=64, sleep=0, progress=lambda *_: self.between())


def test_a_backup_taken_during_sales_restores_every_committed_sale_whole(blank_shop, tmp_path,
                                                                         monkeypatch):
    cashier, variants = stocked_shop(blank_shop, products=2)
    committed: list[str] = []
    stop = threading.Event()
    sold_enough = threading.Event()
    one_sold = threading.Event()

    def keep_selling() -> None:
        n = 0
        while not stop.is_set():
            committed.append(sell(blank_shop, cashier, variants[n % 2]))  # after its COMMIT
            one_sold.set()
            n += 1
            if n == 20:
                sold_enough.set()

    during: list[str] = []  # sales committed after the copy began, before it ended

    def between_pages() -> None:
        if not during:  # once, with the copy half done: one more sale commits, then stop
            sold = len(committed)
            one_sold.clear()
            assert one_sold.wait(30)  # the seller thread commits meanwhile
            stop.set()
            seller.join(60)
            during.extend(committed[sold:])

    def connect(path):  # noqa: ANN001, ANN202 - app.backup._connect, copying in steps
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                     factory=_CopyInSteps)
        connection.execute("PRAGMA busy_timeout=5000")
        search_index.register_functions(connection)
        connection.between = between_pages
        return connection

    monkeypatch.setattr(backup_module, "_connect", connect)
    seller = threading.Thread(target=keep_selling)
    seller.start()
    try:
        assert sold_enough.wait(60)
        before = list(committed)  # every one of these committed before the backup began
        result = take_daily(blank_shop.path, tmp_path / "backups", keep=7)
    finally:
        stop.set()
        seller.join(60)
    assert during and len(committed) >= len(before)  # a sale committed inside the copy

    fresh = Paths(tmp_path / "fresh")
    fresh.data_dir.mkdir()
    restore(fresh.store, result.taken.file)
    restored = LocalStore.open(fresh.store)
    try:
        with restored.read() as s:
            ids = set(s.scalars(select(Order.id)))
            # every sale committed before the copy ended is in it, the one made half-way too
            assert set(before) <= ids and ids == set(committed) | set(during)
            for order in s.scalars(select(Order)):
                lines = s.scalar(select(func.count()).select_from(OrderLine)
                                 .where(OrderLine.order_id == order.id))
                paid = s.scalar(select(func.sum(Payment.amount))
                                .where(Payment.order_id == order.id))
                moved = s.scalar(select(func.count()).select_from(StockMovement)
                                 .where(StockMovement.order_id == order.id))
                queued = s.scalar(select(func.count()).select_from(OutboxEntry).where(
                    OutboxEntry.kind == "order.created", OutboxEntry.entity_id == order.id))
                assert (lines, moved, queued) == (1, 1, 1) and paid == order.total
            assert audit.verify(s)[1] is None
    finally:
        restored.close()

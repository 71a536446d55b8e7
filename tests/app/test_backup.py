"""``tillpoint backup`` / ``tillpoint restore`` on real stores: a consistent copy while the till
sells, a restore that refuses to drop unsynced sales (or says what it dropped), never hands out
an order number twice, keeps the current store aside, and refuses what is not a backup of
this till."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from alembic import command
from sqlalchemy import delete, func, select

import main
from app import audit
from app.backup import backup, restore
from app.domain.errors import InvalidInput, RuleViolation
from app.sales.identity import get_local, set_local
from app.setup import initialise
from db.engine import LocalStore, StoreError, alembic_config
from db.models import Order, OutboxEntry
from tests.support.tills import sell, stocked_shop


@pytest.fixture
def selling(blank_shop):
    cashier, variants = stocked_shop(blank_shop, products=1)
    return blank_shop, lambda: sell(blank_shop, cashier, variants[0])


def numbers(store) -> list[str]:
    with store.read() as session:
        return list(session.scalars(select(Order.number).order_by(Order.number)))


def acknowledge_all(store) -> None:
    """What a push does once the server answered: the entries leave the outbox."""
    with store.write() as session:
        session.execute(delete(OutboxEntry))


def test_a_backup_taken_while_the_till_sells_is_consistent(selling, tmp_path):
    store, ring = selling
    stop = threading.Event()

    def keep_selling() -> None:
        while not stop.is_set():
            ring()

    seller = threading.Thread(target=keep_selling)
    seller.start()
    try:
        copies = [backup(store.path, tmp_path / f"copy-{n}.sqlite3") for n in range(3)]
    finally:
        stop.set()
        seller.join(30)
    for report in copies:
        assert not report.file.with_name(report.file.name + "-wal").exists()
        copy = LocalStore.open(report.file)
        try:
            with copy.read() as session:
                orders = session.scalar(select(func.count()).select_from(Order))
                entries = session.scalar(select(func.count()).select_from(OutboxEntry)
                                         .where(OutboxEntry.kind == "order.created"))
                assert orders == entries  # never a sale without its outbox entry
                assert audit.verify(session)[1] is None
        finally:
            copy.close()
    assert len(numbers(store)) >= 1


def test_restore_refuses_to_drop_unsynced_sales_the_backup_lacks(selling, tmp_path):
    store, ring = selling
    ring()
    copy = backup(store.path, tmp_path / "b.sqlite3").file
    ring(), ring()
    with pytest.raises(RuleViolation, match=r"2 change\(s\) .*\(2 order.created\).*tillpoint sync"):
        restore(store.path, copy)
    assert len(numbers(store)) == 3  # untouched
    assert not store.path.with_name(store.path.name + ".before-restore").exists()


def test_restore_keeps_the_counters_at_the_highest_so_no_number_is_reused(selling, tmp_path):
    store, ring = selling
    ring()
    copy = backup(store.path, tmp_path / "b.sqlite3").file
    ring(), ring()
    acknowledge_all(store)  # synced: the server holds them, the outbox no longer does
    with store.write() as session:
        set_local(session, "sync.next_device_seq", "41")
        set_local(session, "sync.device_id", "device-now")
    report = restore(store.path, copy)
    assert report.discarded == {} and report.counters == {"R01": (4, 1)}
    assert numbers(store) == ["S01-R01-000001"]
    ring()
    assert numbers(store)[-1] == "S01-R01-000004"
    with store.read() as session:
        assert get_local(session, "sync.next_device_seq") == "41"
        assert get_local(session, "sync.device_id") == "device-now"
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 2
        assert audit.verify(session)[1] is None


def test_discarding_unsynced_changes_says_what_was_lost_and_keeps_it_aside(selling, tmp_path):
    store, ring = selling
    copy = backup(store.path, tmp_path / "b.sqlite3").file
    ring()
    report = restore(store.path, copy, discard_unsynced=True)
    assert report.discarded == {"order.created": 1}
    assert numbers(store) == [] and report.kept_aside.name == "tillpoint.sqlite3.before-restore"
    aside = sqlite3.connect(report.kept_aside)
    assert aside.execute("SELECT count(*) FROM orders").fetchone() == (1,)
    aside.close()
    ring()
    assert numbers(store) == ["S01-R01-000002"]


def test_what_is_not_a_backup_of_this_till_is_refused(selling, tmp_path):
    store, ring = selling
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(InvalidInput, match="not an SQLite database"):
        restore(store.path, text)
    other_db = tmp_path / "other.sqlite3"
    sqlite3.connect(other_db).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(InvalidInput, match="not a Tillpoint store"):
        restore(store.path, other_db)
    other = LocalStore.open(tmp_path / "other-till" / "tillpoint.sqlite3")
    with other.write() as session:
        initialise(session, register_code="R02")
    other.close()
    with pytest.raises(RuleViolation, match="another store or register"):
        restore(store.path, other.path)
    newer = backup(store.path, tmp_path / "newer.sqlite3").file
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer Tillpoint"):
        restore(store.path, newer)
    with pytest.raises(InvalidInput, match="is not a file"):
        restore(store.path, tmp_path / "missing.sqlite3")


def test_a_backup_of_an_older_schema_is_migrated_on_restore(selling, tmp_path):
    store, ring = selling
    ring()
    old = backup(store.path, tmp_path / "old.sqlite3").file
    old_store = LocalStore(old)
    command.downgrade(alembic_config(old_store.writer), "0001")
    old_store.close()
    acknowledge_all(store)
    report = restore(store.path, old)
    assert report.discarded == {} and numbers(store) == ["S01-R01-000001"]


def test_the_commands(selling, tmp_path, capsys):
    store, ring = selling
    data_dir = str(store.path.parent)
    assert main.main(["--data-dir", data_dir, "backup"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["file"].startswith(str(store.path.parent / "backups")) and made["bytes"] > 0
    ring()
    assert main.main(["--data-dir", data_dir, "restore", made["file"]]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tillpoint: file: this till holds 1 change(s)") and "--discard" in err
    assert main.main(["--data-dir", data_dir, "restore", made["file"], "--discard-unsynced"]) == 0
    out, err = capsys.readouterr()
    assert "discarded 1 unsynced change(s) (1 order.created)" in err
    assert json.loads(out)["counters"] == {"R01": {"next_order": 2, "next_refund": 1}}

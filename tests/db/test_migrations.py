"""Schema changes happen only through Alembic: the migrated database must equal the models."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from db.base import Base
from db.search_index import include_name
from alembic import command

from db.engine import (LocalStore, StoreError, alembic_config, current_revision, head_revision,
                       make_engine)


def test_models_and_migrations_agree(store: LocalStore) -> None:
    with store.writer.connect() as conn:
        # The search index's FTS5 tables have no models (db.search_index: derived, not modelled).
        opts = {"compare_type": True, "include_name": include_name}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diff == []


def test_store_is_migrated_to_head_with_the_documented_pragmas(store: LocalStore) -> None:
    assert current_revision(store.writer) == head_revision()
    with store.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_reopening_a_current_store_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    LocalStore.open(path).close()
    LocalStore.open(path).close()
    assert not list(tmp_path.glob("*.before-*")), "no backup is taken when nothing migrates"


def test_a_store_from_a_newer_tillpoint_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    LocalStore.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_future'")
    with pytest.raises(StoreError, match="newer Tillpoint"):
        LocalStore.open(path)


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable Tillpoint store"):
        LocalStore.open(path)


def test_an_older_store_is_copied_aside_before_migrating(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    engine = make_engine(path, immediate=True)
    command.upgrade(alembic_config(engine), "0001")  # a store of the first release
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO local_settings VALUES ('probe', 'kept')")
    engine.dispose()
    head = head_revision()
    LocalStore.open(path).close()
    backup = tmp_path / f"s.sqlite3.before-{head}"
    assert backup.exists()
    with sqlite3.connect(backup) as conn:  # the copy is the store as it was, readable
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert conn.execute("SELECT value FROM local_settings").fetchone() == ("kept",)
    store = LocalStore.open(path)
    with store.read() as session:
        assert session.execute(text("SELECT value FROM local_settings")).scalar() == "kept"
    store.close()


def test_opening_a_current_store_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    LocalStore.open(path).close()
    holder = sqlite3.connect(path, timeout=1)
    # A till in another process holds the write lock for as long as this test runs: an open
    # that needed it would fail with "busy" after the busy timeout.
    holder.execute("BEGIN IMMEDIATE")
    try:
        store = LocalStore.open(path)
        with store.read() as session:
            assert session.execute(text("SELECT count(*) FROM orders")).scalar() == 0
        store.close()
    finally:
        holder.rollback()
        holder.close()

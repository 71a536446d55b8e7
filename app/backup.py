"""Backing up and restoring the local store.

A backup is SQLite's online backup API: a consistent copy while the till keeps selling (WAL
readers never block the writer), written aside and renamed into place, as one self-contained
file (journal mode DELETE, no ``-wal`` beside it).

A restore never loses what the server has not seen: it refuses while the current store holds
outbox entries the backup lacks (unsynced sales: ``tillpoint sync`` first, or
``discard_unsynced`` to drop them knowingly), and it never lets an order or refund number be
given out twice (each register's counters become the larger of the two). The backup is checked
and migrated in a scratch copy first; the switch itself is ONE write transaction on the live
store, with the current store copied aside (``<store>.before-restore``) under the same lock,
so a till selling in another process sees either the old store or the restored one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from app import audit
from app.domain.errors import InvalidInput, RuleViolation
from app.sales.identity import (NEXT_DEVICE_SEQ_KEY, REGISTER_KEY, STORE_KEY, SYNC_DEVICE_ID_KEY,
                                 SYNC_SERVER_URL_KEY, SYNC_STORE_ID_KEY, get_local)
from db import search_index
from db.engine import BUSY_TIMEOUT_MS, LocalStore

SQLITE_MAGIC = b"SQLite format 3\x00"
#: local settings that say who this installation is to its server: the keyring holds the key
#: of the *current* device, so these stay as they are now, whatever the backup says
KEEP_CURRENT_SETTINGS = (SYNC_SERVER_URL_KEY, SYNC_DEVICE_ID_KEY, SYNC_STORE_ID_KEY)
ASIDE_SUFFIX = ".before-restore"


@dataclass(frozen=True, slots=True)
class BackupReport:
    file: Path
    bytes: int
    seconds: float


@dataclass(frozen=True, slots=True)
class RestoreReport:
    file: Path
    kept_aside: Path | None
    discarded: dict[str, int] = field(default_factory=dict)  # unsynced changes lost, by kind
    counters: dict[str, tuple[int, int]] = field(default_factory=dict)  # register -> (order, refund)
    seconds: float = 0.0


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    search_index.register_functions(connection)  # refilling the catalogue re-indexes it
    return connection


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)


def default_backup_file(folder: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return folder / f"tillpoint-{stamp}.sqlite3"


def backup(store_path: Path, out: Path) -> BackupReport:
    """Copy the store at ``store_path`` to ``out`` (replaced if it exists)."""
    started = time.perf_counter()
    out = Path(out).expanduser().resolve()
    if out == store_path.resolve():
        raise InvalidInput("is the store itself: name another file", field="out")
    if out.is_dir():
        raise InvalidInput(f"{out} is a directory: name a file", field="out")
    if not store_path.exists():
        raise RuleViolation(f"there is no store at {store_path} to back up", field="data_dir")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with closing(_connect(store_path)) as source, closing(_connect(partial)) as target:
            source.backup(target)  # all pages in one step: one consistent snapshot
            target.execute("PRAGMA journal_mode=DELETE")
            if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise RuleViolation("the copy did not pass SQLite's check; the store may be "
                                    "damaged: run `tillpoint selfcheck`", field="out")
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(out, out.stat().st_size, round(time.perf_counter() - started, 3))


# restore ----------------------------------------------------------------------------------------

def _check_backup_file(file: Path) -> None:
    if not file.is_file():
        raise InvalidInput(f"{file} is not a file", field="file")
    with open(file, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise InvalidInput(f"{file} is not a Tillpoint backup (not an SQLite database)",
                               field="file")
    try:
        with closing(_read_only(file)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master "
                                                   "WHERE type = 'table'")}
            shop = db.execute("SELECT value FROM local_settings WHERE key = ?",
                              (REGISTER_KEY,)).fetchone() if "local_settings" in tables else None
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{file} is not a readable SQLite database ({exc})",
                           field="file") from None
    if not {"alembic_version", "local_settings", "registers", "outbox"} <= tables:
        raise InvalidInput(f"{file} is an SQLite database, but not a Tillpoint store",
                           field="file")
    if shop is None:
        raise InvalidInput(f"{file} is a Tillpoint store without a shop: nothing to restore",
                           field="file")


def _prepared_copy(file: Path, scratch: Path) -> Path:
    """The backup copied into ``scratch`` and migrated to this version's schema (a backup of
    a newer version, or one that cannot be migrated, stops here with the reason)."""
    copy = scratch / "restoring.sqlite3"
    with closing(_read_only(file)) as source, \
            closing(_connect(copy)) as target:
        source.backup(target)
    LocalStore.open(copy).close()  # raises StoreError when it cannot be brought up to date
    return copy


def _tables(db: sqlite3.Connection) -> list[str]:
    # The search index is not copied: the catalogue's triggers rebuild it from the rows copied.
    return [row[0] for row in db.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'alembic_version' ORDER BY name")
        if not search_index.is_derived_table(row[0])]


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA main.table_info("{table}")')]


def _setting(db: sqlite3.Connection, schema: str, key: str) -> str | None:
    row = db.execute(f"SELECT value FROM {schema}.local_settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _unsynced_missing(db: sqlite3.Connection) -> dict[str, int]:
    rows = db.execute("SELECT kind, count(*) FROM main.outbox WHERE mutation_id NOT IN "
                      "(SELECT mutation_id FROM restored.outbox) GROUP BY kind ORDER BY kind")
    return {kind: count for kind, count in rows}


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in counts.items())


def _refuse_other_till(db: sqlite3.Connection) -> None:
    here = (_setting(db, "main", STORE_KEY), _setting(db, "main", REGISTER_KEY))
    there = (_setting(db, "restored", STORE_KEY), _setting(db, "restored", REGISTER_KEY))
    if here[1] is not None and here != there:
        raise RuleViolation("the backup is of another store or register than this till: "
                            "restoring it would hand out that till's order numbers twice; "
                            "restore it into a new --data-dir instead", field="file")


def _keep_aside(store_path: Path) -> Path:
    aside = store_path.with_name(store_path.name + ASIDE_SUFFIX)
    partial = aside.with_name(aside.name + ".partial")
    partial.unlink(missing_ok=True)
    with closing(_connect(store_path)) as reader:  # sees the last commit: we hold the write lock
        reader.execute("VACUUM INTO ?", (str(partial),))
    os.replace(partial, aside)
    return aside


def _carry_over(db: sqlite3.Connection, counters: dict[str, tuple[int, int]],
                kept: dict[str, str | None], device_seq: str | None) -> dict[str, tuple[int, int]]:
    carried: dict[str, tuple[int, int]] = {}
    for register_id, (orders, refunds) in counters.items():
        db.execute("UPDATE main.registers SET next_order_seq = max(next_order_seq, ?), "
                   "next_refund_seq = max(next_refund_seq, ?) WHERE id = ?",
                   (orders, refunds, register_id))
        row = db.execute("SELECT code, next_order_seq, next_refund_seq FROM main.registers "
                         "WHERE id = ?", (register_id,)).fetchone()
        if row:
            carried[row[0]] = (row[1], row[2])
    restored_seq = _setting(db, "main", NEXT_DEVICE_SEQ_KEY)
    highest = max(int(device_seq or 1), int(restored_seq or 1))
    kept = {**kept, NEXT_DEVICE_SEQ_KEY: str(highest)}
    for key, value in kept.items():
        if value is not None:
            db.execute("INSERT INTO main.local_settings (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
    return carried


def _switch(store_path: Path, copy: Path, *, discard_unsynced: bool) -> RestoreReport:
    with closing(_connect(store_path)) as db:
        # Checked at COMMIT: the tables are emptied and refilled in no particular order.
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("ATTACH DATABASE ? AS restored", (str(copy),))
        db.execute("BEGIN IMMEDIATE")  # no sale can commit from here to the switch
        try:
            _refuse_other_till(db)
            missing = _unsynced_missing(db)
            if missing and not discard_unsynced:
                raise RuleViolation(
                    f"this till holds {sum(missing.values())} change(s) the server has not "
                    f"received and the backup lacks ({_describe(missing)}): run `tillpoint "
                    "sync` first, or pass --discard-unsynced to lose them", field="file")
            counters = {row[0]: (row[1], row[2]) for row in db.execute(
                "SELECT id, next_order_seq, next_refund_seq FROM main.registers")}
            kept = {key: _setting(db, "main", key) for key in KEEP_CURRENT_SETTINGS}
            device_seq = _setting(db, "main", NEXT_DEVICE_SEQ_KEY)
            aside = _keep_aside(store_path)
            db.execute("PRAGMA defer_foreign_keys = ON")
            for table in _tables(db):
                columns = ", ".join(f'"{c}"' for c in _columns(db, table))
                db.execute(f'DELETE FROM main."{table}"')
                db.execute(f'INSERT INTO main."{table}" ({columns}) '
                           f'SELECT {columns} FROM restored."{table}"')
            carried = _carry_over(db, counters, kept, device_seq)
            search_index.refresh(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return RestoreReport(file=copy, kept_aside=aside, discarded=missing, counters=carried)


def _journal(store_path: Path, file: Path, report: RestoreReport) -> None:
    store = LocalStore.open(store_path)
    try:
        with store.write() as session:
            audit.append(session, action="store.restored", entity="store",
                         entity_id=get_local(session, STORE_KEY), actor_id=None,
                         details={"file": str(file), "discarded": report.discarded,
                                  "counters": {code: list(pair)
                                               for code, pair in report.counters.items()}})
    finally:
        store.close()


def restore(store_path: Path, file: Path, *, discard_unsynced: bool = False) -> RestoreReport:
    """Replace the store at ``store_path`` with the backup ``file`` (see the module docstring)."""
    started = time.perf_counter()
    file = Path(file).expanduser().resolve()
    if file == store_path.resolve():
        raise InvalidInput("is the store itself", field="file")
    _check_backup_file(file)
    LocalStore.open(store_path).close()  # the live store exists and is at this schema too
    scratch = store_path.parent / f".restore-{uuid.uuid4().hex[:8]}"
    scratch.mkdir()
    try:
        copy = _prepared_copy(file, scratch)
        report = _switch(store_path, copy, discard_unsynced=discard_unsynced)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _journal(store_path, file, report)
    return RestoreReport(file=file, kept_aside=report.kept_aside, discarded=report.discarded,
                         counters=report.counters,
                         seconds=round(time.perf_counter() - started, 3))

"""Opening the local store: SQLite pragmas, one writer, migrations applied on start.

Writes go through :meth:`LocalStore.write`, which starts ``BEGIN IMMEDIATE``: the write lock is
taken before the first read, so a sale that reads a counter and the audit chain's head and then
writes cannot interleave with another writer. Reads use :meth:`LocalStore.read` (a deferred
transaction over WAL, never blocking the writer).
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db import search_index

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The environment's fault (file unreadable, disk full, newer schema): not a bug."""


def _pragmas(dbapi_connection: sqlite3.Connection, _record) -> None:
    # Let SQLAlchemy's "begin" event decide how transactions start (see module docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a sale survives a power cut
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
    search_index.register_functions(dbapi_connection)  # the search index's refresh calls them


def make_engine(path: Path, *, immediate: bool) -> Engine:
    engine = create_engine(f"sqlite+pysqlite:///{path}",
                           connect_args={"check_same_thread": False},
                           pool_size=1 if immediate else 4, max_overflow=0 if immediate else 4,
                           pool_timeout=60)
    event.listen(engine, "connect", _pragmas)

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # noqa: ANN001 - SQLAlchemy event signature
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(path: Path, engine: Engine, *, reader: Engine | None = None) -> None:
    """Bring the schema to the newest revision, after copying an existing file aside. The
    version is read through ``reader`` when given, so opening a current store never waits
    for the write lock (a till selling in another process holds it often)."""
    current = current_revision(reader or engine)
    head = head_revision()
    if current == head:
        return
    scripts = ScriptDirectory.from_config(alembic_config())
    if current is not None and not _known(scripts, current):
        raise StoreError(f"{path} was written by a newer Tillpoint (schema {current}); "
                         "install the newer version or restore a backup")
    if current is not None:
        backup = path.with_name(f"{path.name}.before-{head}")
        # A consistent copy even with WAL pages pending. On the raw connection: VACUUM cannot
        # run inside the transaction SQLAlchemy's "begin" event opens on every use.
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM INTO ?", (str(backup),))
        finally:
            raw.close()
        log.info("copied %s to %s before migrating %s → %s", path, backup, current, head)
    command.upgrade(alembic_config(engine), "head")


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


class LocalStore:
    """The till's SQLite database: one writer engine, a small pool of readers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {path.parent}: {exc}") from exc
        self.writer = make_engine(path, immediate=True)
        self.reader = make_engine(path, immediate=False)
        self._write_sessions = sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.reader, expire_on_commit=False)

    @classmethod
    def open(cls, path: Path) -> "LocalStore":
        store = cls(path)
        try:
            migrate(path, store.writer, reader=store.reader)
        except (sqlite3.DatabaseError, DBAPIError) as exc:
            store.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(f"{path} is busy: another program kept it locked for over "
                                 f"{BUSY_TIMEOUT_MS // 1000} s; try again") from exc
            raise StoreError(f"{path} is not a usable Tillpoint store: {exc}") from exc
        except Exception:
            store.close()
            raise
        return store

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any error. The search
        index catches up with the catalogue just before the COMMIT (``db.search_index``)."""
        with self._write_sessions() as session, session.begin():
            yield session
            session.flush()
            search_index.refresh(session.connection().connection.driver_connection)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.writer.dispose()
        self.reader.dispose()

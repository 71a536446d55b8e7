"""Bulk statements the entity writers share: one statement per page and table (executemany),
never an ORM object per row, so an initial pull of a large catalogue stays fast."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import Column, Select, Table, delete, func, literal_column, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from db.base import UTCDateTime

Row = dict[str, Any]
def existing(session: Session, column: Column, values: Iterable[Any]) -> set[Any]:
    """Which of ``values`` are present in ``column``: one query for them all (the values go
    in as one JSON array, so no limit on bound parameters and no statement per size)."""
    wanted = sorted({v for v in values if v is not None})
    if not wanted:
        return set()
    sql = (f"SELECT t.{column.name} FROM json_each(?) AS j "
           f"JOIN {column.table.name} AS t ON t.{column.name} = j.value")
    found = session.connection().exec_driver_sql(sql, (json.dumps(wanted),))
    return {row[0] for row in found}


def pairs(session: Session, key: Column, value: Column, keys: Iterable[Any]) -> list[tuple]:
    """``(key, value)`` of the rows whose ``key`` is among ``keys``."""
    wanted = sorted({k for k in keys if k is not None})
    if not wanted:
        return []
    sql = (f"SELECT t.{key.name}, t.{value.name} FROM json_each(?) AS j "
           f"JOIN {key.table.name} AS t ON t.{key.name} = j.value")
    return [tuple(row) for row in session.connection().exec_driver_sql(sql, (json.dumps(wanted),))]


def upsert(session: Session, table: Table, rows: list[Row], *, keys: Sequence[str]) -> None:
    """Insert ``rows`` or overwrite every given column of the rows already there (all rows
    carry the same columns)."""
    if not rows:
        return
    stmt = insert(table)
    columns = [c for c in rows[0] if c not in keys]
    if columns:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={c: stmt.excluded[c] for c in columns})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    session.execute(stmt, rows)


def fast_upsert(session: Session, table: Table, rows: list[Row], *, keys: Sequence[str]) -> None:
    """``upsert`` for the big tables of an initial pull. Two things make it several times
    faster there (measured on 100,000 products): the rows go to SQLite's executemany as they
    are, without SQLAlchemy's per-row parameter processing, so every value must already be
    what SQLite stores (``time_storage``); and rows are split by one look-up into new ones
    (a plain INSERT) and known ones (an UPDATE), because an ``INSERT … ON CONFLICT`` with
    foreign keys on costs SQLite three to four times a plain insert. Of rows naming the same
    key the last one wins."""
    if not rows:
        return
    keys = tuple(keys)
    latest = {tuple(row[k] for k in keys): row for row in rows}
    columns = tuple(rows[0])
    known = existing_keys(session, table, keys, latest)
    fresh = [row for key, row in latest.items() if key not in known]
    if fresh:
        session.connection().exec_driver_sql(_insert_sql(table, columns),
                                             list(map(itemgetter(*columns), fresh))
                                             if len(columns) > 1 else [(r[columns[0]],) for r in fresh])
    updates = tuple(c for c in columns if c not in keys)
    if known and updates:
        order = updates + keys
        session.connection().exec_driver_sql(
            _update_sql(table, updates, keys),
            [tuple(row[c] for c in order) for key, row in latest.items() if key in known])


def existing_keys(session: Session, table: Table, keys: tuple[str, ...],
                  wanted: Iterable[tuple]) -> set[tuple]:
    """Which of the ``wanted`` key tuples ``table`` holds: one query, the tuples in as JSON."""
    wanted = list(wanted)
    if not wanted:
        return set()
    on = " AND ".join(f"t.{k} = json_extract(j.value, '$[{n}]')" for n, k in enumerate(keys))
    sql = (f"SELECT {', '.join(f't.{k}' for k in keys)} FROM json_each(?) AS j "
           f"JOIN {table.name} AS t ON {on}")
    return {tuple(row) for row in session.connection().exec_driver_sql(
        sql, (json.dumps(wanted),))}


@lru_cache(maxsize=64)
def _insert_sql(table: Table, columns: tuple[str, ...]) -> str:
    for name in columns:
        table.c[name]  # noqa: B018 - a KeyError here names a column the table does not have
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")


@lru_cache(maxsize=64)
def _update_sql(table: Table, updates: tuple[str, ...], keys: tuple[str, ...]) -> str:
    return (f"UPDATE {table.name} SET {', '.join(f'{c} = ?' for c in updates)} "
            f"WHERE {' AND '.join(f'{k} = ?' for k in keys)}")


def time_storage(session: Session) -> Callable[[datetime | None], Any]:
    """How the local tables store an aware time (``db.base.UTCDateTime`` on this dialect)."""
    dialect = session.get_bind().dialect
    processor = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    return processor or (lambda value: value)


def among(values: Iterable[Any]) -> Select:
    """``SELECT value FROM json_each(?)`` of ``values``: for ``column.in_(among(ids))`` with one
    bound parameter however many ids there are."""
    return select(literal_column("value")).select_from(
        func.json_each(json.dumps(sorted(set(values)))))


def set_where_in(session: Session, table: Table, column: str, ids: Iterable[Any],
                 values: Row) -> None:
    wanted = set(ids)
    if wanted:
        session.execute(update(table).where(table.c[column].in_(among(wanted))).values(**values))


def delete_where_in(session: Session, table: Table, column: str, ids: Iterable[Any],
                    *criteria: Any) -> None:
    wanted = set(ids)
    if wanted:
        session.execute(delete(table).where(table.c[column].in_(among(wanted)), *criteria))


def parked(key: str, row_id: str, max_len: int) -> str:
    """A unique stand-in for a natural key another row is about to take: the row keeps
    working (sales refer to it) and gets its real key from its own next entry."""
    suffix = f"~{row_id[:8]}"
    return key[:max_len - len(suffix)] + suffix


def free_unique(session: Session, table: Table, key: str, rows: list[Row], *,
                max_len: int) -> None:
    """Make room for ``rows``' values of the unique column ``key``: a local row holding a
    value that an incoming row of another id takes is parked, and so is an earlier incoming
    row of the page whose value a later one took (the later entry is the newer truth)."""
    owner: dict[str, str] = {}
    for row in rows:
        owner[row[key]] = row["id"]
    for row in rows:
        if owner[row[key]] != row["id"]:
            row[key] = parked(row[key], row["id"], max_len)
    holders = pairs(session, table.c[key], table.c.id, owner)
    for value, holder_id in holders:
        if owner.get(value, holder_id) != holder_id:
            session.execute(update(table).where(table.c.id == holder_id)
                            .values({key: parked(value, holder_id, max_len)}))

"""Plumbing tables: sync outbox and cursors, the hash-chained audit journal, local settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class OutboxEntry(Base):
    """A change waiting to be pushed; written in the same transaction as the change itself."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    mutation_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "order.created", "stock.movement"
    entity_id: Mapped[str] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    # The till's own order of events as the server sees it: given out (from the
    # ``sync.next_device_seq`` setting, in ``seq`` order) when an entry is first pushed, so it
    # only grows even though SQLite may reuse a deleted row's ``seq``.
    device_seq: Mapped[int | None] = mapped_column(unique=True)


class SyncState(Base):
    __tablename__ = "sync_state"

    feed: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(4096))
    last_success_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))


class SyncIssue(Base):
    """What sync has to tell the staff: an edit the server overrode (``conflict``), a change it
    refused (``rejected``), a concurrent edit this till overwrote (``overridden``)."""

    __tablename__ = "sync_issues"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(12))  # conflict | rejected | overridden
    mutation_id: Mapped[str | None] = mapped_column(String(36))
    mutation_kind: Mapped[str | None] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(1000))
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what was sent, what won
    seen: Mapped[bool] = mapped_column(default=False)


class RemoteOrder(Base):
    """An order of this store that was not rung up on this till (online, or another register),
    as the server last showed it: for fulfilment and look-ups."""

    __tablename__ = "remote_orders"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int]
    created_at: Mapped[datetime | None]
    data: Mapped[str] = mapped_column(Text)  # JSON: the server's view


class DeferredChange(Base):
    """A pulled entry that names something not here yet (a stock level of a variant the next
    catalogue page brings): kept and applied once what it needs has arrived."""

    __tablename__ = "sync_deferred"

    feed: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(100))
    change: Mapped[str] = mapped_column(Text)  # JSON: the entry as pulled


class AuditEntry(Base):
    """One entry of the append-only journal. ``hash`` covers every field and ``prev_hash``,
    so altering, deleting or reordering an entry breaks the chain."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    approved_by: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last (seq, hash), moved in the same transaction: a deleted tail shows."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class LocalSetting(Base):
    """Facts of this installation kept with its data (which store and register it is)."""

    __tablename__ = "local_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

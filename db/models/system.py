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


class SyncState(Base):
    __tablename__ = "sync_state"

    feed: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(200))
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))


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

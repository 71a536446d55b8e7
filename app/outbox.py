"""The sync outbox: each local change that the server must learn of, written in the same
transaction as the change, with a mutation id that makes its replay harmless."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import canonical_json
from db.base import new_id
from db.models import OutboxEntry


def enqueue(session: Session, *, kind: str, entity_id: str, payload: dict[str, Any]) -> OutboxEntry:
    entry = OutboxEntry(mutation_id=new_id(), kind=kind, entity_id=entity_id,
                        payload=canonical_json(payload))
    session.add(entry)
    return entry


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEntry)) or 0

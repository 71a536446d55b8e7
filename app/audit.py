"""The audit journal: append-only and hash-chained, as fiscal rules for tills demand.

Each entry's hash covers its own fields and the previous entry's hash; the chain's head is kept
in a one-row table moved in the same transaction. Altering an entry breaks its hash, deleting one
leaves a gap in the sequence (or a head that points past the end), reordering breaks the links.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _entry_hash(seq: int, at: datetime, actor_id: str | None, approved_by: str | None,
                action: str, entity: str, entity_id: str | None, details: str, prev_hash: str) -> str:
    material = canonical_json([seq, at.isoformat(), actor_id, approved_by, action, entity,
                               entity_id, details, prev_hash])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def append(session: Session, *, action: str, entity: str, entity_id: str | None,
           actor_id: str | None, details: dict[str, Any] | None = None,
           approved_by: str | None = None, at: datetime | None = None) -> AuditEntry:
    """Add an entry to the chain inside the caller's (write) transaction."""
    head = session.get(AuditHead, 1)
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    # Normalised to UTC so the hash is computed over exactly what a read gives back.
    when = (at or utcnow()).astimezone(timezone.utc)
    body = canonical_json(details or {})
    digest = _entry_hash(seq, when, actor_id, approved_by, action, entity, entity_id, body, prev)
    entry = AuditEntry(seq=seq, at=when, actor_id=actor_id, approved_by=approved_by, action=action,
                       entity=entity, entity_id=entity_id, details=body, prev_hash=prev, hash=digest)
    session.add(entry)
    if head is None:
        session.add(AuditHead(id=1, seq=seq, hash=digest))
    else:
        head.seq, head.hash = seq, digest
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int
    kind: str  # altered | deleted | reordered
    message: str


def verify(session: Session) -> tuple[int, AuditProblem | None]:
    """Walk the chain; return how many entries were checked and the first problem, if any."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(2000).scalars()
    for entry in rows:
        if entry.seq != expected_seq:
            return checked, AuditProblem(expected_seq, "deleted",
                                         f"entry {expected_seq} is missing: it was deleted")
        recomputed = _entry_hash(entry.seq, entry.at, entry.actor_id, entry.approved_by,
                                 entry.action, entry.entity, entry.entity_id, entry.details,
                                 entry.prev_hash)
        if recomputed != entry.hash:
            return checked, AuditProblem(entry.seq, "altered",
                                         f"entry {entry.seq} ({entry.action}) was altered")
        if entry.prev_hash != prev_hash:
            return checked, AuditProblem(
                entry.seq, "reordered",
                f"entry {entry.seq} ({entry.action}) does not follow entry {entry.seq - 1}: "
                "entries were reordered or replaced")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    last_seq = expected_seq - 1
    if head is None and last_seq:
        return checked, AuditProblem(last_seq, "altered", "the journal's head record was removed")
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        if head.seq > last_seq:
            return checked, AuditProblem(last_seq + 1, "deleted",
                                         f"entries {last_seq + 1}–{head.seq} are missing: deleted")
        return checked, AuditProblem(head.seq, "altered", "the journal's head does not match its end")
    return checked, None

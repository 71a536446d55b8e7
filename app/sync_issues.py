"""What sync has to tell the staff (an edit the server overrode, a change it refused, another
person's edit this till overwrote), as plain values for the window and the command line."""

from __future__ import annotations

import json
from typing import Any, Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit import canonical_json
from app.domain.errors import InvalidInput
from db.models import SyncIssue

KINDS = ("conflict", "rejected", "overridden")
MAX_LIST_LIMIT = 1000
MAX_MESSAGE = 1000


def add_issue(session: Session, *, kind: str, entity: str, entity_id: str, message: str,
              details: dict[str, Any] | None = None, mutation_id: str | None = None,
              mutation_kind: str | None = None) -> SyncIssue:
    if kind not in KINDS:
        raise ValueError(f"unknown sync issue kind {kind!r}")
    # A message longer than its column would fail the whole push reply's transaction.
    text = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"
    issue = SyncIssue(kind=kind, entity=entity[:40], entity_id=entity_id[:64], message=text,
                      details=canonical_json(details or {}), mutation_id=mutation_id,
                      mutation_kind=mutation_kind)
    session.add(issue)
    return issue


def issue_to_dict(issue: SyncIssue) -> dict[str, Any]:
    return {"id": issue.id, "at": issue.at.isoformat(), "kind": issue.kind,
            "entity": issue.entity, "entity_id": issue.entity_id, "message": issue.message,
            "details": json.loads(issue.details or "{}"), "mutation_id": issue.mutation_id,
            "mutation_kind": issue.mutation_kind, "seen": issue.seen}


def list_issues(session: Session, *, unseen_only: bool = False,
                limit: int = 100) -> list[dict[str, Any]]:
    """The newest issues first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_LIST_LIMIT}", field="limit")
    query = select(SyncIssue).order_by(SyncIssue.id.desc()).limit(limit)
    if unseen_only:
        query = query.where(SyncIssue.seen.is_(False))
    return [issue_to_dict(i) for i in session.scalars(query).all()]


def mark_seen(session: Session, ids: Iterable[int]) -> int:
    """Mark issues as read; returns how many changed (unknown or already seen ids are no error:
    two windows may mark the same issue)."""
    wanted = list(ids)
    if any(isinstance(i, bool) or not isinstance(i, int) for i in wanted):
        raise InvalidInput("must be issue numbers", field="ids")
    changed = 0
    for start in range(0, len(wanted), 500):  # SQLite bounds the parameters of one statement
        result = session.execute(update(SyncIssue).where(
            SyncIssue.id.in_(wanted[start:start + 500]), SyncIssue.seen.is_(False))
            .values(seen=True))
        changed += result.rowcount or 0
    return changed


def unseen_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SyncIssue)
                          .where(SyncIssue.seen.is_(False))) or 0

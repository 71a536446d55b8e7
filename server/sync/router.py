"""``GET /sync/changes`` and ``POST /sync/push``: device credentials only (DEVICE_SYNC)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pymongo.database import Database

from app.domain.permissions import Permission
from app.domain.sync_protocol import DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT
from server.security.deps import Principal, get_db, require
from server.sync import feed, push
from server.sync.schemas import PushRequest

router = APIRouter(tags=["sync"])
DEVICE = require(Permission.DEVICE_SYNC)


@router.get("/sync/changes")
def changes(cursor: str = Query("", max_length=4096),
            limit: int = Query(DEFAULT_PULL_LIMIT, ge=1, le=MAX_PULL_LIMIT),
            db: Database = Depends(get_db),
            principal: Principal = Depends(DEVICE)) -> dict[str, Any]:
    """The changes this till may see after ``cursor`` (empty: from the beginning), in a total
    order; 410 ``cursor_gone`` when the cursor cannot be continued (take a fresh snapshot)."""
    return feed.changes_for_device(db, principal=principal, cursor=cursor, limit=limit)


@router.post("/sync/push")
def push_mutations(body: PushRequest, request: Request, db: Database = Depends(get_db),
                   principal: Principal = Depends(DEVICE)) -> dict[str, Any]:
    """Apply a batch of the till's outbox: one result per mutation, in order."""
    return push.apply_batch(db, principal=principal, mutations=body.mutations,
                            request_id=getattr(request.state, "request_id", None))

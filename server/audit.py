"""The server's audit log: who did what, to what, when and from where, for every privileged
action (account and role changes, pairing, revocations, password resets)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database


def record(db: Database, *, actor: str, action: str, target: str | None = None,
           ip: str | None = None, request_id: str | None = None,
           details: dict[str, Any] | None = None, session: ClientSession | None = None,
           audit_id: str | None = None) -> None:
    """Write one entry, in the caller's transaction when it passes ``session``. With
    ``audit_id`` (made before the transaction) the entry is upserted with ``$setOnInsert``, so
    a transaction callback that runs again writes it once."""
    entry = {"at": datetime.now(timezone.utc), "actor": actor, "action": action,
             "target": target, "ip": ip, "request_id": request_id, "details": details or {}}
    if audit_id is None:
        db.audit_log.insert_one({"_id": str(uuid.uuid4()), **entry}, session=session)
    else:
        db.audit_log.update_one({"_id": audit_id}, {"$setOnInsert": entry}, upsert=True,
                                session=session)

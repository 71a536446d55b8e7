"""What every mutation handler gets and gives: the context of one mutation inside its batch's
transaction, and its outcome. A handler VALIDATES FULLY BEFORE IT WRITES (MongoDB has no
savepoints, so a refusal after a write would leave that write in the batch): a refusal is a
``Refused`` raised before the first write, which the batch turns into ``rejected``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.sync_protocol import Status
from server.security.deps import Principal
from server.sync.schemas import Mutation

Doc = dict[str, Any]
#: namespace of the ids a mutation's writes derive from its own id (audit entries, conflicts):
#: the same on every run of a retried transaction, and never two for one mutation
_DERIVED = uuid.UUID("b7f3c1e2-5a44-4f0e-9d2b-6c8e1f0a3d57")


class Refused(Exception):
    """The mutation breaks a rule or is malformed: ``rejected`` with this reason, in words
    (``field: what is wrong`` where a field is to blame)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Outcome:
    status: Status
    reason: str | None = None
    current: Doc | None = None  # conflict: the entity as the server has it
    overridden: list[Doc] | None = None  # customer.upsert: concurrent edits this one replaced

    def extras(self) -> Doc:
        """The result's fields beside ``id`` and ``status`` (kept for a replay's answer)."""
        found: Doc = {}
        for name in ("reason", "current", "overridden"):
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        return found


@dataclass
class BatchState:
    """What one batch reads once and every mutation shares (per transaction run)."""

    store: Doc  # the device's store document
    users: dict[str, Doc | None] = field(default_factory=dict)


@dataclass
class Context:
    db: Database
    session: ClientSession
    principal: Principal  # the device
    mutation: Mutation
    batch: BatchState
    request_id: str | None
    now: datetime

    @property
    def payload(self) -> Doc:
        return self.mutation.payload

    @property
    def store_id(self) -> str:
        return str(self.principal.store_id)

    @property
    def currency(self) -> str:
        return str(self.batch.store.get("currency") or "EUR")

    @property
    def device_actor(self) -> str:
        return self.principal.actor

    def derived_id(self, purpose: str) -> str:
        return str(uuid.uuid5(_DERIVED, f"{self.mutation.id}:{purpose}"))

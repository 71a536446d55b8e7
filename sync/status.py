"""What the window and ``tillpoint sync --status`` show about sync: plain values, safe to hand
across threads."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.outbox import pending_count
from app.sales.identity import REGISTER_KEY, get_local
from db.engine import LocalStore
from db.models import SyncIssue, SyncState
from sync.credentials import paired_with

#: the ``sync_state`` row of the one server a till syncs with (the pull keeps its ``cursor``,
#: the engine its times and last error)
SERVER_FEED = "server"
#: local setting: "1" when the last round reached the server (even if it then failed), else "0"
ONLINE_KEY = "sync.online"


@dataclass(frozen=True, slots=True)
class SyncStatus:
    paired: bool
    server_url: str | None
    device_id: str | None
    store_id: str | None
    register_id: str | None
    online: bool  # the last round reached the server
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    pending: int  # outbox entries the server has not acknowledged
    issues_unseen: int  # sync notices (conflicts, rejections, overrides) nobody has looked at

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        for key in ("last_success_at", "last_attempt_at"):
            if values[key] is not None:
                values[key] = values[key].isoformat()
        return values


def read_status(store: LocalStore) -> SyncStatus:
    with store.read() as session:
        pairing = paired_with(session)
        state = session.get(SyncState, SERVER_FEED)
        unseen = session.scalar(select(func.count()).select_from(SyncIssue)
                                .where(SyncIssue.seen.is_(False))) or 0
        return SyncStatus(
            paired=pairing is not None,
            server_url=pairing.server_url if pairing else None,
            device_id=pairing.device_id if pairing else None,
            store_id=pairing.store_id if pairing else None,
            register_id=get_local(session, REGISTER_KEY),
            online=pairing is not None and get_local(session, ONLINE_KEY) == "1",
            last_success_at=state.last_success_at if state else None,
            last_attempt_at=state.last_attempt_at if state else None,
            last_error=state.last_error if state else None,
            pending=pending_count(session),
            issues_unseen=unseen)

"""One sync round: push the outbox, pull the server's changes, push what was sold meanwhile;
all under the till's sync lock, with the outcome recorded in ``sync_state`` (row ``server``:
``last_attempt_at``, ``last_success_at``, ``last_error``; its ``cursor`` belongs to the pull).

Every step commits as it goes (the push per answered batch, the pull per page with its
cursor), so a round that fails or is killed part-way leaves a consistent store and the next
round carries on from there. Blocking: the window runs it on a worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.config.paths import Paths
from app.domain.sync_protocol import DEFAULT_PULL_LIMIT
from app.outbox import pending_count
from app.sales.identity import set_local
from db.base import utcnow
from db.engine import LocalStore
from db.models import SyncState
from sync.client import SyncClient
from sync.credentials import device_key, paired_with
from sync.errors import NotPaired, Offline, SyncError
from sync.lock import DEFAULT_TIMEOUT_S, SyncLock
from sync.pull import pull
from sync.push import PushResult, push
from sync.status import ONLINE_KEY, SERVER_FEED

log = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT_S = DEFAULT_TIMEOUT_S


@dataclass
class RoundResult:
    started_at: datetime
    push: PushResult = field(default_factory=PushResult)
    pull: Any = None  # sync.pull.PullResult once the pull finished
    finished_at: datetime | None = None
    failed_step: str | None = None  # "push" or "pull"
    error: str | None = None
    reached_server: bool = True

    @property
    def succeeded(self) -> bool:
        """The round went through (rejected changes are the server's answer, not a failure)."""
        return self.error is None

    @property
    def ok(self) -> bool:
        """Succeeded, and every change pushed was taken: what ``tillpoint sync`` exits 0 for."""
        return self.succeeded and self.push.rejected == 0 and self.push.held == 0

    def problem(self) -> str | None:
        """Why the round is not ``ok``, in one line; None when it is."""
        if self.error is not None:
            return f"{self.failed_step} failed: {self.error}"
        parts = []
        if self.push.rejected:
            parts.append(f"the server rejected {self.push.rejected} change(s) (see the sync "
                         "notices)")
        if self.push.held:
            parts.append(f"{self.push.held} change(s) were held back (see `tillpoint sync "
                         "--status` and the outbox's last_error)")
        return "; ".join(parts) or None

    def summary(self) -> str:
        p = self.push
        text = (f"pushed {p.sent} in {p.batches} batch(es): {p.applied} applied, {p.duplicate} "
                f"duplicate, {p.conflict} conflict, {p.rejected} rejected")
        if p.held:
            text += f", {p.held} held back"
        if self.pull is not None:
            text += (f"; pulled {getattr(self.pull, 'applied', '?')} change(s) in "
                     f"{getattr(self.pull, 'pages', '?')} page(s)")
            if getattr(self.pull, "snapshot", False):
                text += " (fresh snapshot)"
        return text


class SyncEngine:
    """``SyncEngine(store, paths).run_round()``; ``client`` is built from the pairing (local
    settings and the keyring) unless given."""

    def __init__(self, store: LocalStore, paths: Paths, *, client: SyncClient | None = None,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
                 pull_limit: int = DEFAULT_PULL_LIMIT) -> None:
        self.store = store
        self.paths = paths
        self._client = client
        self.lock_timeout = lock_timeout
        self.pull_limit = pull_limit

    def _make_client(self) -> SyncClient:
        with self.store.read() as session:
            pairing = paired_with(session)
        if pairing is None:
            raise NotPaired("this till is not paired with a server: run `tillpoint pair "
                            "--server URL --code CODE`")
        return SyncClient(pairing.server_url, device_id=pairing.device_id,
                          device_key=device_key(pairing.device_id))

    def run_round(self) -> RoundResult:
        """One round; ``SyncBusy`` when another is running, ``NotPaired`` before pairing.
        Failures talking to the server come back in the result (and in ``sync_state``)."""
        with SyncLock(self.paths.data_dir, timeout=self.lock_timeout):
            client = self._client or self._make_client()
            try:
                result = RoundResult(started_at=utcnow())
                self._steps(client, result)
            finally:
                if self._client is None:
                    client.close()
            return result

    def _steps(self, client: SyncClient, result: RoundResult) -> None:
        step = "push"
        try:
            push(self.store, client, into=result.push)
            step = "pull"
            result.pull = pull(self.store, client, limit=self.pull_limit)
            step = "push"
            with self.store.read() as session:
                sold_meanwhile = pending_count(session) > result.push.held
            if sold_meanwhile:
                push(self.store, client, into=result.push)
        except SyncError as exc:
            result.failed_step, result.error = step, str(exc)
            result.reached_server = not isinstance(exc, Offline)
            log.info("sync round: %s failed: %s", step, exc)  # the caller shows it
        except Exception as exc:
            result.failed_step = step
            result.error = f"{type(exc).__name__}: {exc}"
            self._record(result)
            raise
        self._record(result)

    def _record(self, result: RoundResult) -> None:
        result.finished_at = utcnow()
        problem = result.problem() if result.error or result.push.held else None
        values: dict[str, Any] = {"last_attempt_at": result.started_at,
                                  "last_error": problem[:1000] if problem else None}
        if result.succeeded:
            values["last_success_at"] = result.finished_at
        with self.store.write() as session:
            statement = sqlite_insert(SyncState).values(feed=SERVER_FEED, **values)
            session.execute(statement.on_conflict_do_update(index_elements=["feed"],
                                                            set_=values))
            set_local(session, ONLINE_KEY, "1" if result.reached_server else "0")

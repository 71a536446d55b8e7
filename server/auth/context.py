"""What every auth use case needs: the database, the settings, the signing key and where the
request came from; plus the transaction helper and the auth rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

from pymongo.client_session import ClientSession
from pymongo.database import Database

from server.config import ServerSettings
from server.database import Mongo, in_transaction
from server.security import ratelimit

T = TypeVar("T")
WINDOW_SECONDS = 60  # the settings give limits per minute


@dataclass(frozen=True, slots=True)
class AuthContext:
    mongo: Mongo
    settings: ServerSettings
    jwt_key: str
    ip: str
    request_id: str | None = None

    @property
    def db(self) -> Database:
        return self.mongo.db

    def transaction(self, work: Callable[[ClientSession], T]) -> T:
        """Run ``work(session)`` in one transaction. ``with_transaction`` may run ``work`` again
        (transient errors, or a commit retried after a restart), so ``work`` must be idempotent:
        its writes are upserts with ``$setOnInsert`` or conditional updates."""
        return in_transaction(self.db, work)

    def limit(self, action: str, *, account: str | None = None, per_ip: bool = True) -> None:
        """Count this request against the per-IP limit of ``action`` and, when the account is
        known, the per-account one; 429 with ``Retry-After`` beyond either."""
        if per_ip:
            ratelimit.enforce(self.db, f"auth.{action}.ip", self.ip,
                              self.settings.auth_rate_per_minute_ip, WINDOW_SECONDS)
        if account is not None:
            ratelimit.enforce(self.db, f"auth.{action}.account", account,
                              self.settings.auth_rate_per_minute_account, WINDOW_SECONDS)

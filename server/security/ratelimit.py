"""Fixed-window rate limits kept in MongoDB, so every worker process counts together.

One document per (scope, key, window): ``{_id, count, expires_at}``; the TTL index on
``expires_at`` removes finished windows. Counting is an upserted ``$inc`` followed by a read
by ``_id`` (both indexed equality lookups; ``find_one_and_update`` would scan on SecantusDB).
Keys are hashed so that e-mail addresses never sit in this collection in clear.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from server.errors import ApiError
from server.security.tokens import digest

#: finished windows linger this long before the TTL monitor may drop them (clock skew margin)
_GRACE_SECONDS = 60


def hit(db: Database, scope: str, key: str, limit: int, window_seconds: int,
        *, now: float | None = None) -> tuple[bool, int]:
    """Count one event for ``key`` in ``scope``; return ``(allowed, retry_after_seconds)``.

    ``allowed`` is false once more than ``limit`` events fell in the current window of
    ``window_seconds``; ``retry_after`` is then the whole seconds until that window ends
    (0 when allowed). A limit of 0 or less disables the check."""
    if limit <= 0:
        return True, 0
    now = time.time() if now is None else now
    window_start = math.floor(now / window_seconds) * window_seconds
    window_end = window_start + window_seconds
    doc_id = f"{scope}:{digest(key)}:{window_start}"
    expires = datetime.fromtimestamp(window_end + _GRACE_SECONDS, timezone.utc)
    update = {"$inc": {"count": 1}, "$setOnInsert": {"scope": scope, "expires_at": expires}}
    try:
        db.rate_limits.update_one({"_id": doc_id}, update, upsert=True)
    except DuplicateKeyError:
        # Two first hits raced to insert the window's document; the loser simply counts again.
        db.rate_limits.update_one({"_id": doc_id}, update, upsert=True)
    doc = db.rate_limits.find_one({"_id": doc_id}, {"count": 1})
    count = doc["count"] if doc else 1
    if count <= limit:
        return True, 0
    return False, max(1, math.ceil(window_end - now))


def enforce(db: Database, scope: str, key: str, limit: int, window_seconds: int = 60) -> None:
    """``hit`` that raises the API's 429 (with ``Retry-After``) when the limit is exceeded."""
    allowed, retry_after = hit(db, scope, key, limit, window_seconds)
    if not allowed:
        raise ApiError(429, "rate_limited",
                       f"too many attempts: try again in {retry_after} s",
                       {"retry_after": retry_after, "scope": scope},
                       headers={"Retry-After": str(retry_after)})


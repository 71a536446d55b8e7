"""The MongoDB connection and every collection's indexes (TTL ones included).

Queries here are written for both real MongoDB and the embedded SecantusDB, whose planner uses
an index only for plain equality / ``$in`` / bounded ranges on an indexed field: no top-level
``$or``/``$and``, no ``find_one_and_update`` on big collections (``update_one`` then ``find_one``),
no ``count_documents`` on hot paths.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

import pymongo
from pymongo import ASCENDING, MongoClient
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.monitoring import CommandListener

TTL = {"expireAfterSeconds": 0}
T = TypeVar("T")


#: how long a transaction keeps being retried (pymongo's ``with_transaction`` limit)
RETRY_SECONDS = 120.0
#: the first retry's longest wait; it doubles with each attempt up to the caller's maximum
BACKOFF_FIRST_S = 0.002


def in_transaction(db: Database, work: Callable[[ClientSession], T], *,
                   max_backoff_s: float | None = None) -> T:
    """Run ``work`` in one transaction and return what it returns. ``work`` may run again
    (transient error, or a commit whose outcome was unknown), so it must be idempotent:
    conditional writes, and ids (audit entries included) made before the transaction.

    By default this is pymongo's ``with_transaction`` (jittered backoff growing to 500 ms).
    ``max_backoff_s`` keeps the same loop (labels, 120 s limit) with a shorter one, for a
    caller whose conflicts are mostly queued already (checkout serialises a store's orders
    within a process): there the long waits only made a transaction that lost a few times
    to another process sleep while newer ones won (measured in ``tests.perf.bench_orders``
    with two workers: p99 3.8 s and 2.2 s, against 1.2 s and 1.5 s with 50 ms). Without such
    queueing, short waits poll the hot document too often (6.2 orders/s against 10.7)."""
    with db.client.start_session() as session:
        if max_backoff_s is None:
            return session.with_transaction(work)
        deadline = time.monotonic() + RETRY_SECONDS
        attempt = 0
        while True:
            if attempt:
                time.sleep(random.uniform(0, min(BACKOFF_FIRST_S * 2 ** attempt,
                                                 max_backoff_s)))
            attempt += 1
            session.start_transaction()
            try:
                result = work(session)
            except BaseException as exc:
                if session.in_transaction:
                    session.abort_transaction()
                if _transient(exc) and time.monotonic() < deadline:
                    continue
                raise
            if not session.in_transaction or _commit(session, deadline):
                return result


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError")


def _commit(session: ClientSession, deadline: float) -> bool:
    """Commit; False when the whole transaction must run again (a transient error)."""
    while True:
        try:
            session.commit_transaction()
            return True
        except PyMongoError as exc:
            if time.monotonic() >= deadline:
                raise
            if exc.has_error_label("UnknownTransactionCommitResult") and not (
                    isinstance(exc, OperationFailure) and exc.code == 50):  # MaxTimeMSExpired
                continue  # retrying a commit is safe: the server remembers it
            if exc.has_error_label("TransientTransactionError"):
                return False
            raise


def connect(uri: str, event_listeners: Sequence[CommandListener] = ()) -> MongoClient:
    """``event_listeners``: pymongo command listeners (the API's workers pass the metrics one)."""
    return MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000,
                       connectTimeoutMS=5000, retryWrites=True, w="majority",
                       event_listeners=list(event_listeners))


def ensure_indexes(db: Database) -> None:
    """Create every index the server relies on; idempotent, run at every start."""
    db.users.create_index("email", unique=True)
    db.users.create_index([("role", ASCENDING), ("email", ASCENDING)])  # GET /users, by role
    db.refresh_tokens.create_index("family")
    db.refresh_tokens.create_index("expires_at", **TTL)
    db.token_families.create_index("expires_at", **TTL)
    db.token_families.create_index("user_id")
    db.revoked_access.create_index("expires_at", **TTL)
    db.rate_limits.create_index("expires_at", **TTL)
    db.email_tokens.create_index("expires_at", **TTL)
    db.email_tokens.create_index("user_id")
    db.email_outbox.create_index("status")
    db.email_outbox.create_index("to")  # a person's mails (GDPR export and erase)
    db.email_outbox.create_index("purge_at", **TTL)  # set when a mail is sent or given up
    db.stores.create_index("code", unique=True)
    db.registers.create_index([("store_id", ASCENDING), ("code", ASCENDING)], unique=True)
    db.pairing_codes.create_index("expires_at", **TTL)
    db.devices.create_index("register_id")
    db.api_keys.create_index("prefix", unique=True)
    db.audit_log.create_index("at")
    db.audit_log.create_index("target")  # entries about a person (GDPR export and erase)
    db.audit_log.create_index("actor")
    from server import domains  # late: the domains' index modules import this module
    from server.changes import log as change_log

    change_log.ensure_indexes(db)
    domains.ensure_indexes(db)


@dataclass
class Mongo:
    client: MongoClient
    db: Database

    @classmethod
    def open(cls, uri: str, database: str,
             event_listeners: Sequence[CommandListener] = ()) -> "Mongo":
        client = connect(uri, event_listeners)
        return cls(client, client[database])

    def ping(self) -> bool:
        try:
            self.client.admin.command("ping")
            return True
        except pymongo.errors.PyMongoError:
            return False

    def close(self) -> None:
        self.client.close()

"""The MongoDB connection and every collection's indexes (TTL ones included).

Queries here are written for both real MongoDB and the embedded SecantusDB, whose planner uses
an index only for plain equality / ``$in`` / bounded ranges on an indexed field: no top-level
``$or``/``$and``, no ``find_one_and_update`` on big collections (``update_one`` then ``find_one``),
no ``count_documents`` on hot paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

import pymongo
from pymongo import ASCENDING, MongoClient
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.monitoring import CommandListener

TTL = {"expireAfterSeconds": 0}
T = TypeVar("T")


def in_transaction(db: Database, work: Callable[[ClientSession], T]) -> T:
    """Run ``work`` in one transaction and return what it returns. ``with_transaction`` may
    call ``work`` again (transient error), so ``work`` must be idempotent: conditional writes,
    and ids (audit entries included) made before the transaction."""
    with db.client.start_session() as session:
        return session.with_transaction(work)


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
    db.email_outbox.create_index("purge_at", **TTL)  # set when a mail is sent or given up
    db.stores.create_index("code", unique=True)
    db.registers.create_index([("store_id", ASCENDING), ("code", ASCENDING)], unique=True)
    db.pairing_codes.create_index("expires_at", **TTL)
    db.devices.create_index("register_id")
    db.api_keys.create_index("prefix", unique=True)
    db.audit_log.create_index("at")
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

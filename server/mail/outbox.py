"""The e-mail outbox: mails are queued as documents (in the caller's transaction when it passes
one) and delivered later by ``server.mail.worker``; a request never waits for an SMTP server.

Document: ``{_id, to, subject, text, kind, sensitive, status, attempts, next_attempt_at,
lease_until, created_at}``, plus ``purge_at`` once it is ``sent`` or ``failed`` (a TTL index
removes it then) with ``status`` one of ``pending`` → ``sending`` → ``sent`` |
``failed``. A *sensitive* mail (one carrying a live token) loses its text once it is delivered
or given up, so that the database never keeps a usable secret longer than it must.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from enum import StrEnum

from pymongo.client_session import ClientSession
from pymongo.database import Database


class MailStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt


def enqueue(db: Database, *, to: str, subject: str, text: str, kind: str,
            session: ClientSession | None = None, mail_id: str | None = None,
            sensitive: bool = False) -> str:
    """Queue a plain-text mail to ``to``; returns its id. Pass ``mail_id`` to make a retried
    transaction insert the same mail once (the id is then the idempotency key), and
    ``sensitive=True`` when the text holds a secret (it is erased after delivery)."""
    now = datetime.now(timezone.utc)
    mail_id = mail_id or str(uuid.uuid4())
    doc = {"to": to, "subject": subject, "text": text, "kind": kind, "sensitive": sensitive,
           "status": MailStatus.PENDING.value, "attempts": 0, "next_attempt_at": now,
           "lease_until": None, "created_at": now}
    db.email_outbox.update_one({"_id": mail_id}, {"$setOnInsert": doc}, upsert=True,
                               session=session)
    return mail_id

"""The e-mail worker: one background thread per server process that delivers the outbox.

Every ~0.5 s it looks for mails that are due (``pending`` with ``next_attempt_at`` reached, or
``sending`` whose lease ran out because the worker holding it died), *claims* each one with a
conditional ``update_one`` and sends only the mails whose claim it won, so N processes never
send the same mail twice. A failure re-queues the mail with exponential backoff; after
``MAX_ATTEMPTS`` claims it is marked ``failed``. Everything lives in MongoDB: a worker can die
at any moment and another one carries on.

The claim filters are two separate conditional updates rather than one ``$or`` because
SecantusDB's planner ignores indexes under ``$or`` (the ``_id`` lookup would become a scan).
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from pymongo.database import Database
from pymongo.errors import PyMongoError

from server.config import ServerSettings
from server.mail import smtp
from server.mail.outbox import MailStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=60)  # well above smtp.TIMEOUT_SECONDS: a live worker never loses it
POLL_SECONDS = 0.5
BATCH = 50
_BACKOFF_FIRST_SECONDS = 30
_BACKOFF_MAX_SECONDS = 3600
#: how long a sent or given-up mail stays in the outbox (a TTL index on ``purge_at`` removes it)
KEEP_DONE = timedelta(days=30)

Sender = Callable[[ServerSettings, dict[str, Any]], None]


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: 30 s, 1 min, 2 min, … 1 h."""
    seconds = _BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, _BACKOFF_MAX_SECONDS))


def _erased(mail: dict[str, Any]) -> dict[str, Any]:
    """The fields that erase a sensitive mail's text once it needs sending no more."""
    return {"text": None} if mail.get("sensitive") else {}


class EmailWorker:
    """Delivers due outbox mails; ``run_once`` is one pass (tests call it directly),
    ``start``/``stop`` run passes on a thread."""

    def __init__(self, db: Database, settings: ServerSettings, *, send: Sender = smtp.send,
                 poll_seconds: float = POLL_SECONDS, worker_id: str | None = None) -> None:
        self.db, self.settings, self.send, self.poll_seconds = db, settings, send, poll_seconds
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one pass ---------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> int:
        """Claim and deliver every mail due at ``now``; returns how many it attempted."""
        now = now or datetime.now(timezone.utc)
        outbox = self.db.email_outbox
        due = [(doc["_id"], MailStatus.PENDING) for doc in outbox.find(
            {"status": MailStatus.PENDING.value, "next_attempt_at": {"$lte": now}},
            {"_id": 1}).limit(BATCH)]
        due += [(doc["_id"], MailStatus.SENDING) for doc in outbox.find(
            {"status": MailStatus.SENDING.value, "lease_until": {"$lt": now}},
            {"_id": 1}).limit(BATCH)]
        attempted = 0
        for mail_id, status in due:
            if self._stopping.is_set():
                break
            mail = self._claim(mail_id, status, now)
            if mail is not None:
                self._deliver(mail)
                attempted += 1
        return attempted

    def _claim(self, mail_id: str, status: MailStatus, now: datetime) -> dict[str, Any] | None:
        """Take the mail for this worker, or ``None`` if another worker got it first."""
        if status is MailStatus.PENDING:
            condition = {"next_attempt_at": {"$lte": now}}
        else:  # a lease that ran out: its worker died or hung mid-send
            condition = {"lease_until": {"$lt": now}}
        claim = uuid.uuid4().hex
        result = self.db.email_outbox.update_one(
            {"_id": mail_id, "status": status.value, **condition},
            {"$set": {"status": MailStatus.SENDING.value, "lease_until": now + LEASE,
                      "worker": self.worker_id, "claim": claim},
             "$inc": {"attempts": 1}})
        if result.modified_count != 1:
            return None
        mail = self.db.email_outbox.find_one({"_id": mail_id})
        return mail if mail is not None and mail.get("claim") == claim else None

    def _deliver(self, mail: dict[str, Any]) -> None:
        mine = {"_id": mail["_id"], "claim": mail["claim"]}
        try:
            self.send(self.settings, mail)
        except (smtplib.SMTPException, OSError) as exc:
            self._failed(mail, mine, exc)
            return
        except Exception as exc:  # noqa: BLE001 - one bad mail must never stop the worker
            # Not a delivery problem but a mail that cannot be built or sent at all (an
            # address the header parser refuses, say): retrying would fail the same way.
            log.exception("mail cannot be sent, giving up", extra={"mail_id": mail["_id"]})
            self._failed(mail, mine, exc, final=True)
            return
        now = datetime.now(timezone.utc)
        self.db.email_outbox.update_one(mine, {"$set": {"status": MailStatus.SENT.value,
                                                        "sent_at": now, "lease_until": None,
                                                        "last_error": None,
                                                        "purge_at": now + KEEP_DONE,
                                                        **_erased(mail)}})
        log.info("mail sent", extra={"mail_id": mail["_id"], "kind": mail.get("kind"),
                                     "attempts": mail["attempts"]})

    def _failed(self, mail: dict[str, Any], mine: dict[str, Any], exc: Exception, *,
                final: bool = False) -> None:
        attempts = mail["attempts"]
        error = f"{type(exc).__name__}: {exc}"[:500]
        if final or attempts >= MAX_ATTEMPTS:
            now = datetime.now(timezone.utc)
            update = {"status": MailStatus.FAILED.value, "lease_until": None, "last_error": error,
                      "failed_at": now, "purge_at": now + KEEP_DONE, **_erased(mail)}
            log.error("mail failed for good", extra={"mail_id": mail["_id"], "error": error})
        else:
            update = {"status": MailStatus.PENDING.value, "lease_until": None, "last_error": error,
                      "next_attempt_at": datetime.now(timezone.utc) + backoff(attempts)}
            log.warning("mail not sent, will retry", extra={"mail_id": mail["_id"],
                                                            "attempts": attempts, "error": error})
        self.db.email_outbox.update_one(mine, {"$set": update})

    # -- the thread -------------------------------------------------------------------------

    def start(self) -> Callable[[], None]:
        """Run passes on a daemon thread until ``stop``; returns ``stop``."""
        self._thread = threading.Thread(target=self._loop, name="email-worker", daemon=True)
        self._thread.start()
        return self.stop

    def stop(self, timeout: float = smtp.TIMEOUT_SECONDS + 5) -> None:
        """Ask the thread to finish its current mail and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except PyMongoError:
                # The database is away (restart, failover): log and try again next poll.
                log.exception("email worker: database error, retrying")
            except Exception:  # noqa: BLE001 - the thread must outlive any single failure
                log.exception("email worker: unexpected error in a pass, carrying on")
            self._stopping.wait(self.poll_seconds)


def background_starter(db: Database, settings: ServerSettings) -> Callable[[], Callable[[], None]]:
    """What ``create_app`` puts in ``app.state.background``: starts a worker, returns its stop."""

    def start() -> Callable[[], None]:
        if not settings.smtp_host:
            log.warning("email worker not started: no SMTP host configured "
                        "(TILLPOINT_SMTP_HOST); mails stay queued in the outbox")
            return lambda: None
        return EmailWorker(db, settings).start()

    return start

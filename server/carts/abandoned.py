"""The background worker that sends the abandoned-cart mail (through the outbox) for carts left
alone for ``settings.abandoned_cart_hours``.

Every cart write sets ``abandon_due_at`` (now + the delay) when the cart has items and a known
address (a signed-in customer, or a guest who gave one at checkout) and has not had its mail;
a sweep takes each due cart with a conditional update (only one of several server processes
wins it) and queues the mail in the same transaction, so each cart gets it once."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Any, Callable

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import PyMongoError

from server.carts import repository as repo
from server.config import ServerSettings
from server.database import in_transaction
from server.mail.outbox import enqueue

log = logging.getLogger(__name__)
BATCH = 100
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def poll_seconds(settings: ServerSettings) -> float:
    """A fiftieth of the delay, between 1 s and 5 min (a zero delay, in tests: every second)."""
    return min(300.0, max(1.0, settings.abandoned_cart_hours * 3600 / 50))


def _address(db: Database, cart: dict[str, Any]) -> str | None:
    if cart.get("user_id"):
        user = db.users.find_one({"_id": cart["user_id"]}, {"email": 1})
        return user["email"] if user else None
    return cart.get("email")


def _text(settings: ServerSettings, cart: dict[str, Any]) -> str:
    count = len(cart["lines"])
    return (f"You left {count} item{'s' if count != 1 else ''} in your cart.\n\n"
            f"They are waiting for you: {settings.public_url}/cart/{cart['_id']}\n\n"
            "Prices and availability are checked again when you come back.\n")


def sweep(db: Database, settings: ServerSettings, now: datetime | None = None) -> int:
    """One pass: queue the mail of every cart due at ``now``; returns how many it queued."""
    now = now or datetime.now(timezone.utc)
    sent = 0
    for cart in repo.due_for_mail(db, since=EPOCH, now=now, limit=BATCH):
        to = _address(db, cart)
        due = cart["abandon_due_at"]

        def work(session: ClientSession, cart: dict[str, Any] = cart, to: str | None = to,
                 due: datetime = due) -> bool:
            if not repo.claim_mail(db, cart["_id"], due, now, session):
                return False  # another worker took it, or the cart changed
            if to:
                enqueue(db, to=to, subject="You left something in your cart",
                        text=_text(settings, cart), kind="abandoned_cart", session=session,
                        mail_id=f"abandoned-cart:{cart['_id']}")
            return bool(to)

        if in_transaction(db, work):
            sent += 1
    return sent


class AbandonedCartWorker:
    """Runs ``sweep`` on a thread every ``poll_seconds`` until stopped."""

    def __init__(self, db: Database, settings: ServerSettings) -> None:
        self.db, self.settings = db, settings
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stopping.wait(poll_seconds(self.settings)):
            try:
                sweep(self.db, self.settings)
            except PyMongoError:
                log.exception("abandoned-cart sweep failed; trying again later")

    def start(self) -> Callable[[], None]:
        self._thread = threading.Thread(target=self._run, name="abandoned-carts", daemon=True)
        self._thread.start()
        return self.stop

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def background_starter(db: Database, settings: ServerSettings) -> Callable[[], Callable[[], None]]:
    """What ``create_app`` puts in ``app.state.background``: starts the worker, returns its stop."""

    def start() -> Callable[[], None]:
        return AbandonedCartWorker(db, settings).start()

    return start

"""Helpers shared by the auth and mail tests (no tests of its own): building in-process apps
over the real database, reading tokens out of queued or delivered mails, making accounts."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from dataclasses import replace
from email.message import Message
from typing import Any, Iterator

from fastapi.testclient import TestClient
from pymongo.database import Database

from server.app import create_app
from server.config import ServerSettings
from server.database import Mongo
from server.users.service import create_user

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse 2"
_TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


@contextmanager
def app_client(settings: ServerSettings, **overrides: Any) -> Iterator[TestClient]:
    """The app in-process, like the ``client`` fixture, with some settings changed."""
    settings = replace(settings, **overrides)
    app = create_app(settings, Mongo.open(settings.mongodb_uri, settings.database))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def token_in(text: str) -> str:
    match = _TOKEN.search(text)
    assert match, f"no token link in {text!r}"
    return match.group(1)


def mail_body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode(message.get_content_charset() or "utf-8")


def queued_token(db: Database, to: str, kind: str) -> str:
    """The token of the newest queued mail of ``kind`` to ``to`` (no SMTP needed)."""
    mails = sorted(db.email_outbox.find({"to": to, "kind": kind}), key=lambda m: m["created_at"])
    assert mails, f"no {kind} mail queued for {to}"
    return token_in(mails[-1]["text"])


def register(client: TestClient, email: str, password: str = PASSWORD, **extra: Any):
    return client.post("/api/v1/auth/register", json={"email": email, "password": password,
                                                       **extra})


def login(client: TestClient, email: str, password: str = PASSWORD, **headers: str):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password},
                       headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def verified_customer(client: TestClient, db: Database, email: str) -> dict[str, Any]:
    """Register and verify through the API (token from the outbox); returns the user."""
    created = register(client, email)
    assert created.status_code == 201, created.text
    token = queued_token(db, email, "verify_email")
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    return created.json()


def tokens_for(client: TestClient, db: Database, email: str) -> dict[str, Any]:
    """A verified customer, logged in: the token pair."""
    verified_customer(client, db, email)
    response = login(client, email)
    assert response.status_code == 200, response.text
    return response.json()


def staff(db: Database, email: str, role: str = "cashier", rounds: int = 4) -> dict[str, Any]:
    return create_user(db, email=email, role=role, password=PASSWORD, verified=True,
                       actor="test", ip=None, rounds=rounds)


def fresh_rate_window(margin: float = 3.0) -> None:
    """Wait out the last seconds of a minute so that a test counting requests against a
    per-minute limit does not see the fixed window roll over half way."""
    into = time.time() % 60
    if into > 60 - margin:
        time.sleep(60 - into + 0.05)

"""The e-mail outbox and its worker, against the real SMTP sink and the real database."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from server.embedded import free_port
from server.mail.outbox import MailStatus, enqueue
from server.mail.worker import MAX_ATTEMPTS, EmailWorker, background_starter, backoff
from tests.server.test_auth_helpers import app_client, mail_body, register, token_in


def address() -> str:
    return f"{uuid.uuid4().hex[:10]}@example.com"  # the sink is shared by the whole session


def test_enqueue_writes_a_pending_mail(mongo):
    mail_id = enqueue(mongo.db, to="ann@example.com", subject="Hi", text="Hello", kind="test")
    mail = mongo.db.email_outbox.find_one({"_id": mail_id})
    assert mail["status"] == "pending" and mail["attempts"] == 0
    assert {"to", "subject", "text", "kind", "next_attempt_at", "created_at"} <= set(mail)


def test_enqueue_with_an_id_queues_once(mongo):
    for _ in range(2):
        enqueue(mongo.db, to="ann@example.com", subject="Hi", text="Hello", kind="t", mail_id="m1")
    assert len(list(mongo.db.email_outbox.find({"_id": "m1"}))) == 1


def test_a_pass_delivers_due_mail_and_marks_it_sent(mongo, settings, smtp_sink):
    to = address()
    mail_id = enqueue(mongo.db, to=to, subject="Your receipt", text="Thanks — 12,50 €",
                      kind="test")
    assert EmailWorker(mongo.db, settings).run_once() == 1
    message = smtp_sink.wait_for(to, subject_contains="Your receipt")
    assert message["From"] == settings.mail_from
    assert "Thanks — 12,50 €" in mail_body(message)
    assert mail_id in message["Message-ID"]
    sent = mongo.db.email_outbox.find_one({"_id": mail_id})
    assert sent["status"] == "sent" and sent["attempts"] == 1 and sent["sent_at"]


def test_two_workers_never_send_the_same_mail(mongo, settings, smtp_sink):
    to = address()
    ids = [enqueue(mongo.db, to=to, subject=f"mail {n:02d}", text="x", kind="test")
           for n in range(24)]
    workers = [EmailWorker(mongo.db, settings, worker_id=f"w{n}") for n in range(3)]
    start = threading.Barrier(len(workers))

    def run(worker: EmailWorker) -> None:
        start.wait()
        worker.run_once()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        received = [m["Subject"] for m in smtp_sink.messages if m["To"] == to]
        if len(received) >= len(ids):
            break
        time.sleep(0.05)
    time.sleep(0.2)  # a duplicate would arrive now
    received = sorted(m["Subject"] for m in smtp_sink.messages if m["To"] == to)
    assert received == sorted(f"mail {n:02d}" for n in range(24))
    mails = list(mongo.db.email_outbox.find({"to": to}))
    assert all(m["status"] == "sent" and m["attempts"] == 1 for m in mails)  # claimed once each


def test_a_claim_taken_by_one_worker_is_refused_to_the_other(mongo, settings):
    mail_id = enqueue(mongo.db, to=address(), subject="s", text="t", kind="test")
    first, second = EmailWorker(mongo.db, settings), EmailWorker(mongo.db, settings)
    now = datetime.now(timezone.utc)
    assert first._claim(mail_id, MailStatus.PENDING, now) is not None
    assert second._claim(mail_id, MailStatus.PENDING, now) is None
    assert second._claim(mail_id, MailStatus.SENDING, now) is None  # the lease is still live


def test_a_failed_send_is_retried_with_backoff_then_given_up(mongo, settings):
    unreachable = replace(settings, smtp_port=free_port())  # nothing listens there
    mail_id = enqueue(mongo.db, to=address(), subject="s", text="t", kind="test")
    worker = EmailWorker(mongo.db, unreachable)
    worker.run_once()
    mail = mongo.db.email_outbox.find_one({"_id": mail_id})
    assert mail["status"] == "pending" and mail["attempts"] == 1 and mail["last_error"]
    wait = mail["next_attempt_at"] - datetime.now(timezone.utc)
    assert timedelta(seconds=25) < wait <= backoff(1)
    assert worker.run_once() == 0  # not due yet
    later = datetime.now(timezone.utc)
    for _ in range(MAX_ATTEMPTS - 1):
        later += timedelta(hours=2)
        assert worker.run_once(now=later) == 1
    mail = mongo.db.email_outbox.find_one({"_id": mail_id})
    assert mail["status"] == "failed" and mail["attempts"] == MAX_ATTEMPTS
    assert worker.run_once(now=later + timedelta(days=1)) == 0


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600]


def test_a_mail_left_sending_by_a_dead_worker_is_sent_after_its_lease(mongo, settings, smtp_sink):
    to, now = address(), datetime.now(timezone.utc)
    stale = enqueue(mongo.db, to=to, subject="stale", text="t", kind="test")
    held = enqueue(mongo.db, to=to, subject="held", text="t", kind="test")
    mongo.db.email_outbox.update_one({"_id": stale}, {"$set": {
        "status": "sending", "lease_until": now - timedelta(seconds=1), "worker": "dead"}})
    mongo.db.email_outbox.update_one({"_id": held}, {"$set": {
        "status": "sending", "lease_until": now + timedelta(seconds=60), "worker": "alive"}})
    assert EmailWorker(mongo.db, settings).run_once() == 1
    smtp_sink.wait_for(to, subject_contains="stale")
    assert mongo.db.email_outbox.find_one({"_id": stale})["status"] == "sent"
    assert mongo.db.email_outbox.find_one({"_id": held})["status"] == "sending"


def test_the_thread_delivers_and_stops_promptly(mongo, settings, smtp_sink):
    to = address()
    worker = EmailWorker(mongo.db, settings, poll_seconds=0.05)
    stop = worker.start()
    enqueue(mongo.db, to=to, subject="threaded", text="t", kind="test")
    smtp_sink.wait_for(to, subject_contains="threaded", timeout=10)
    started = time.monotonic()
    stop()
    assert time.monotonic() - started < 2
    assert not worker._thread.is_alive()


def test_without_an_smtp_host_no_worker_starts_and_mail_waits(mongo, settings):
    stop = background_starter(mongo.db, replace(settings, smtp_host=""))()
    enqueue(mongo.db, to=address(), subject="s", text="t", kind="test")
    time.sleep(0.3)
    stop()
    assert mongo.db.email_outbox.find_one({})["status"] == "pending"


def test_an_app_with_the_worker_mails_the_verification_link(settings, smtp_sink):
    to = address()
    with app_client(settings, email_worker=True) as client:
        assert register(client, to).status_code == 201
        message = smtp_sink.wait_for(to, subject_contains="Confirm your e-mail")
        token = token_in(mail_body(message))
        assert f"{settings.public_url}/verify-email?token={token}" in mail_body(message)
        assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
        outbox = client.app.state.mongo.db.email_outbox
        deadline = time.monotonic() + 5  # the worker records "sent" just after the SMTP reply
        while outbox.find_one({"to": to})["status"] != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
        sent = outbox.find_one({"to": to})
        assert sent["status"] == "sent" and sent["text"] is None  # the live token is not kept


def test_only_sensitive_mails_lose_their_text_when_sent(mongo, settings, smtp_sink):
    plain = enqueue(mongo.db, to=address(), subject="receipt", text="kept", kind="test")
    secret = enqueue(mongo.db, to=address(), subject="link", text="token=abc", kind="test",
                     sensitive=True)
    EmailWorker(mongo.db, settings).run_once()
    assert mongo.db.email_outbox.find_one({"_id": plain})["text"] == "kept"
    assert mongo.db.email_outbox.find_one({"_id": secret})["text"] is None

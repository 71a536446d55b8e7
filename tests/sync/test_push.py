"""Pushing the outbox, against tiny real HTTP servers that answer as told: batches bounded by
count and bytes, device sequence numbers given once and kept across a failed send, entries
deleted only once the reply is recorded, and the till selling while a push is on the wire."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select, text, update

from app import outbox
from app.domain.sync_protocol import MAX_PUSH_BYTES
from app.sales.identity import get_local
from db.models import OutboxEntry, StockMovement, SyncIssue
from sync.client import SyncClient
from sync.errors import ServerError
from sync.push import NEXT_DEVICE_SEQ_KEY, push
from tests.support.tills import sell, stocked_shop
from tests.support.tiny_http import Reply, Seen, TinyServer, error


def answer(status: str = "applied", **extra) -> callable:
    """A push endpoint that answers ``status`` for every mutation it is sent."""
    def script(seen: Seen) -> Reply:
        ids = [m["id"] for m in seen.json()["mutations"]]
        return Reply(body={"results": [{"id": i, "status": status, **extra} for i in ids],
                           "server_time": "2026-12-01T10:00:00+00:00"})
    return script


def client_for(server: TinyServer, attempts: int = 2) -> SyncClient:
    return SyncClient(server.url, device_id="d-1", device_key="k", attempts=attempts,
                      backoff_base=0.01, timeout=(1, 10))


def enqueue(store, count: int, *, note_bytes: int = 10) -> list[str]:
    with store.write() as session:
        entries = [outbox.enqueue(session, kind="order.created", entity_id=f"o-{n}",
                                  payload={"note": "x" * note_bytes, "stock_movements": []})
                   for n in range(count)]
        session.flush()
        return [e.mutation_id for e in entries]


def outbox_rows(store) -> list[OutboxEntry]:
    with store.read() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def sent_batches(server: TinyServer) -> list[list[dict]]:
    return [seen.json()["mutations"] for seen in server.requests_to("/api/v1/sync/push")]


def test_batches_follow_the_outbox_order_with_increasing_device_numbers(blank_shop):
    cashier, (tea, _) = stocked_shop(blank_shop)
    order_ids = [sell(blank_shop, cashier, tea) for _ in range(7)]
    with TinyServer(answer()) as server:
        result = push(blank_shop, client_for(server), batch_size=3)
    batches = sent_batches(server)
    assert [len(b) for b in batches] == [3, 3, 1] and result.batches == 3
    sent = [m for batch in batches for m in batch]
    assert [m["entity_id"] for m in sent] == order_ids
    assert [m["seq"] for m in sent] == list(range(1, 8))
    first = sent[0]
    assert set(first) == {"id", "seq", "kind", "entity_id", "payload", "created_at", "staff_id"}
    assert (first["kind"], first["staff_id"]) == ("order.created", cashier)
    assert first["payload"]["stock_movements"] and first["created_at"].endswith("+00:00")
    assert (result.sent, result.applied, result.rejected) == (7, 7, 0)
    assert outbox_rows(blank_shop) == []
    with blank_shop.read() as session:
        assert get_local(session, NEXT_DEVICE_SEQ_KEY) == "8"
        unsynced = session.scalar(select(func.count()).select_from(StockMovement)
                                  .where(StockMovement.synced.is_(False),
                                         StockMovement.kind == "sale"))
        assert unsynced == 0  # the resolution marked the sales' movements as counted


def test_batches_stay_under_the_byte_limit(blank_shop):
    enqueue(blank_shop, 7, note_bytes=300_000)
    with TinyServer(answer()) as server:
        result = push(blank_shop, client_for(server))
    bodies = [len(seen.body) for seen in server.seen]
    assert [len(b) for b in sent_batches(server)] == [3, 3, 1] and result.sent == 7
    assert max(bodies) <= MAX_PUSH_BYTES


def test_an_entry_too_large_to_send_is_held_back_and_the_rest_go(blank_shop):
    small = enqueue(blank_shop, 1)
    huge = enqueue(blank_shop, 1, note_bytes=MAX_PUSH_BYTES)
    after = enqueue(blank_shop, 2)
    with TinyServer(answer()) as server:
        result = push(blank_shop, client_for(server))
    assert [m["id"] for b in sent_batches(server) for m in b] == small + after
    assert (result.sent, result.held) == (3, 1)
    [left] = outbox_rows(blank_shop)
    assert left.mutation_id == huge[0] and "too large to send" in left.last_error


def test_a_damaged_payload_is_held_back_and_the_rest_go(blank_shop):
    before = enqueue(blank_shop, 1)
    damaged = enqueue(blank_shop, 1)
    after = enqueue(blank_shop, 1)
    with blank_shop.write() as session:  # a lone surrogate: valid JSON text, not encodable
        session.execute(update(OutboxEntry).where(OutboxEntry.mutation_id == damaged[0])
                        .values(payload='{"note": "\\ud800"}'))
    with TinyServer(answer()) as server:
        result = push(blank_shop, client_for(server))
    assert [m["id"] for b in sent_batches(server) for m in b] == before + after
    assert (result.sent, result.held) == (2, 1)
    [left] = outbox_rows(blank_shop)
    assert left.mutation_id == damaged[0] and "cannot be sent" in left.last_error


def test_a_failed_send_keeps_the_entries_and_their_numbers(blank_shop):
    ids = enqueue(blank_shop, 4)
    with TinyServer(lambda seen: error(503, "unavailable")) as server:
        with pytest.raises(ServerError):
            push(blank_shop, client_for(server, attempts=2), batch_size=2)
        first_try = [[m["seq"] for m in b] for b in sent_batches(server)]
    assert first_try == [[1, 2], [1, 2]]  # the one batch, retried once with the same numbers
    rows = outbox_rows(blank_shop)
    assert [r.mutation_id for r in rows] == ids
    # numbered before the first send; the entries behind were not sent, so not numbered yet
    assert [(r.device_seq, r.attempts) for r in rows] == [(1, 1), (2, 1), (None, 0), (None, 0)]
    assert "503" in rows[0].last_error
    enqueue(blank_shop, 1)  # sold while offline
    with TinyServer(answer()) as server:
        result = push(blank_shop, client_for(server), batch_size=2)
    assert [[m["seq"] for m in b] for b in sent_batches(server)] == [[1, 2], [3, 4], [5]]
    assert result.sent == 5 and outbox_rows(blank_shop) == []


def test_a_lost_reply_is_sent_again_and_the_duplicate_clears_the_entries(blank_shop):
    ids = enqueue(blank_shop, 3)
    replies = iter([Reply(drop=True)])

    def script(seen: Seen) -> Reply:
        dropped = next(replies, None)  # the server did the work; the till never heard
        return dropped or answer("duplicate", original_status="applied")(seen)

    with TinyServer(script) as server:
        result = push(blank_shop, client_for(server, attempts=3))
    assert [[m["id"] for m in b] for b in sent_batches(server)] == [ids, ids]
    assert (result.duplicate, result.sent) == (3, 3) and outbox_rows(blank_shop) == []


def test_entries_stay_until_the_reply_and_the_till_sells_meanwhile(blank_shop):
    cashier, (tea, _) = stocked_shop(blank_shop)
    first = sell(blank_shop, cashier, tea)
    release = threading.Event()
    pushed: dict = {}

    def script(seen: Seen) -> Reply:
        reply = answer()(seen)
        reply.hold = release  # the reply waits until the test has sold something
        return reply

    with TinyServer(script) as server:
        worker = threading.Thread(target=lambda: pushed.update(result=push(
            blank_shop, client_for(server))))
        worker.start()
        deadline = time.monotonic() + 10
        while not server.seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.seen, "the push never reached the server"
        started = time.monotonic()
        second = sell(blank_shop, cashier, tea)  # would wait out busy_timeout if push held the lock
        assert time.monotonic() - started < 1.0
        assert [r.entity_id for r in outbox_rows(blank_shop)] == [first, second]
        release.set()
        worker.join(20)
    assert pushed["result"].sent == 1
    assert [r.entity_id for r in outbox_rows(blank_shop)] == [second]  # for the next push


def test_each_result_is_recorded_and_a_rejection_becomes_a_notice(blank_shop):
    cashier, (tea, _) = stocked_shop(blank_shop)
    sell(blank_shop, cashier, tea)
    with TinyServer(answer("rejected", reason="the order is malformed")) as server:
        result = push(blank_shop, client_for(server))
    assert (result.rejected, result.applied) == (1, 0) and outbox_rows(blank_shop) == []
    with blank_shop.read() as session:
        [issue] = session.scalars(select(SyncIssue))
        assert issue.kind == "rejected" and "malformed" in issue.message + issue.details


def test_a_result_that_cannot_be_recorded_keeps_its_entry_and_not_the_others(blank_shop):
    ids = enqueue(blank_shop, 3)
    with blank_shop.write() as session:  # a real failure of the store for one entry's notice
        session.execute(text(
            "CREATE TRIGGER refuse_notice BEFORE INSERT ON sync_issues WHEN NEW.entity_id = 'o-1' "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"))
    with TinyServer(answer("rejected", reason="no")) as server:
        result = push(blank_shop, client_for(server))
    assert (result.sent, result.rejected, result.held) == (3, 2, 1)
    [left] = outbox_rows(blank_shop)
    assert left.mutation_id == ids[1] and left.attempts == 1
    assert "rejected, but it could not be recorded here" in left.last_error
    assert "disk says no" in left.last_error
    with blank_shop.read() as session:
        assert sorted(i.entity_id for i in session.scalars(select(SyncIssue))) == ["o-0", "o-2"]


def test_nothing_to_push_sends_nothing(blank_shop):
    with TinyServer(answer()) as server:
        result = push(blank_shop, client_for(server))
    assert server.seen == [] and result.sent == 0 and result.batches == 0


def test_payloads_go_as_they_were_written(blank_shop):
    with blank_shop.write() as session:
        outbox.enqueue(session, kind="stock.movement", entity_id="m-1",
                       payload={"id": "m-1", "quantity_milli": -1500, "staff_id": "s-9",
                                "reason": "Bruch — 2 Stück"})
    with TinyServer(answer()) as server:
        push(blank_shop, client_for(server))
    [[sent]] = sent_batches(server)
    assert sent["staff_id"] == "s-9" and sent["payload"]["reason"] == "Bruch — 2 Stück"
    assert json.loads(server.seen[0].body)["mutations"][0]["payload"]["quantity_milli"] == -1500

"""The change log on a real SecantusDB: sequences are allocated inside the writer's transaction,
so committed entries always form a gap-free prefix and a polling reader never skips one — and
the timestamp cursor it replaces does skip, which the regression test below shows."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timezone

import pymongo
import pytest

from server.changes import log as change_log
from server.changes.log import CATALOG_FEED, Change, store_feed
from server.database import in_transaction


@pytest.fixture
def db(mongo):
    change_log.ensure_indexes(mongo.db)
    return mongo.db


def _write_product(db, session, name: str) -> int:
    product_id = str(uuid.uuid4())
    db.products.insert_one({"_id": product_id, "name": name}, session=session)
    return change_log.append(db, CATALOG_FEED, Change("product", product_id, data={"name": name}),
                             session=session)


def test_an_entry_exists_exactly_when_its_write_committed(db):
    assert in_transaction(db, lambda s: _write_product(db, s, "kept")) == 1

    def fails(session):
        _write_product(db, session, "lost")
        raise RuntimeError("the write fails after its entry was appended")

    with pytest.raises(RuntimeError):
        in_transaction(db, fails)
    assert [e["data"]["name"] for e in change_log.read(db, CATALOG_FEED, after=0, limit=10)] == ["kept"]
    assert change_log.state(db, CATALOG_FEED).seq == 1  # the aborted sequence number was not used
    assert in_transaction(db, lambda s: _write_product(db, s, "next")) == 2


def test_a_second_writer_cannot_take_a_sequence_while_the_first_is_open(db):
    client = db.client
    with client.start_session() as first, client.start_session() as second:
        first.start_transaction()
        _write_product(db, first, "first")
        second.start_transaction()
        with pytest.raises(pymongo.errors.OperationFailure) as conflict:
            _write_product(db, second, "second")
        assert conflict.value.has_error_label("TransientTransactionError")
        second.abort_transaction()
        first.commit_transaction()
    assert in_transaction(db, lambda s: _write_product(db, s, "second")) == 2


def test_a_timestamp_cursor_skips_a_write_that_commits_late(db):
    """The regression the in-transaction sequence exists for: writer A stamps its change, writer
    B stamps a later one and commits first, a reader moves its cursor to B's stamp, then A
    commits with the earlier stamp — behind the cursor, so the reader never sees it."""
    client = db.client
    db.create_collection("stamped")  # two transactions may not both create it
    with client.start_session() as a, client.start_session() as b:
        a.start_transaction()
        db.stamped.insert_one({"_id": "a", "at": datetime.now(timezone.utc)}, session=a)
        time.sleep(0.005)
        b.start_transaction()
        db.stamped.insert_one({"_id": "b", "at": datetime.now(timezone.utc)}, session=b)
        b.commit_transaction()  # B commits first
        seen = list(db.stamped.find({}))
        cursor = max(d["at"] for d in seen)
        a.commit_transaction()
    later = list(db.stamped.find({"at": {"$gt": cursor}}))
    assert [d["_id"] for d in seen] == ["b"] and later == []  # "a" is skipped for ever


def test_concurrent_writers_and_a_polling_reader_see_every_change_once_in_order(db):
    writers, per_writer = 6, 15
    seen: list[int] = []
    done = threading.Event()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(per_writer):
                in_transaction(db, lambda s: _write_product(db, s, f"w{n}-{i}"))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    def poll() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            for entry in change_log.read(db, CATALOG_FEED, after=cursor, limit=7):
                assert entry["seq"] == cursor + 1, "a hole or a repeat in the committed prefix"
                seen.append(entry["seq"])
                cursor = entry["seq"]
            if finished and cursor == change_log.state(db, CATALOG_FEED).seq:
                return
            time.sleep(0.002)

    reader = threading.Thread(target=poll)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join(timeout=60)
    assert not errors and not reader.is_alive()
    assert seen == list(range(1, writers * per_writer + 1))
    names = {e["data"]["name"] for e in change_log.read(db, CATALOG_FEED, after=0, limit=1000)}
    assert len(names) == writers * per_writer


def test_feeds_are_separate_and_bulk_appends_take_contiguous_numbers(db):
    store = store_feed("s1")
    assert in_transaction(db, lambda s: change_log.append_many(
        db, store, [Change("stock_level", f"v{i}") for i in range(5)], session=s)) == [1, 2, 3, 4, 5]
    assert in_transaction(db, lambda s: change_log.append(db, CATALOG_FEED, Change("product", "p"),
                                                           session=s)) == 1
    assert [f.feed for f in change_log.feeds(db, "store:")] == [store]
    assert change_log.state(db, store).epoch and change_log.state(db, "missing").seq == 0
    window = change_log.read(db, store, after=1, limit=2)
    assert [e["seq"] for e in window] == [2, 3] and change_log.read(db, store, after=0, limit=0) == []
    tombstone = Change("stock_level", "v9", op=change_log.DELETE)
    in_transaction(db, lambda s: change_log.append(db, store, tombstone, session=s))
    last = change_log.read(db, store, after=5, limit=5)
    assert [(e["op"], e["data"]) for e in last] == [("delete", None)]

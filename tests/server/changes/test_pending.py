"""``Pending``: a transaction's entries appended with one counter update per feed, either at
the end or into numbers taken early — on a real SecantusDB, gap-free either way."""

from __future__ import annotations

import pytest

from server.changes import log as change_log
from server.changes.log import Change, Pending, store_feed
from server.database import in_transaction


@pytest.fixture
def db(mongo):
    change_log.ensure_indexes(mongo.db)
    return mongo.db


def _entries(db, feed):
    return [(e["seq"], e["entity_id"]) for e in change_log.read(db, feed, after=0, limit=100)]


def test_flush_appends_each_feed_in_the_order_added(db):
    a, b = store_feed("a"), store_feed("b")
    change_log.append(db, a, Change("order", "before"), session=None)

    def work(session):
        pending = Pending()
        pending.add(a, [Change("stock_level", "l1"), Change("stock_level", "l2")])
        pending.add(b, [Change("order", "o2")])
        pending.add(a, [Change("order", "o1")])
        return pending.flush(db, session=session)

    assert in_transaction(db, work) == {a: [2, 3, 4], b: [1]}
    assert _entries(db, a) == [(1, "before"), (2, "l1"), (3, "l2"), (4, "o1")]
    assert _entries(db, b) == [(1, "o2")]
    assert change_log.state(db, a).seq == 4


def test_numbers_taken_early_are_filled_by_flush(db):
    feed = store_feed("s")

    def work(session):
        pending = Pending()
        pending.take(db, feed, 2, session=session)
        pending.add(feed, [Change("stock_level", "l1"), Change("order", "o1")])
        return pending.flush(db, session=session)

    assert in_transaction(db, work) == {feed: [1, 2]}
    assert _entries(db, feed) == [(1, "l1"), (2, "o1")]


def test_taking_more_numbers_than_entries_commits_nothing(db):
    feed = store_feed("s")

    def work(session):
        pending = Pending()
        pending.take(db, feed, 3, session=session)
        pending.add(feed, [Change("order", "o1")])
        pending.flush(db, session=session)

    with pytest.raises(RuntimeError, match="3 numbers taken for 1 entries"):
        in_transaction(db, work)
    assert change_log.state(db, feed).seq == 0  # the counter went back with the transaction
    assert _entries(db, feed) == []

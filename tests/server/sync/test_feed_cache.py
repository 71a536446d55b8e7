"""Cached blocks of a feed: a page served from them is the page the log gives, a block with
gaps that compaction did not make is never kept, and after a compaction or an erase that
rewrote entries in place no block made before it is served."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.domain.sync_protocol import CATALOG_FEED, store_feed
from server.changes import log as change_log
from server.changes.compact import compact
from server.database import in_transaction
from server.sync import feed, feed_cache
from tests.server.sync.test_feed import pair, pull_all

BLOCK = feed_cache.BLOCK


@pytest.fixture
def catalogue(client):
    """A catalogue feed of a little over two blocks (entries appended as the catalogue's
    writers do, in one transaction: seeding real products would take a minute)."""
    db = client.app.state.mongo.db
    changes = [change_log.Change("product", str(uuid.uuid4()), version=1,
                                 data={"name": f"Product {n}", "prices": {"EUR": 100 + n}})
               for n in range(2 * BLOCK + 50)]
    in_transaction(db, lambda s: change_log.append_many(db, CATALOG_FEED, changes, session=s))
    return db


def catalog_entries(client, headers, limit: int = BLOCK) -> list[dict]:
    changes, _, _ = pull_all(client, headers, limit=limit)
    return [c for c in changes if c["feed"] == CATALOG_FEED]


def test_pages_from_blocks_equal_pages_from_the_log(client, catalogue, monkeypatch):
    till = pair(catalogue)
    head = change_log.state(catalogue, CATALOG_FEED).seq
    cold = catalog_entries(client, till)
    assert catalogue.feed_blocks.count_documents({}) == head // BLOCK == 2
    warm = catalog_entries(client, till)
    wide = catalog_entries(client, till, limit=5000)  # several blocks in one page
    monkeypatch.setattr(feed_cache, "enabled", False)
    plain = catalog_entries(client, till)
    assert cold == warm == wide == plain
    assert [c["seq"] for c in plain] == list(range(1, head + 1))


def test_warming_makes_the_blocks_a_first_pull_then_serves(client, catalogue):
    assert feed_cache.warm(catalogue, CATALOG_FEED, feed.dumps) == 2
    made = {b["_id"] for b in catalogue.feed_blocks.find({}, {"_id": 1})}
    assert len(catalog_entries(client, pair(catalogue))) == 2 * BLOCK + 50
    assert {b["_id"] for b in catalogue.feed_blocks.find({}, {"_id": 1})} == made


def test_a_block_with_gaps_is_kept_only_below_the_compaction_mark(client, catalogue):
    till = pair(catalogue)
    # gaps as a writer outside a transaction leaves them for a moment (numbered, not inserted)
    catalogue.change_log.delete_many({"feed": CATALOG_FEED, "seq": {"$in": [3, 700]}})
    catalog_entries(client, till)
    assert catalogue.feed_blocks.count_documents({}) == 0
    catalogue.change_log.delete_many({"feed": CATALOG_FEED, "seq": {"$gt": 2 * BLOCK}})
    compact(catalogue, CATALOG_FEED, tombstone_retention=timedelta(days=30))
    entries = catalog_entries(client, till, limit=5000)  # room for whole blocks throughout
    assert catalogue.feed_blocks.count_documents({}) == 2
    assert 3 not in {c["seq"] for c in entries} and len(entries) == 2 * BLOCK - 2


def test_blocks_made_before_a_compaction_are_not_served_after_it(client, catalogue):
    till = pair(catalogue)
    before = catalog_entries(client, till)
    assert catalogue.feed_blocks.count_documents({}) == 2
    early = before[9]  # seq 10, in the first block
    in_transaction(catalogue, lambda s: change_log.append(catalogue, CATALOG_FEED, change_log.Change(
        "product", early["entity_id"], version=2, data={"name": "Renamed"}), session=s))
    done = compact(catalogue, CATALOG_FEED, tombstone_retention=timedelta(days=30))
    assert done.superseded_removed == 1 and catalogue.feed_blocks.count_documents({}) == 0
    after = catalog_entries(client, till)
    assert 10 not in {c["seq"] for c in after} and len(after) == len(before)
    assert [c["data"]["name"] for c in after if c["entity_id"] == early["entity_id"]] == \
        ["Renamed"]
    assert catalogue.feed_blocks.count_documents({}) == 2  # made again, without seq 10


def test_blocks_made_before_an_erase_rewrote_entries_are_not_served_after_it(client):
    db = client.app.state.mongo.db
    till = pair(db)
    stock_feed = store_feed(till["X-Store-Id"])
    orders = [change_log.Change("order", str(uuid.uuid4()), version=1,
                                data={"number": f"S01-R01-{n:06d}", "email": f"p{n}@example.com"})
              for n in range(2 * BLOCK)]
    in_transaction(db, lambda s: change_log.append_many(db, stock_feed, orders, session=s))
    products = [change_log.Change("product", str(uuid.uuid4()), data={"name": "Early"})] * 3
    in_transaction(db, lambda s: change_log.append_many(db, CATALOG_FEED, products, session=s))
    before = [c for c in pull_all(client, till)[0] if c["feed"] == stock_feed]
    # the store feed starts 3 entries into the first page, which stops short of its first
    # block rather than cutting through it (a page out of step would never meet a block)
    assert db.feed_blocks.count_documents({"feed": stock_feed}) == 2 and before[9]["data"]["email"]
    erased = before[9]["entity_id"]
    in_transaction(db, lambda s: change_log.rewrite(
        db, {"entity": "order", "entity_id": erased}, {"$set": {"data.email": None}},
        session=s))
    after = [c for c in pull_all(client, till)[0] if c["feed"] == stock_feed]
    assert after[9]["entity_id"] == erased and after[9]["data"]["email"] is None
    assert [c["data"] for c in after[10:]] == [c["data"] for c in before[10:]]
    assert change_log.state(db, stock_feed).rewrites == 1

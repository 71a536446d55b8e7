"""The read model follows the change log: freshness, archive and delete, category renames,
rebuilds (missing file, corrupt file, feed epoch change), and one writer at a time (flock)."""

from __future__ import annotations

import time

from server.changes.log import CATALOG_FEED
from server.search import readmodel
from server.search.follower import Follower
from tests.server.search.conftest import DEADLINE, caught_up, ids, wait_for


def test_a_written_product_is_searchable_within_a_second(catalog, search) -> None:
    catalog.product("Warmup item")
    wait_for(caught_up(search))
    for attempt in range(3):
        item = catalog.product(f"Fresh kiwi {attempt}")
        written = time.monotonic()
        wait_for(lambda: item["id"] in ids(search(q=f"kiwi {attempt}")), timeout=1.0,
                 what=f"visible within 1 s (written {time.monotonic() - written:.2f} s ago)")


def test_archived_and_deleted_products_disappear(catalog, search) -> None:
    kept = catalog.product("Blue mug")
    archived = catalog.product("Blue vase")
    deleted = catalog.product("Blue bowl")
    wait_for(lambda: len(ids(search(q="blue"))) == 3)

    catalog.update(archived, archived=True)
    catalog.delete(deleted["id"])
    wait_for(lambda: ids(search(q="blue")) == [kept["id"]], what="archive and delete applied")
    assert search(q="vase")["items"] == [] and search(q="bowl")["items"] == []
    assert search(q="")["total"] == 1

    catalog.update({**archived, "version": 2}, archived=False)  # unarchived: back again
    wait_for(lambda: set(ids(search(q="blue"))) == {kept["id"], archived["id"]})


def test_updates_replace_what_was_indexed(catalog, search) -> None:
    item = catalog.product("Lantern", brand="Oldco")
    wait_for(lambda: ids(search(q="lantern")) == [item["id"]])
    catalog.update(item, name="Candle", brand="Newco")
    wait_for(lambda: ids(search(q="candle")) == [item["id"]], what="renamed")
    assert search(q="lantern")["items"] == [] and search(q="oldco")["items"] == []
    assert search(q="lantrn")["did_you_mean"] is None  # the old word left the vocabulary


def test_category_names_are_indexed_and_follow_renames(catalog, search) -> None:
    drinks = catalog.category("Beverages")
    tea = catalog.category("Herbal", drinks)
    item = catalog.product("Chamomile", category_id=tea["id"])
    wait_for(lambda: ids(search(q="beverages")) == [item["id"]], what="ancestor name indexed")
    catalog.category("Infusions", drinks, category_id=tea["id"], version=2)
    wait_for(lambda: ids(search(q="infusions")) == [item["id"]], what="category renamed")
    assert search(q="herbal")["items"] == []
    assert ids(search(category=drinks["id"])) == [item["id"]]


def _current(settings):
    return readmodel.current_path(readmodel.search_dir(settings))


def test_rebuilt_after_the_file_is_deleted_or_corrupt(catalog, search, settings) -> None:
    item = catalog.product("Pumpkin soup")
    wait_for(lambda: ids(search(q="pumpkin")) == [item["id"]])
    first = _current(settings)
    first.unlink()
    answer = search(q="pumpkin")  # no file: an answer, flagged stale, never a 5xx
    assert answer["stale"] or ids(answer) == [item["id"]]
    wait_for(lambda: _current(settings) != first and ids(search(q="pumpkin")) == [item["id"]],
             what="rebuilt after deletion")

    second = _current(settings)
    second.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        readmodel.Path(f"{second}{suffix}").unlink(missing_ok=True)
    wait_for(lambda: _current(settings) != second and ids(search(q="pumpkin")) == [item["id"]],
             what="rebuilt after corruption")


def test_rebuilt_when_its_schema_version_is_another(catalog, search, settings) -> None:
    item = catalog.product("Fig jam")
    wait_for(lambda: ids(search(q="fig")) == [item["id"]])
    before = _current(settings)
    conn = readmodel.sqlite3.connect(before)
    with conn:
        conn.execute("UPDATE meta SET value = 'old' WHERE key = 'schema'")
    conn.close()
    catalog.product("Fig roll")
    wait_for(lambda: _current(settings) != before and len(ids(search(q="fig"))) == 2,
             what="rebuilt for the new schema")


def test_rebuilt_when_a_feed_epoch_changes(catalog, search, settings, mongo) -> None:
    item = catalog.product("Walnut bread")
    wait_for(lambda: ids(search(q="walnut")) == [item["id"]])
    before = _current(settings)
    # A feed rebuilt from scratch: new epoch; what it holds now is all there is.
    mongo.db.change_log.delete_many({"feed": CATALOG_FEED})
    mongo.db.feed_counters.update_one({"_id": CATALOG_FEED}, {"$set": {"seq": 0, "epoch": "new"}})
    other = catalog.product("Rye bread")
    wait_for(lambda: _current(settings) != before and ids(search(q="bread")) == [other["id"]],
             what="rebuilt from the new epoch")
    assert search(q="")["indexed_through"] == 1


def test_two_followers_never_write_at_once(catalog, mongo, tmp_path) -> None:
    directory = tmp_path / "shared-search"
    a = Follower(mongo.db, directory, lock_retry_seconds=0.05).start()
    b = Follower(mongo.db, directory, lock_retry_seconds=0.05).start()
    try:
        wait_for(lambda: a.is_writer or b.is_writer, what="one writer elected")
        for _ in range(20):  # never both, while both run
            assert not (a.is_writer and b.is_writer)
            time.sleep(0.02)
        writer, waiting = (a, b) if a.is_writer else (b, a)
        catalog.product("Oak table")
        wait_for(lambda: _count(directory, "oak") == 1, what="written by the elected follower")
        assert waiting.rebuilds == 0
        writer.stop()  # as if its worker died: the lock is released
        wait_for(lambda: waiting.is_writer, timeout=DEADLINE, what="the other takes over")
        catalog.product("Oak chair")
        wait_for(lambda: _count(directory, "oak") == 2, what="written by the new writer")
    finally:
        a.stop()
        b.stop()


def _count(directory, word: str) -> int:
    path = readmodel.current_path(directory)
    if path is None or not path.exists():
        return 0
    conn = readmodel.open_reader(path)
    try:
        return conn.execute("SELECT count(*) FROM products_fts WHERE products_fts MATCH ?",
                            (f'"{word}"',)).fetchone()[0]
    finally:
        conn.close()

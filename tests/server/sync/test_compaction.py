"""Compaction on the real database: a till replaying the feed from the beginning afterwards ends
with exactly the entity states of a till that followed every entry; the latest entry of a live
entity is never dropped, even while writers append; old tombstones go and raise the floor, so
a cursor that may have missed one is refused (410) instead of keeping a deleted entity; the
command prints what it did."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from app.domain.sync_protocol import CATALOG_FEED, decode_cursor, encode_cursor
from server.catalog.schemas import ProductPatch, TaxClassCreate
from server.catalog.service import patch_product
from server.catalog.taxes import create_tax_class, delete_tax_class
from server.changes import log as change_log
from server.changes.compact import compact
from server.sync import feed
from tests.server.inventory.fixtures import new_product
from tests.server.sync.test_feed import pair, pull, pull_all
from tests.server.test_cli_admin import run as run_cli

KEEP = timedelta(days=30)


def replay(changes: list[dict[str, Any]],
           states: dict[tuple[str, str], Any] | None = None) -> dict[tuple[str, str], Any]:
    """What a till holds after applying ``changes`` in order."""
    states = dict(states or {})
    for change in changes:
        key = (change["entity"], change["entity_id"])
        if change["op"] == "delete":
            states.pop(key, None)
        else:
            states[key] = change["data"]
    return states


def rename(db, product_id: str, name: str) -> None:
    version = db.products.find_one({"_id": product_id})["version"]
    patch_product(db, product_id=product_id, body=ProductPatch(version=version, name=name),
                  actor="test")


def busy_catalogue(db) -> list[str]:
    """Products edited several times and tax classes created and deleted: many superseded
    entries and a few tombstones."""
    products = [new_product(db, name=f"P{n}")["_id"] for n in range(6)]
    for round_ in range(4):
        for n, product_id in enumerate(products):
            if (n + round_) % 2:
                rename(db, product_id, f"P{n} r{round_}")
    for n in range(3):
        tax = create_tax_class(db, body=TaxClassCreate(name=f"Tax {n}"), actor="test")
        if n < 2:
            delete_tax_class(db, tax_class_id=tax["_id"], version=None, actor="test")
    return products


def test_replaying_after_compaction_gives_what_following_every_entry_gave(client):
    db = client.app.state.mongo.db
    follower = pair(db)
    busy_catalogue(db)
    followed: dict = {}
    cursor = ""
    while True:  # one entry a page: this till saw every intermediate state
        body = pull(client, follower, cursor, limit=1).json()
        followed = replay(body["changes"], followed)
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    head = change_log.state(db, CATALOG_FEED).seq
    later = datetime.now(timezone.utc) + KEEP + timedelta(days=1)  # the tombstones are old now
    done = compact(db, CATALOG_FEED, tombstone_retention=KEEP, now=later)
    assert done.tombstones_removed == 2 and done.superseded_removed > 10
    assert done.scanned == head and done.floor == change_log.state(db, CATALOG_FEED).floor > 0

    fresh, _, _ = pull_all(client, pair(db, register="R02"), limit=5)
    assert replay(fresh) == followed
    assert len(fresh) == len(followed) == head - done.superseded_removed - 2
    assert all(change["op"] == "upsert" for change in fresh)
    assert pull(client, follower, cursor).status_code == 200  # at the head: nothing missed


def test_a_cursor_before_a_dropped_tombstone_is_expired_and_one_after_it_is_not(client):
    db = client.app.state.mongo.db
    till = pair(db)
    new_product(db)
    tax = create_tax_class(db, body=TaxClassCreate(name="Gone soon"), actor="test")
    _, before_delete, _ = pull_all(client, till)
    delete_tax_class(db, tax_class_id=tax["_id"], version=None, actor="test")
    new_product(db, name="After")
    _, after_all, _ = pull_all(client, till, before_delete)
    kept = compact(db, CATALOG_FEED, tombstone_retention=KEEP)  # still recent: kept
    assert kept.tombstones_removed == 0 and kept.floor == 0
    assert pull(client, till, before_delete).status_code == 200

    compact(db, CATALOG_FEED, tombstone_retention=timedelta(0),
            now=datetime.now(timezone.utc) + timedelta(seconds=5))
    refused = pull(client, till, before_delete)
    assert refused.status_code == 410
    assert refused.json()["error"]["details"] == {"reason": "cursor_expired",
                                                  "feed": CATALOG_FEED}
    assert pull(client, till, after_all).status_code == 200


def test_below_the_floor_only_a_cursor_issued_before_the_drop_is_refused(client):
    """A till that holds an entity whose delete compaction drops before the till read it is
    refused; a till that replays from the beginning after that compaction passes below the
    same floor freely (those entities were compacted away whole), and so does one that had
    read the delete."""
    db = client.app.state.mongo.db
    for n in range(3):
        new_product(db, name=f"P{n}")  # seqs 1-3
    doomed = create_tax_class(db, body=TaxClassCreate(name="Doomed"), actor="test")  # 4
    holder, read_delete = pair(db), pair(db, register="R02")
    _, holding, _ = pull_all(client, holder)  # at 4: holds Doomed
    delete_tax_class(db, tax_class_id=doomed["_id"], version=None, actor="test")  # 5
    _, past_delete, _ = pull_all(client, read_delete)  # at 5: has seen the delete
    done = compact(db, CATALOG_FEED, tombstone_retention=timedelta(0),
                   now=datetime.now(timezone.utc) + timedelta(seconds=5))
    assert (done.superseded_removed, done.tombstones_removed, done.floor) == (1, 1, 5)

    refused = pull(client, holder, holding)
    assert refused.status_code == 410
    assert refused.json()["error"]["details"]["reason"] == "cursor_expired"
    assert pull(client, read_delete, past_delete).status_code == 200
    fresh, _, pages = pull_all(client, pair(db, register="R03"), limit=1)  # at 1, 2, 3 < 5
    assert [c["data"]["name"] for c in fresh] == ["P0", "P1", "P2"]
    assert pages == 4  # a full page cannot know the rest of the feed is empty: one more look


def test_compaction_beside_writers_never_drops_a_latest_entry(client):
    db = client.app.state.mongo.db
    products = [new_product(db, name=f"W{n}")["_id"] for n in range(4)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(product_id: str) -> None:
        n = 0
        try:
            while not stop.is_set() and n < 40:
                rename(db, product_id, f"{product_id[:4]} {n}")
                n += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in products]
    for thread in threads:
        thread.start()
    runs = []
    while any(t.is_alive() for t in threads) and len(runs) < 50:
        runs.append(compact(db, CATALOG_FEED, tombstone_retention=KEEP))
    stop.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    compact(db, CATALOG_FEED, tombstone_retention=KEEP)
    left = change_log.read(db, CATALOG_FEED, after=0,
                           limit=change_log.state(db, CATALOG_FEED).seq)
    assert sorted(e["entity_id"] for e in left) == sorted(products)  # one entry each
    for entry in left:
        stored = db.products.find_one({"_id": entry["entity_id"]})
        assert (entry["version"], entry["data"]["name"]) == (stored["version"], stored["name"])
    assert len(runs) >= 2 and sum(r.superseded_removed for r in runs) > 0


def test_pages_skip_compacted_stretches_within_a_bounded_number_of_windows(client,
                                                                           monkeypatch):
    db = client.app.state.mongo.db
    till = pair(db)
    product_id = new_product(db)["_id"]
    for n in range(40):
        rename(db, product_id, f"Name {n}")
    last = new_product(db, name="Last")["_id"]
    compact(db, CATALOG_FEED, tombstone_retention=KEEP)
    monkeypatch.setattr(feed, "WINDOW_SPAN", 2)  # so the request runs out of windows
    monkeypatch.setattr(feed, "MAX_WINDOWS", 5)
    first = pull(client, till, limit=10).json()
    assert first["changes"] == [] and first["has_more"] is True
    assert decode_cursor(first["cursor"])[CATALOG_FEED][1] == 10  # 5 windows of 2, all empty
    changes, _, pages = pull_all(client, till, first["cursor"], limit=10)
    assert [c["entity_id"] for c in changes] == [product_id, last]
    assert changes[0]["data"]["name"] == "Name 39" and pages == 4
    epoch = decode_cursor(first["cursor"])[CATALOG_FEED][0]
    middle = pull(client, till, encode_cursor({CATALOG_FEED: (epoch, 20)}), limit=1).json()
    assert [c["entity_id"] for c in middle["changes"]] == []  # 20..30 is empty: still bounded


def test_the_command_compacts_every_feed_and_prints_a_summary(mongo_uri, db_name, mongo,
                                                              tmp_path):
    db = mongo.db
    from server.database import ensure_indexes

    ensure_indexes(db)
    product_id = new_product(db)["_id"]
    for n in range(3):
        rename(db, product_id, f"Again {n}")
    done = run_cli(mongo_uri, db_name, tmp_path, "compact-changes")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    catalog = next(f for f in summary["feeds"] if f["feed"] == CATALOG_FEED)
    assert catalog["superseded_removed"] == 3 and catalog["tombstones_removed"] == 0
    assert catalog["blocks"] == 0  # one entry left: no whole block to serialise
    assert summary["removed"] >= 3
    assert len(change_log.read(db, CATALOG_FEED, after=0, limit=100)) == 1
    one = run_cli(mongo_uri, db_name, tmp_path, "compact-changes", "--feed", CATALOG_FEED,
                  "--keep-tombstones-days", "0")
    assert one.returncode == 0 and [f["feed"] for f in json.loads(one.stdout)["feeds"]] == \
        [CATALOG_FEED]
    bad = run_cli(mongo_uri, db_name, tmp_path, "compact-changes", "--keep-tombstones-days",
                  "-1")
    assert bad.returncode == 2 and "0 or more" in bad.stderr


def test_the_search_follower_passes_compacted_stretches_and_rebuilds_below_the_floor(
        mongo, tmp_path):
    """The catalogue's other follower: a window of its size emptied by compaction must not
    stop it (nor spin a rebuild for ever), and a file left below the floor is rebuilt."""
    from server.catalog.views import product_view
    from server.database import ensure_indexes, in_transaction
    from server.search import follower as search_follower
    from server.search import readmodel

    db = mongo.db
    ensure_indexes(db)
    alpha, beta = new_product(db, name="Alpha"), new_product(db, name="Beta")
    for name in ("search", "fresh"):
        (tmp_path / name).mkdir()
    follower = search_follower.Follower(db, tmp_path / "search")
    follower.step()  # builds the file at the head
    view = product_view(db.products.find_one({"_id": alpha["_id"]}))
    again = [change_log.Change("product", alpha["_id"], version=1, data=view)
             for _ in range(search_follower.WINDOW + 10)]
    in_transaction(db, lambda s: change_log.append_many(db, CATALOG_FEED, again, session=s))
    rename(db, beta["_id"], "Gamma")
    compact(db, CATALOG_FEED, tombstone_retention=KEEP)
    head = change_log.state(db, CATALOG_FEED).seq

    def cursor(directory) -> int:
        conn = readmodel.open_reader(readmodel.current_path(directory))
        try:
            return readmodel.cursors(conn)[CATALOG_FEED][0]
        finally:
            conn.close()

    for _ in range(5):
        if not follower.step():
            break
    assert cursor(tmp_path / "search") == head and follower.rebuilds == 1  # its first build

    fresh = search_follower.Follower(db, tmp_path / "fresh")
    built = threading.Thread(target=fresh.rebuild, daemon=True)
    built.start()
    built.join(30)
    fresh._stop.set()  # a rebuild that spins would be stopped here (and fail below)
    assert not built.is_alive() and cursor(tmp_path / "fresh") == head

    tax = create_tax_class(db, body=TaxClassCreate(name="Short-lived"), actor="test")
    delete_tax_class(db, tax_class_id=tax["_id"], version=None, actor="test")
    db.feed_counters.update_one({"_id": CATALOG_FEED}, {"$set": {"floor": head + 5}})
    follower.step()  # its file is at head, below the new floor: rebuilt
    assert follower.rebuilds == 2 and cursor(tmp_path / "search") == head + 2

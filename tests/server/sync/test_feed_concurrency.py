"""A till polling ``GET /sync/changes`` while several threads commit real transactions (stock
movements on one store's feed, catalogue edits on the shared one) receives every change
exactly once and in order: the polling never skips a writer that commits late."""

from __future__ import annotations

import threading
from collections import defaultdict

from app.domain.sync_protocol import CATALOG_FEED, store_feed
from server.changes import log as change_log
from server.database import in_transaction
from server.inventory.service import record_movement
from tests.server.inventory.fixtures import new_product, variant_of
from tests.server.sync.test_compaction import rename
from tests.server.sync.test_feed import pair, pull

STOCK_WRITERS, MOVES_EACH = 4, 25
CATALOG_WRITERS, EDITS_EACH = 2, 15


def test_a_polling_till_gets_every_concurrent_change_exactly_once_in_order(client):
    db = client.app.state.mongo.db
    till = pair(db)
    store_id = till["X-Store-Id"]
    products = [new_product(db, name=f"P{n}") for n in range(STOCK_WRITERS + CATALOG_WRITERS)]
    errors: list[BaseException] = []
    movements: list[str] = []

    def move(product) -> None:
        for n in range(MOVES_EACH):
            movement = in_transaction(db, lambda s: record_movement(
                db, session=s, store_id=store_id, product_id=product["_id"],
                variant_id=variant_of(product), kind="receipt", quantity_milli=1000 + n,
                actor="test"))
            movements.append(movement["_id"])

    def edit(product) -> None:
        for n in range(EDITS_EACH):
            rename(db, product["_id"], f"{product['name']} v{n}")

    def guarded(work, product) -> None:
        try:
            work(product)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(move, p)) for p in products[:STOCK_WRITERS]]
    threads += [threading.Thread(target=guarded, args=(edit, p))
                for p in products[STOCK_WRITERS:]]
    for thread in threads:
        thread.start()
    received: dict[str, list[int]] = defaultdict(list)
    entities: dict[str, list[str]] = defaultdict(list)
    cursor, polls = "", 0
    while True:
        writing = any(t.is_alive() for t in threads)
        body = pull(client, till, cursor, limit=7).json()
        polls += 1
        for change in body["changes"]:
            received[change["feed"]].append(change["seq"])
            entities[change["feed"]].append(change["entity"])
        cursor = body["cursor"]
        if not writing and not body["has_more"]:
            break
    for thread in threads:
        thread.join()
    assert not errors, errors

    for feed in (CATALOG_FEED, store_feed(store_id)):
        head = change_log.state(db, feed).seq
        assert received[feed] == list(range(1, head + 1)), feed  # once each, in order, no gap
    assert entities[store_feed(store_id)].count("stock_level") == len(movements) == \
        STOCK_WRITERS * MOVES_EACH
    assert entities[CATALOG_FEED].count("product") == len(products) + CATALOG_WRITERS * EDITS_EACH
    assert polls > 5  # the reader really polled while the writers ran

"""``GET /sync/changes`` over the real app and database: pages walk the feeds in protocol order
(catalogue, staff, customers, the till's own store) with ``has_more`` until the head, a till
sees nothing of another store, only device credentials get in, and a cursor that cannot be
continued is refused with the reason (410) or as not a cursor (422)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from app.domain.sync_protocol import (CATALOG_FEED, CUSTOMERS_FEED, STAFF_FEED, decode_cursor,
                                      device_feeds, encode_cursor, store_feed)
from server.changes import log as change_log
from server.customers import service as customers
from server.customers.schemas import CustomerCreate
from server.database import in_transaction
from server.devices import service as devices
from server.inventory.service import record_movement
from server.security.deps import Principal
from tests.server.inventory.fixtures import new_product, new_store, variant_of
from tests.server.test_users import auth, make_user

API = "/api/v1"
MANAGER = Principal("user", "test-manager", "manager")


def pair(db, store: dict[str, Any] | None = None, register: str = "R01") -> dict[str, str]:
    """A paired till's Authorization header (of ``store``, or the default store)."""
    issued = devices.issue_pairing_code(db, store_code=store["code"] if store else None,
                                        register_code=register, minutes=5, actor="test", ip=None)
    paired = devices.pair_device(db, code=issued["code"], ip=None, request_id=None)
    return {"Authorization": f"Device {paired['device_id']}:{paired['device_key']}",
            "X-Store-Id": paired["store_id"]}


def pull(client, headers, cursor: str = "", limit: int | None = None):
    params: dict[str, Any] = {"cursor": cursor}
    if limit is not None:
        params["limit"] = limit
    return client.get(f"{API}/sync/changes", params=params, headers=headers)


def pull_all(client, headers, cursor: str = "", limit: int = 500,
             max_pages: int = 1000) -> tuple[list[dict[str, Any]], str, int]:
    """Every change after ``cursor``: (changes, the last cursor, pages read)."""
    seen: list[dict[str, Any]] = []
    for pages in range(1, max_pages + 1):
        response = pull(client, headers, cursor, limit)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return seen, cursor, pages
    raise AssertionError(f"still has_more after {max_pages} pages")


def stock(db, store_id: str, product: dict[str, Any], quantity: int = 1000) -> None:
    in_transaction(db, lambda s: record_movement(
        db, session=s, store_id=store_id, product_id=product["_id"],
        variant_id=variant_of(product), kind="receipt", quantity_milli=quantity, actor="test"))


def customer(db, name: str) -> dict[str, Any]:
    return customers.create(db, body=CustomerCreate(name=name), principal=MANAGER, ip=None,
                            request_id=None)


def feed_order(changes: list[dict[str, Any]], store_id: str) -> list[str]:
    """The feeds of ``changes`` with repeats collapsed, e.g. ``["catalog", "staff"]``."""
    order: list[str] = []
    for change in changes:
        if not order or order[-1] != change["feed"]:
            order.append(change["feed"])
    return order


def test_pages_walk_every_feed_in_order_until_the_head(client):
    db = client.app.state.mongo.db
    headers = pair(db)
    store_id = headers["X-Store-Id"]
    products = [new_product(db, name=f"P{n}") for n in range(4)]
    for product in products:
        stock(db, store_id, product)
    make_user(client, "cashier")
    make_user(client, "customer")  # an online shopper: never in a till's staff feed
    customer(db, "Ada")

    pages = []
    cursor = ""
    while True:
        response = pull(client, headers, cursor, limit=3)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"changes", "cursor", "has_more", "server_time"}
        pages.append(body)
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    changes = [c for page in pages for c in page["changes"]]
    assert all(len(page["changes"]) == 3 for page in pages[:-1])
    assert feed_order(changes, store_id) == [CATALOG_FEED, STAFF_FEED, CUSTOMERS_FEED,
                                             store_feed(store_id)]
    for feed in {c["feed"] for c in changes}:
        seqs = [c["seq"] for c in changes if c["feed"] == feed]
        assert seqs == list(range(1, change_log.state(db, feed).seq + 1))
    first = changes[0]
    assert set(first) == {"feed", "seq", "entity", "entity_id", "op", "version", "data"}
    by_entity = {c["entity"]: c for c in changes}
    assert {c["entity_id"] for c in changes if c["entity"] == "product"} == \
        {p["_id"] for p in products}
    assert by_entity["staff_user"]["data"]["role"] == "cashier"
    assert [c["data"]["name"] for c in changes if c["entity"] == "customer"] == ["Ada"]
    assert by_entity["stock_level"]["data"]["on_hand_milli"] == 1000
    assert isinstance(by_entity["product"]["data"]["created_at"], str)

    again = pull(client, headers, cursor).json()  # caught up: nothing, and the cursor holds
    assert again["changes"] == [] and again["has_more"] is False
    assert decode_cursor(again["cursor"]) == decode_cursor(cursor)
    stock(db, store_id, products[0], 500)
    later = pull(client, headers, cursor).json()
    assert [(c["entity"], c["data"]["on_hand_milli"]) for c in later["changes"]] == \
        [("stock_level", 1500)]


def test_a_later_feed_waits_until_the_earlier_ones_are_read_to_their_head(client):
    db = client.app.state.mongo.db
    headers = pair(db)
    store_id = headers["X-Store-Id"]
    product = new_product(db)
    stock(db, store_id, product)
    for n in range(6):
        new_product(db, name=f"More {n}")
    body = pull(client, headers, limit=7).json()
    assert [c["feed"] for c in body["changes"]] == [CATALOG_FEED] * 7 and body["has_more"]
    positions = decode_cursor(body["cursor"])
    assert positions[CATALOG_FEED][1] == 7 and positions[store_feed(store_id)][1] == 0
    rest = pull(client, headers, body["cursor"]).json()
    assert [c["feed"] for c in rest["changes"]] == [store_feed(store_id)]
    assert rest["has_more"] is False


def test_a_till_never_sees_another_store_and_only_devices_get_in(client):
    db = client.app.state.mongo.db
    other = new_store(db, "S77")
    ours = pair(db, new_store(db, "S66"))
    theirs = pair(db, other, register="R09")
    product = new_product(db)
    stock(db, other["id"], product, 42_000)
    changes, cursor, _ = pull_all(client, ours)
    assert not [c for c in changes if c["feed"].startswith("store:")]
    assert store_feed(other["id"]) not in decode_cursor(cursor)
    their_changes, _, _ = pull_all(client, theirs)
    assert [c["data"]["on_hand_milli"] for c in their_changes if c["entity"] == "stock_level"] \
        == [42_000]

    owner = make_user(client, "owner")
    refused = pull(client, auth(client, owner))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert pull(client, {}).status_code == 401
    assert pull(client, {"Authorization": "Device nobody:nothing"}).status_code == 401


def _error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_a_cursor_from_a_rebuilt_feed_is_gone(client):
    db = client.app.state.mongo.db
    headers = pair(db)
    new_product(db)
    _, cursor, _ = pull_all(client, headers)
    db.feed_counters.update_one({"_id": CATALOG_FEED}, {"$set": {"epoch": uuid.uuid4().hex}})
    error = _error(pull(client, headers, cursor), 410)
    assert error["code"] == "cursor_gone"
    assert error["details"] == {"reason": "epoch_changed", "feed": CATALOG_FEED}
    assert pull(client, headers, "").status_code == 200  # a fresh snapshot is always possible


def test_a_cursor_ahead_of_the_feed_is_gone(client):
    """As after the server was restored from a backup older than what the till read."""
    db = client.app.state.mongo.db
    headers = pair(db)
    new_product(db)
    positions = decode_cursor(pull_all(client, headers)[1])
    epoch, seq = positions[CATALOG_FEED]
    positions[CATALOG_FEED] = (epoch, seq + 5)
    error = _error(pull(client, headers, encode_cursor(positions)), 410)
    assert error["details"] == {"reason": "cursor_ahead", "feed": CATALOG_FEED}


def test_a_cursor_below_the_floor_is_gone_and_one_at_it_is_not(client):
    db = client.app.state.mongo.db
    headers = pair(db)
    for n in range(3):
        new_product(db, name=f"P{n}")
    positions = decode_cursor(pull_all(client, headers)[1])
    epoch = positions[CATALOG_FEED][0]
    db.feed_counters.update_one({"_id": CATALOG_FEED}, {"$set": {"floor": 2}})
    positions[CATALOG_FEED] = (epoch, 1)
    error = _error(pull(client, headers, encode_cursor(positions)), 410)
    assert error["details"] == {"reason": "cursor_expired", "feed": CATALOG_FEED}
    positions[CATALOG_FEED] = (epoch, 2)
    assert pull(client, headers, encode_cursor(positions)).status_code == 200
    positions[CATALOG_FEED] = (epoch, 0)  # from the beginning: the snapshot, never expired
    assert pull(client, headers, encode_cursor(positions)).status_code == 200


def test_malformed_and_foreign_cursors_are_422_naming_the_cursor(client):
    db = client.app.state.mongo.db
    headers = pair(db, new_store(db, "S11"))
    other = new_store(db, "S12")
    foreign = encode_cursor({store_feed(other["id"]): (None, 3)})
    made_up = encode_cursor({"orders:everything": (None, 0)})
    foreign_floor = encode_cursor({CATALOG_FEED: (None, 0)}, {store_feed(other["id"]): 4})
    bad_floor = base64.urlsafe_b64encode(json.dumps(
        {"v": 1, "f": {CATALOG_FEED: [None, 0]}, "b": {CATALOG_FEED: -1}}).encode()).decode()
    for cursor in ("not a cursor!", "e30", "x" * 200, foreign, made_up, foreign_floor, bad_floor,
                   encode_cursor({CATALOG_FEED: (None, 0)}).replace("eyJ", "eyK", 1)):
        error = _error(pull(client, headers, cursor), 422)
        assert error["code"] == "validation_error" and "cursor" in error["message"], cursor
        assert error["details"] == {"field": "cursor"}
    assert _error(pull(client, headers, limit=0), 422)["code"] == "validation_error"
    assert _error(pull(client, headers, limit=5001), 422)["code"] == "validation_error"


def test_the_cursor_names_every_feed_of_the_device(client):
    db = client.app.state.mongo.db
    headers = pair(db)
    new_product(db)
    body = pull(client, headers).json()
    assert set(decode_cursor(body["cursor"])) == set(device_feeds(headers["X-Store-Id"]))
    assert decode_cursor(body["cursor"])[CATALOG_FEED] == \
        (change_log.state(db, CATALOG_FEED).epoch, 1)

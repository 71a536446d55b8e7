"""Reservations for online orders through the service contract, on the real database:
all-or-nothing, exactly one winner when two orders race for the last unit, idempotent
release and fulfil."""

from __future__ import annotations

import threading
import uuid

import pytest

from server.database import in_transaction
from server.errors import ApiError
from server.inventory import service
from server.inventory.service import StockLine
from tests.server.inventory.fixtures import new_product, new_store, variant_of


def _stock(db, store_id, product, n, quantity):
    in_transaction(db, lambda s: service.record_movement(
        db, session=s, store_id=store_id, product_id=product["_id"],
        variant_id=variant_of(product, n), kind="receipt", quantity_milli=quantity,
        actor="test"))


def _reserve(db, store_id, order_id, lines):
    in_transaction(db, lambda s: service.reserve(db, session=s, store_id=store_id,
                                                 order_id=order_id, lines=lines, actor="test"))


def _level(db, store_id, variant_id):
    return service.levels_for(db, store_id=store_id, variant_ids=[variant_id])[variant_id]


def test_a_reservation_holds_every_line_or_none(mongo):
    db = mongo.db
    store_id = new_store(db)["id"]
    product = new_product(db, variants=2)
    a, b = variant_of(product, 0), variant_of(product, 1)
    _stock(db, store_id, product, 0, 5_000)
    _stock(db, store_id, product, 1, 1_000)
    order_id = str(uuid.uuid4())
    with pytest.raises(ApiError) as refused:
        _reserve(db, store_id, order_id, [StockLine(product["_id"], a, 2_000),
                                          StockLine(product["_id"], b, 3_000)])
    assert refused.value.status == 409 and refused.value.code == "out_of_stock"
    assert refused.value.details == {"lines": [{"variant_id": b, "requested_milli": 3_000,
                                                "available_milli": 1_000}]}
    assert _level(db, store_id, a)["reserved_milli"] == 0
    assert db.stock_reservations.count_documents({"order_id": order_id}) == 0
    # a never-stocked variant has nothing available
    ghost = variant_of(new_product(db))
    with pytest.raises(ApiError) as none:
        _reserve(db, store_id, order_id, [StockLine("p", ghost, 1_000)])
    assert none.value.details["lines"][0]["available_milli"] == 0
    # the same variant on two lines counts once, in total
    _reserve(db, store_id, order_id, [StockLine(product["_id"], a, 2_000),
                                      StockLine(product["_id"], a, 3_000)])
    assert _level(db, store_id, a)["reserved_milli"] == 5_000
    _reserve(db, store_id, order_id, [StockLine(product["_id"], a, 5_000)])  # idempotent
    assert _level(db, store_id, a)["reserved_milli"] == 5_000


def test_two_orders_racing_for_the_last_unit_exactly_one_wins(mongo):
    db = mongo.db
    store_id = new_store(db)["id"]
    product = new_product(db)
    variant_id = variant_of(product)
    _stock(db, store_id, product, 0, 1_000)
    start = threading.Barrier(2)
    results: list[str] = []

    def order() -> None:
        order_id = str(uuid.uuid4())
        start.wait()
        try:
            _reserve(db, store_id, order_id, [StockLine(product["_id"], variant_id, 1_000)])
            results.append("won")
        except ApiError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=order) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["out_of_stock", "won"]
    level = _level(db, store_id, variant_id)
    assert level["on_hand_milli"] == 1_000 and level["reserved_milli"] == 1_000
    assert db.stock_reservations.count_documents({"variant_id": variant_id}) == 1


def _settled_twice(db, settle):
    """3 on hand, 2 reserved for an order, then ``settle`` (release or fulfil) called twice."""
    store_id = new_store(db)["id"]
    product = new_product(db)
    variant_id = variant_of(product)
    _stock(db, store_id, product, 0, 3_000)
    order_id = str(uuid.uuid4())
    _reserve(db, store_id, order_id, [StockLine(product["_id"], variant_id, 2_000)])
    for _ in range(2):
        in_transaction(db, lambda s: settle(db, session=s, order_id=order_id, actor="test"))
    return store_id, variant_id, order_id


def test_release_gives_stock_back_once(mongo):
    db = mongo.db
    store_id, variant_id, order_id = _settled_twice(db, service.release)
    level = _level(db, store_id, variant_id)
    assert level["on_hand_milli"] == 3_000 and level["reserved_milli"] == 0
    assert db.stock_movements.count_documents({"variant_id": variant_id}) == 1  # the receipt


def test_fulfil_turns_the_reservation_into_one_sale(mongo):
    db = mongo.db
    store_id, variant_id, order_id = _settled_twice(db, service.fulfil)
    level = _level(db, store_id, variant_id)
    assert level["on_hand_milli"] == 1_000 and level["reserved_milli"] == 0
    [sale] = db.stock_movements.find({"variant_id": variant_id, "kind": "sale"})
    assert sale["quantity_milli"] == -2_000
    assert sale["reference"] == {"type": "order", "id": order_id}
    # a fulfilled order has nothing left to release
    in_transaction(db, lambda s: service.release(db, session=s, order_id=order_id, actor="t"))
    assert _level(db, store_id, variant_id)["on_hand_milli"] == 1_000


def test_a_till_may_oversell_and_a_movement_id_makes_a_sync_retry_a_no_op(mongo):
    db = mongo.db
    store_id = new_store(db)["id"]
    product = new_product(db)
    variant_id = variant_of(product)
    movement_id = str(uuid.uuid4())
    for _ in range(2):
        movement = in_transaction(db, lambda s: service.record_movement(
            db, session=s, store_id=store_id, product_id=product["_id"], variant_id=variant_id,
            kind="sale", quantity_milli=-2_000, actor="device:till", movement_id=movement_id))
        assert movement["_id"] == movement_id
    assert _level(db, store_id, variant_id)["on_hand_milli"] == -2_000
    with pytest.raises(ApiError) as wrong_sign:
        in_transaction(db, lambda s: service.record_movement(
            db, session=s, store_id=store_id, product_id=product["_id"], variant_id=variant_id,
            kind="sale", quantity_milli=2_000, actor="t"))
    assert wrong_sign.value.details == {"field": "quantity_milli"}
    with pytest.raises(ApiError):
        in_transaction(db, lambda s: service.record_movement(
            db, session=s, store_id=store_id, product_id=product["_id"], variant_id=variant_id,
            kind="gift", quantity_milli=2_000, actor="t"))

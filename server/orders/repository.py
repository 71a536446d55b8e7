"""MongoDB access for ``orders``, ``refunds`` and the gap-free order-number counters
(``order_counters``: ``{_id: "<store_id>:<series>", seq}``, taken inside the order's
transaction, so an aborted order gives its number back)."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.cursor import Cursor
from pymongo.database import Database

Doc = dict[str, Any]
Session = ClientSession | None


def get(db: Database, order_id: str, session: Session = None) -> Doc | None:
    return db.orders.find_one({"_id": order_id}, session=session)


def insert(db: Database, order: Doc, session: Session = None) -> None:
    db.orders.insert_one(order, session=session)


def next_number(db: Database, store_id: str, series: str, session: ClientSession) -> int:
    """The next number of a store's series; gap-free because it commits with the order. One
    round trip (a store's counter is hot: every order of the store writes it; the collection
    holds one small document per series, so ``find_one_and_update`` is cheap there)."""
    counter = db.order_counters.find_one_and_update(
        {"_id": f"{store_id}:{series}"}, {"$inc": {"seq": 1}}, upsert=True,
        return_document=ReturnDocument.AFTER, session=session)
    return int(counter["seq"])


def update_if_version(db: Database, order_id: str, version: int, update: Doc,
                      session: ClientSession) -> bool:
    update = {**update, "$inc": {**update.get("$inc", {}), "version": 1}}
    result = db.orders.update_one({"_id": order_id, "version": version}, update,
                                  session=session)
    return result.modified_count == 1


def find(db: Database, query: Doc, sort: list[tuple[str, int]]) -> Cursor:
    """``query`` is built by the service from validated values only (never user operators)."""
    return db.orders.find(query).sort(sort)


def insert_refund(db: Database, refund: Doc, session: ClientSession) -> None:
    db.refunds.insert_one(refund, session=session)


def refunds_of(db: Database, order_id: str) -> list[Doc]:
    return list(db.refunds.find({"order_id": order_id}).sort("at", 1))

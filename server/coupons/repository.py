"""MongoDB access for coupons, their redemptions and per-customer use counts. Lookups are by
``_id`` or an indexed equality/bounded range; counters move by conditional ``$inc`` so that
concurrent transactions touching one coupon conflict (and retry) instead of both winning."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

Doc = dict[str, Any]
Session = ClientSession | None


def by_id(db: Database, coupon_id: str, session: Session = None) -> Doc | None:
    return db.coupons.find_one({"_id": coupon_id}, session=session)


def by_code(db: Database, code: str, session: Session = None) -> Doc | None:
    return db.coupons.find_one({"code": code}, session=session)


def insert(db: Database, coupon: Doc, session: Session) -> None:
    db.coupons.insert_one(coupon, session=session)


def page(db: Database, *, active: bool | None, code_prefix: str | None,
         sort: list[tuple[str, int]], skip: int, limit: int) -> list[Doc]:
    """One page of coupons (``limit`` rows from ``skip``), filtered by the indexed ``active``
    flag and/or a code prefix (a bounded range on the unique ``code`` index)."""
    query: Doc = {}
    if active is not None:
        query["active"] = active
    if code_prefix:
        query["code"] = {"$gte": code_prefix, "$lt": code_prefix + "\x7f"}
    return list(db.coupons.find(query).sort(sort).skip(skip).limit(limit))


def take_use(db: Database, coupon: Doc, session: ClientSession) -> bool:
    """Count one use if one is left (``used < usage_limit`` re-checked by the write itself)."""
    query: Doc = {"_id": coupon["_id"]}
    if coupon.get("usage_limit") is not None:
        query["used"] = {"$lt": int(coupon["usage_limit"])}
    return db.coupons.update_one(query, {"$inc": {"used": 1}}, session=session).modified_count == 1


def give_back_use(db: Database, coupon_id: str, session: ClientSession) -> None:
    db.coupons.update_one({"_id": coupon_id, "used": {"$gt": 0}}, {"$inc": {"used": -1}},
                          session=session)


def usage_id(coupon_id: str, customer_id: str) -> str:
    return f"{coupon_id}:{customer_id}"


def customer_uses(db: Database, coupon_id: str, customer_id: str,
                  session: Session = None) -> int:
    found = db.coupon_usage.find_one({"_id": usage_id(coupon_id, customer_id)}, session=session)
    return int(found["count"]) if found else 0


def take_customer_use(db: Database, coupon_id: str, customer_id: str, limit: int | None,
                      session: ClientSession) -> bool:
    """Count one use by this customer if their limit allows it. An upserted ``$inc`` (never
    a find-then-insert, which two first uses could both pass) followed by a read of what this
    transaction wrote; over the limit, the use is given back at once."""
    key = usage_id(coupon_id, customer_id)
    db.coupon_usage.update_one({"_id": key}, {"$inc": {"count": 1},
                                              "$setOnInsert": {"coupon_id": coupon_id,
                                                               "customer_id": customer_id}},
                               upsert=True, session=session)
    counter = db.coupon_usage.find_one({"_id": key}, {"count": 1}, session=session)
    if limit is not None and counter is not None and int(counter["count"]) > limit:
        give_back_customer_use(db, coupon_id, customer_id, session)
        return False
    return True


def give_back_customer_use(db: Database, coupon_id: str, customer_id: str,
                           session: ClientSession) -> None:
    db.coupon_usage.update_one({"_id": usage_id(coupon_id, customer_id), "count": {"$gt": 0}},
                               {"$inc": {"count": -1}}, session=session)


def redemption_id(coupon_id: str, order_id: str) -> str:
    return f"{coupon_id}:{order_id}"


def redemption(db: Database, coupon_id: str, order_id: str, session: Session) -> Doc | None:
    return db.coupon_redemptions.find_one({"_id": redemption_id(coupon_id, order_id)},
                                          session=session)


def insert_redemption(db: Database, doc: Doc, session: ClientSession) -> None:
    db.coupon_redemptions.insert_one(doc, session=session)


def redemptions_of_order(db: Database, order_id: str, session: ClientSession) -> list[Doc]:
    return list(db.coupon_redemptions.find({"order_id": order_id}, session=session))


def delete_redemption(db: Database, redemption_key: str, session: ClientSession) -> bool:
    return db.coupon_redemptions.delete_one({"_id": redemption_key},
                                            session=session).deleted_count == 1


def redemptions_page(db: Database, coupon_id: str, *, skip: int, limit: int) -> list[Doc]:
    """A coupon's redemptions, newest first, through the ``(coupon_id, at)`` index."""
    cursor = db.coupon_redemptions.find({"coupon_id": coupon_id})
    return list(cursor.sort([("at", DESCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit))

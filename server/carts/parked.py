"""Carts parked at a store's tills (pushed as ``cart.parked``, taken as ``cart.resumed``), kept
so that any till of the store can resume them, and so that a second till resuming one that
was already taken is told where and when.

Document (``parked_carts``): ``{_id: the till's id, store_id, register_id, register_code,
staff_id, label, cart: the till's cart (``app.sales.cart.Cart.to_json`` as an object),
created_at, version, status: "parked" | "resumed", resumed: {register_id, register_code,
staff_id, at} | None, updated_at, purge_at}``. A resumed cart stays as a tombstone for
RESUMED_KEPT_DAYS (TTL on ``purge_at``): long enough for a till that was offline to push its
own resume of it and be told it came second.

Every change appends the store feed's ``parked_cart`` entry (the view when parked, a delete
when resumed) in the caller's transaction, as the stock levels and orders of a store do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.sync_protocol import DELETE, Entity
from server.changes.log import Change, append, store_feed
from server.database import TTL

Doc = dict[str, Any]
PARKED = "parked"
RESUMED = "resumed"
RESUMED_KEPT_DAYS = 60


def ensure_indexes(db: Database) -> None:
    db.parked_carts.create_index("purge_at", **TTL)
    db.parked_carts.create_index("store_id")


def get(db: Database, cart_id: str, session: ClientSession) -> Doc | None:
    return db.parked_carts.find_one({"_id": cart_id}, session=session)


def parked_view(doc: Doc) -> Doc:
    """What the store feed carries: what a till needs to list and resume the cart."""
    return {"id": doc["_id"], "store_id": doc["store_id"], "register_id": doc.get("register_id"),
            "register_code": doc.get("register_code"), "staff_id": doc.get("staff_id"),
            "label": doc.get("label") or "", "cart": doc["cart"],
            "created_at": _iso(doc.get("created_at")), "version": doc.get("version", 1)}


def store_parked(db: Database, session: ClientSession, doc: Doc, *, now: datetime) -> Doc:
    """Keep a parked cart (a new one, or a newer copy of one still parked) and publish it."""
    earlier = get(db, doc["_id"], session)
    stored = {**doc, "status": PARKED, "resumed": None, "updated_at": now, "purge_at": None,
              "version": (earlier or {}).get("version", 0) + 1}
    db.parked_carts.replace_one({"_id": doc["_id"]}, stored, upsert=True, session=session)
    append(db, store_feed(doc["store_id"]), Change(
        Entity.PARKED_CART.value, doc["_id"], version=stored["version"],
        data=parked_view(stored)), session=session)
    return stored


def mark_resumed(db: Database, session: ClientSession, doc: Doc | None, *, cart_id: str,
                 store_id: str, resumed: Doc, now: datetime) -> None:
    """Record that a till took the cart. One the server never had (its parking was refused
    or never arrived) becomes a tombstone alone, so a late ``cart.parked`` of it is refused;
    one it had also leaves the store feed."""
    purge_at = now + timedelta(days=RESUMED_KEPT_DAYS)
    if doc is None:
        db.parked_carts.insert_one({
            "_id": cart_id, "store_id": store_id, "register_id": None, "register_code": None,
            "staff_id": None, "label": "", "cart": None, "created_at": None, "version": 1,
            "status": RESUMED, "resumed": resumed, "updated_at": now, "purge_at": purge_at},
            session=session)
        return
    version = doc.get("version", 1) + 1
    db.parked_carts.update_one(
        {"_id": cart_id, "status": PARKED},
        {"$set": {"status": RESUMED, "resumed": resumed, "updated_at": now,
                  "purge_at": purge_at, "version": version}}, session=session)
    append(db, store_feed(store_id), Change(Entity.PARKED_CART.value, cart_id, op=DELETE,
                                            version=version), session=session)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value

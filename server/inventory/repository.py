"""MongoDB access for the stock ledger: movements (append-only), materialised levels and
reservations. Lookups are by ``_id`` or an indexed equality; every call takes the session of
the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.cursor import Cursor
from pymongo.database import Database

Doc = dict[str, Any]
Session = ClientSession | None


def level_id(store_id: str, variant_id: str) -> str:
    return f"{store_id}:{variant_id}"


def get_level(db: Database, store_id: str, variant_id: str, session: Session) -> Doc | None:
    return db.stock_levels.find_one({"_id": level_id(store_id, variant_id)}, session=session)


def get_level_by_id(db: Database, lid: str, session: Session = None) -> Doc | None:
    return db.stock_levels.find_one({"_id": lid}, session=session)


def levels_by_ids(db: Database, ids: list[str], session: Session) -> list[Doc]:
    return list(db.stock_levels.find({"_id": {"$in": ids}}, session=session))


def move_level(db: Database, *, store_id: str, product_id: str, variant_id: str,
               on_hand: int, reserved: int, flags: Doc, now: datetime,
               session: Session) -> None:
    """Add to a level (created at zero when the variant was never stocked here)."""
    db.stock_levels.update_one(
        {"_id": level_id(store_id, variant_id)},
        {"$inc": {"on_hand_milli": on_hand, "reserved_milli": reserved, "version": 1},
         "$set": {"product_id": product_id, "updated_at": now, **flags},
         "$setOnInsert": {"store_id": store_id, "variant_id": variant_id,
                          "low_stock_threshold_milli": None, "created_at": now}},
        upsert=True, session=session)


def move_levels(db: Database, moves: list[tuple[Doc, int, int]], *, now: datetime,
                session: Session) -> None:
    """``move_level`` of several levels in one bulk write: (the level as it ends, on-hand
    added, version steps)."""
    ops = [UpdateOne(
        {"_id": level["_id"]},
        {"$inc": {"on_hand_milli": on_hand, "reserved_milli": 0, "version": steps},
         "$set": {"product_id": level["product_id"], "updated_at": now,
                  "low_stock": level["low_stock"], "low_stock_alerted": level["low_stock_alerted"]},
         "$setOnInsert": {"store_id": level["store_id"], "variant_id": level["variant_id"],
                          "low_stock_threshold_milli": None, "created_at": now}},
        upsert=True) for level, on_hand, steps in moves]
    if ops:
        db.stock_levels.bulk_write(ops, ordered=True, session=session)


def set_level_fields(db: Database, lid: str, fields: Doc, session: Session) -> None:
    db.stock_levels.update_one({"_id": lid}, {"$set": fields}, session=session)


def get_movement(db: Database, movement_id: str, session: Session) -> Doc | None:
    return db.stock_movements.find_one({"_id": movement_id}, session=session)


def insert_movement(db: Database, movement: Doc, session: Session) -> None:
    db.stock_movements.insert_one(movement, session=session)


def movement_ids_taken(db: Database, ids: list[str], session: Session) -> set[str]:
    if not ids:
        return set()
    return {m["_id"] for m in db.stock_movements.find({"_id": {"$in": sorted(set(ids))}},
                                                      {"_id": 1}, session=session)}


def insert_movements(db: Database, movements: list[Doc], session: Session) -> None:
    db.stock_movements.insert_many(movements, ordered=True, session=session)


def products_stock_facts(db: Database, product_ids: list[str], session: Session) -> dict[str, Doc]:
    """``product_stock_facts`` of several products in one read."""
    if not product_ids:
        return {}
    found = db.products.find({"_id": {"$in": sorted(set(product_ids))}},
                             {"name": 1, "low_stock_threshold_milli": 1}, session=session)
    return {p["_id"]: p for p in found}


def get_reservation(db: Database, rid: str, session: Session) -> Doc | None:
    return db.stock_reservations.find_one({"_id": rid}, session=session)


def insert_reservation(db: Database, reservation: Doc, session: Session) -> None:
    db.stock_reservations.insert_one(reservation, session=session)


def reservations_of(db: Database, order_id: str, session: Session) -> list[Doc]:
    return list(db.stock_reservations.find({"order_id": order_id}, session=session))


def delete_reservation(db: Database, rid: str, session: Session) -> bool:
    """True when this call removed it (a second call, or a concurrent one, gets False)."""
    return db.stock_reservations.delete_one({"_id": rid}, session=session).deleted_count == 1


def find_levels(db: Database, query: Doc, sort: list[tuple[str, int]]) -> Cursor:
    return db.stock_levels.find(query).sort(sort)


def find_movements(db: Database, query: Doc) -> Cursor:
    return db.stock_movements.find(query).sort([("at", DESCENDING), ("_id", DESCENDING)])


def product_stock_facts(db: Database, product_id: str, session: Session) -> Doc | None:
    """The product's low-stock threshold and name. Read from the catalogue's stored shape
    because ``server.catalog.lookup`` does not expose the threshold (reported)."""
    return db.products.find_one({"_id": product_id},
                                {"name": 1, "low_stock_threshold_milli": 1}, session=session)


def store_managers(db: Database, store_id: str, session: Session) -> list[Doc]:
    """Active owners, and active managers whose ``store_ids`` name the store or are empty
    (a manager of every store), through the ``(role, email)`` index."""
    found = db.users.find({"role": {"$in": ["owner", "manager"]}},
                          {"email": 1, "role": 1, "store_ids": 1, "active": 1, "name": 1},
                          session=session)
    return [u for u in found if u.get("active", True)
            and (u["role"] == "owner" or not u.get("store_ids") or store_id in u["store_ids"])]

"""MongoDB access for stores, registers, pairing codes and devices.

Lookups are by ``_id`` or an indexed equality (store code, (store, register code), register);
the few scans are over collections a shop counts in tens (stores, devices). Writes that decide
something (claiming a code, revoking a device) are conditional ``update_one`` calls whose
``modified_count`` says who won; every function takes the caller's ``session`` so a service can
run several in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

Doc = dict[str, Any]
Session = ClientSession | None


# stores ---------------------------------------------------------------------------------------

def get_store(db: Database, store_id: str, session: Session = None) -> Doc | None:
    return db.stores.find_one({"_id": store_id}, session=session)


def store_by_code(db: Database, code: str) -> Doc | None:
    return db.stores.find_one({"code": code})


def stores_page(db: Database, *, skip: int, limit: int) -> list[Doc]:
    return list(db.stores.find({}).sort("code", ASCENDING).skip(skip).limit(limit))


def insert_store(db: Database, store: Doc, session: Session = None) -> None:
    db.stores.insert_one(store, session=session)


def update_store_if_version(db: Database, store_id: str, version: int, changes: Doc,
                            now: datetime, session: Session = None) -> bool:
    result = db.stores.update_one({"_id": store_id, "version": version},
                                  {"$set": {**changes, "updated_at": now}, "$inc": {"version": 1}},
                                  session=session)
    return result.modified_count == 1


# registers ------------------------------------------------------------------------------------

def get_register(db: Database, register_id: str, session: Session = None) -> Doc | None:
    return db.registers.find_one({"_id": register_id}, session=session)


def register_by_code(db: Database, store_id: str, code: str) -> Doc | None:
    return db.registers.find_one({"store_id": store_id, "code": code})


def registers_of(db: Database, store_id: str) -> list[Doc]:
    return list(db.registers.find({"store_id": store_id}).sort("code", ASCENDING))


def insert_register(db: Database, register: Doc, session: Session = None) -> None:
    db.registers.insert_one(register, session=session)


def attach_device(db: Database, register_id: str, device_id: str, now: datetime,
                  session: Session) -> None:
    db.registers.update_one({"_id": register_id},
                            {"$set": {"device_id": device_id, "paired_at": now}}, session=session)


def detach_device(db: Database, register_id: str, device_id: str, session: Session) -> None:
    # Only if it is still this device: a newer pairing must not be undone by an old revocation.
    db.registers.update_one({"_id": register_id, "device_id": device_id},
                            {"$set": {"device_id": None}}, session=session)


# pairing codes --------------------------------------------------------------------------------

def insert_pairing_code(db: Database, issued: Doc, session: Session = None) -> None:
    db.pairing_codes.insert_one(issued, session=session)


def get_pairing_code(db: Database, code_digest: str, session: Session = None) -> Doc | None:
    return db.pairing_codes.find_one({"_id": code_digest}, session=session)


def claim_pairing_code(db: Database, code_digest: str, device_id: str, now: datetime,
                       session: Session) -> bool:
    """Mark the code used, once: of two concurrent exchanges only one modifies it."""
    result = db.pairing_codes.update_one(
        {"_id": code_digest, "used_at": None, "expires_at": {"$gt": now}},
        {"$set": {"used_at": now, "device_id": device_id}}, session=session)
    return result.modified_count == 1


# devices --------------------------------------------------------------------------------------

def get_device(db: Database, device_id: str, session: Session = None) -> Doc | None:
    return db.devices.find_one({"_id": device_id}, session=session)


def devices_page(db: Database, *, include_revoked: bool, register_id: str | None, skip: int,
                 limit: int) -> list[Doc]:
    query: Doc = {} if include_revoked else {"revoked_at": None}
    if register_id:
        query["register_id"] = register_id
    cursor = db.devices.find(query, {"key_hash": 0}).sort("created_at", DESCENDING)
    return list(cursor.skip(skip).limit(limit))


def insert_device(db: Database, device: Doc, session: Session) -> None:
    db.devices.insert_one(device, session=session)


def revoke_device(db: Database, device_id: str, now: datetime, reason: str,
                  session: Session) -> bool:
    result = db.devices.update_one({"_id": device_id, "revoked_at": None},
                                   {"$set": {"revoked_at": now, "revoked_reason": reason}},
                                   session=session)
    return result.modified_count == 1

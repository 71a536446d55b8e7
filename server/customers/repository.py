"""MongoDB access for customers. An email is unique through ``customer_emails`` (``_id`` is
the address), so lookups and uniqueness are by ``_id`` on both databases (SecantusDB does not
plan with partial indexes)."""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.cursor import Cursor
from pymongo.database import Database

Doc = dict[str, Any]
Session = ClientSession | None


def get(db: Database, customer_id: str, session: Session = None) -> Doc | None:
    return db.customers.find_one({"_id": customer_id}, session=session)


def by_email(db: Database, email: str, session: Session = None) -> Doc | None:
    claim = db.customer_emails.find_one({"_id": email}, session=session)
    return get(db, claim["customer_id"], session) if claim else None


def claim_email(db: Database, email: str, customer_id: str, session: Session) -> None:
    """Raises ``DuplicateKeyError`` when another customer holds the address."""
    if db.customer_emails.find_one({"_id": email, "customer_id": customer_id},
                                   session=session) is None:
        db.customer_emails.insert_one({"_id": email, "customer_id": customer_id},
                                      session=session)


def release_email(db: Database, email: str | None, customer_id: str, session: Session) -> None:
    if email:
        db.customer_emails.delete_one({"_id": email, "customer_id": customer_id},
                                      session=session)


def email_free(db: Database, email: str, session: Session) -> bool:
    return db.customer_emails.find_one({"_id": email}, session=session) is None


def upsert_new(db: Database, customer: Doc, session: Session) -> bool:
    """Insert unless the ``_id`` exists; True when this call created it."""
    fields = {k: v for k, v in customer.items() if k != "_id"}
    result = db.customers.update_one({"_id": customer["_id"]}, {"$setOnInsert": fields},
                                     upsert=True, session=session)
    return result.upserted_id is not None


def insert(db: Database, customer: Doc, session: Session) -> None:
    db.customers.insert_one(customer, session=session)


def page(db: Database, *, name_prefix: str) -> Cursor:
    """By name (case-insensitive prefix on ``name_key``); tombstones have no ``name_key``."""
    query = {"name_key": {"$gte": name_prefix, "$lt": name_prefix + "\uffff"}}
    return db.customers.find(query).sort([("name_key", 1), ("_id", 1)])


def by_ids(db: Database, ids: list[str]) -> Cursor:
    return db.customers.find({"_id": {"$in": ids}}).sort([("name_key", 1), ("_id", 1)])

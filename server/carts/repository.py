"""MongoDB access for ``carts``.

Stored shape: ``{_id: opaque token, user_id: str | None (the owner; None for a guest),
active_user: user_id only while it is that customer's active cart (unique, sparse: one active
cart per customer), status: "active" | "merged" | "converted", lines: [{line, product_id,
variant_id, quantity_milli}], coupon_code: str | None, email: str | None (a guest's, given at
checkout), order_id, merged_into, abandon_due_at: datetime | None (when the abandoned-cart mail
is due; None when there is nothing to send), abandoned_mail_at, expires_at (TTL), version,
created_at, updated_at}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

Doc = dict[str, Any]
Session = ClientSession | None


def get(db: Database, cart_id: str, session: Session = None) -> Doc | None:
    return db.carts.find_one({"_id": cart_id}, session=session)


def active_of(db: Database, user_id: str, session: Session = None) -> Doc | None:
    return db.carts.find_one({"active_user": user_id}, session=session)


def insert(db: Database, cart: Doc, session: Session = None) -> bool:
    """Insert; ``False`` when the customer already has an active cart (a concurrent create)."""
    try:
        db.carts.insert_one(cart, session=session)
        return True
    except DuplicateKeyError:
        return False


def update_if_version(db: Database, cart_id: str, version: int, changes: Doc, *,
                      unset: tuple[str, ...] = (), session: Session = None) -> bool:
    """Set ``changes`` on an active cart still at ``version``; ``False`` if it moved on."""
    update: Doc = {"$set": changes, "$inc": {"version": 1}}
    if unset:
        update["$unset"] = {name: "" for name in unset}
    result = db.carts.update_one({"_id": cart_id, "version": version, "status": "active"},
                                 update, session=session)
    return result.modified_count == 1


def due_for_mail(db: Database, *, since: datetime, now: datetime, limit: int) -> list[Doc]:
    """Active carts whose abandoned-cart mail is due (a bounded range on an indexed field)."""
    return list(db.carts.find({"abandon_due_at": {"$gte": since, "$lte": now}}).limit(limit))


def claim_mail(db: Database, cart_id: str, due: datetime, now: datetime,
               session: ClientSession) -> bool:
    """Take the mail of one cart (conditional: only one worker wins it)."""
    result = db.carts.update_one({"_id": cart_id, "abandon_due_at": due, "status": "active"},
                                 {"$set": {"abandon_due_at": None, "abandoned_mail_at": now}},
                                 session=session)
    return result.modified_count == 1

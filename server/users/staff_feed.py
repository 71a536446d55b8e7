"""The ``staff`` feed: what a till knows of each staff account (to let people log in with a PIN
while offline). Every write to a staff account appends the account's view here in the same
transaction; customers never appear in it."""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.permissions import STAFF_ROLES
from app.domain.sync_protocol import STAFF_FEED, Entity
from server.changes import log as change_log

_STAFF_ROLE_VALUES = frozenset(role.value for role in STAFF_ROLES)


def is_staff(user: dict[str, Any]) -> bool:
    return user.get("role") in _STAFF_ROLE_VALUES


def till_view(user: dict[str, Any]) -> dict[str, Any]:
    """The account as a till stores it (the PIN hash is PBKDF2, checked on the till)."""
    return {"id": user["_id"], "name": user.get("name", ""), "email": user["email"],
            "role": user["role"], "pin_hash": user.get("pin_hash"),
            "active": bool(user.get("active", True)), "version": int(user.get("version", 1))}


def change_for(user: dict[str, Any]) -> change_log.Change:
    return change_log.Change(Entity.STAFF_USER.value, user["_id"],
                             version=int(user.get("version", 1)), data=till_view(user))


def publish(db: Database, user: dict[str, Any], *, session: ClientSession | None) -> None:
    """Append ``user`` (as stored after the write) to the staff feed, if it is staff."""
    if is_staff(user):
        change_log.append(db, STAFF_FEED, change_for(user), session=session)


def publish_by_id(db: Database, user_id: str, *, session: ClientSession) -> None:
    """Read the account inside the writer's transaction (its own write included) and publish."""
    user = db.users.find_one({"_id": user_id}, session=session)
    if user is not None:
        publish(db, user, session=session)


def erase(db: Database, user_id: str, *, session: ClientSession) -> None:
    """After a GDPR erase of the account (in its transaction): earlier entries lose what named
    the person, and the scrubbed account (inactive, no PIN) is published."""
    change_log.rewrite(
        db, {"entity": Entity.STAFF_USER.value, "entity_id": user_id},
        {"$set": {"data.name": "", "data.email": f"erased-{user_id}@invalid",
                  "data.pin_hash": None}}, session=session)
    publish_by_id(db, user_id, session=session)

"""The back office's ``staff.create``, ``staff.update`` and ``customer.erase`` (see ``base`` for
the rules every handler keeps: everything is checked before the first write).

Staff: the member of staff behind the change must hold ``users:manage`` here, and the rules
above the permission table are kept again against the server's accounts, whatever the till
thought: only an owner creates, promotes to or changes an owner; nobody changes their own role
or deactivates themselves; the last active owner is never demoted or deactivated; customers
are not staff; an email belongs to one account. A member of staff born at a till has no
password (they sign in at tills with their PIN; only its PBKDF2 hash travels) and works at that
till's store. ``staff.update`` names, for role and active, the value it replaced (``base``): a
field changed meanwhile by someone else to something else is a ``conflict`` that keeps the
server's account, which the staff feed then brings to the till. Every applied change appends the
account to the staff feed in the batch's transaction, so the other tills learn of it.

Customers: ``customer.erase`` runs the server's GDPR erase (``server.customers.gdpr``) inside the
batch's transaction, for a member of staff holding ``customers:gdpr``; an erased or never-known
customer is already as erased as it gets (applied, nothing written)."""

from __future__ import annotations

import re
from typing import Any

from app.domain.permissions import Permission, Role, parse_role
from app.domain.errors import InvalidInput
from app.domain.sync_protocol import MutationKind, Status
from server import audit
from server.customers import gdpr
from server.customers import repository as customers_repo
from server.errors import ApiError
from server.sync.handlers.base import Context, Doc, Outcome, Refused
from server.sync.handlers.common import identifier, require_staff, section, text
from server.users import staff_feed
from server.users.service import normalise_email

#: the tills' PIN hash (``app.local_auth``): scheme, iterations, 16-byte salt, SHA-256 digest
_PIN_HASH = re.compile(r"pbkdf2_sha256\$([0-9]{4,7})\$[0-9a-f]{32}\$[0-9a-f]{64}")
MIN_PIN_ITERATIONS = 1_000
_UPDATABLE = ("role", "active", "pin_hash")


def _role(value: Any, field: str) -> str:
    try:
        role = parse_role(value)
    except InvalidInput as exc:
        raise Refused(f"{field}: {exc}") from None
    if role is Role.CUSTOMER:
        raise Refused(f"{field}: customers are not staff")
    return role.value


def _pin_hash(value: Any, field: str) -> str:
    found = _PIN_HASH.fullmatch(value) if isinstance(value, str) else None
    if found is None or int(found.group(1)) < MIN_PIN_ITERATIONS:
        raise Refused(f"{field}: not a till PIN hash")
    return value


def _owner_only(actor_role: str, *roles: Any) -> None:
    if actor_role != Role.OWNER.value and Role.OWNER.value in roles:
        raise Refused("role: only an owner may create, promote to or change an owner")


def _staff_target(ctx: Context, user_id: str) -> Doc:
    user = ctx.db.users.find_one({"_id": user_id}, session=ctx.session)
    if user is None or not staff_feed.is_staff(user):
        raise Refused(f"payload.id: no staff account {user_id}")
    return user


def staff_create(ctx: Context) -> Outcome:
    payload = ctx.payload
    user_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    name = text(payload.get("name"), "payload.name", max_length=200, required=True).strip()
    try:
        email = normalise_email(payload.get("email"), field="payload.email")
    except ApiError as exc:
        raise Refused(exc.message) from None
    role = _role(payload.get("role"), "payload.role")
    pin_hash = _pin_hash(payload.get("pin_hash"), "payload.pin_hash")
    principal = require_staff(ctx, Permission.USERS_MANAGE)
    _owner_only(principal.role, role)
    existing = ctx.db.users.find_one({"_id": user_id}, session=ctx.session)
    if existing is not None:
        if existing.get("email") == email and existing.get("role") == role:
            return Outcome(Status.APPLIED)  # this very account, made by an earlier attempt
        raise Refused(f"payload.id: {user_id} is another account")
    if ctx.db.users.find_one({"email": email}, {"_id": 1}, session=ctx.session) is not None:
        raise Refused(f"payload.email: an account with {email} already exists")
    user = {"_id": user_id, "email": email, "name": name, "role": role,
            "password_hash": None, "pin_hash": pin_hash, "pin_set_at": ctx.now,
            "verified": True, "active": True, "store_ids": [ctx.store_id],
            "failed_logins": 0, "locked_until": None, "created_at": ctx.now,
            "updated_at": ctx.now, "version": 1}
    ctx.db.users.insert_one(user, session=ctx.session)
    audit.record(ctx.db, actor=principal.actor, action="user.created", target=user_id,
                 request_id=ctx.request_id, session=ctx.session,
                 audit_id=ctx.derived_id("audit"),
                 details={"email": email, "role": role, "via": "sync",
                          "device_id": ctx.principal.id})
    staff_feed.publish(ctx.db, user, session=ctx.session)
    return Outcome(Status.APPLIED)


def _changes(payload: Doc) -> Doc:
    changes = section(payload, "changes")
    unknown = sorted(set(changes) - set(_UPDATABLE), key=str)
    if unknown:
        raise Refused(f"payload.changes.{unknown[0]}: not a staff field to change "
                      f"({', '.join(_UPDATABLE)})")
    if not changes:
        raise Refused("payload.changes: nothing to change")
    cleaned: Doc = {}
    if "role" in changes:
        cleaned["role"] = _role(changes["role"], "payload.changes.role")
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise Refused("payload.changes.active: must be true or false")
        cleaned["active"] = changes["active"]
    if "pin_hash" in changes:
        cleaned["pin_hash"] = _pin_hash(changes["pin_hash"], "payload.changes.pin_hash")
    return cleaned


def _moved_meanwhile(target: Doc, changes: Doc, base: Doc) -> str | None:
    for field in ("role", "active"):
        if field in changes and field in base:
            now = target.get(field, True if field == "active" else None)
            if now != base[field] and now != changes[field]:
                return field
    return None


def _check_owner_remains(ctx: Context, target: Doc, changes: Doc) -> None:
    if target.get("role") != Role.OWNER.value or target.get("active", True) is False:
        return
    if changes.get("role", Role.OWNER.value) == Role.OWNER.value \
            and changes.get("active", True) is not False:
        return
    others = ctx.db.users.count_documents(
        {"role": Role.OWNER.value, "active": {"$ne": False}, "_id": {"$ne": target["_id"]}},
        session=ctx.session)
    if not others:
        raise Refused("payload.id: the last active owner cannot be demoted or deactivated")


def staff_update(ctx: Context) -> Outcome:
    payload = ctx.payload
    user_id = identifier(payload.get("id") or ctx.mutation.entity_id, "payload.id")
    changes = _changes(payload)
    base = payload.get("base") or {}
    if not isinstance(base, dict):
        raise Refused("payload.base: must be an object or null")
    principal = require_staff(ctx, Permission.USERS_MANAGE)
    target = _staff_target(ctx, user_id)
    moved = _moved_meanwhile(target, changes, base)
    if moved is not None:
        view = {k: v for k, v in staff_feed.till_view(target).items() if k != "pin_hash"}
        return Outcome(Status.CONFLICT, reason=f"{moved} was changed meanwhile elsewhere",
                       current=view)
    changes = {k: v for k, v in changes.items()
               if k == "pin_hash" or target.get(k, True if k == "active" else None) != v}
    if not changes:
        return Outcome(Status.APPLIED)
    _owner_only(principal.role, target.get("role"), changes.get("role"))
    _check_owner_remains(ctx, target, changes)
    if principal.id == user_id and ("role" in changes or changes.get("active") is False):
        raise Refused("payload.id: nobody changes their own role or deactivates themselves")
    written = {**changes, "updated_at": ctx.now}
    if "pin_hash" in changes:
        written["pin_set_at"] = ctx.now
    ctx.db.users.update_one({"_id": user_id}, {"$set": written, "$inc": {"version": 1}},
                            session=ctx.session)
    audit.record(ctx.db, actor=principal.actor, action="user.updated", target=user_id,
                 request_id=ctx.request_id, session=ctx.session,
                 audit_id=ctx.derived_id("audit"),
                 details={"from": {k: target.get(k) for k in changes if k != "pin_hash"},
                          "to": {k: v for k, v in changes.items() if k != "pin_hash"},
                          "pin_reset": "pin_hash" in changes, "via": "sync",
                          "device_id": ctx.principal.id})
    staff_feed.publish_by_id(ctx.db, user_id, session=ctx.session)
    return Outcome(Status.APPLIED)


def customer_erase(ctx: Context) -> Outcome:
    customer_id = identifier(ctx.payload.get("id") or ctx.mutation.entity_id, "payload.id")
    principal = require_staff(ctx, Permission.CUSTOMERS_GDPR)
    customer = customers_repo.get(ctx.db, customer_id, ctx.session)
    if customer is None or customer.get("erased"):
        return Outcome(Status.APPLIED)
    gdpr.erase_in(ctx.db, ctx.session, customer_id=customer_id, principal=principal, ip=None,
                  request_id=ctx.request_id, audit_id=ctx.derived_id("audit"))
    return Outcome(Status.APPLIED)


HANDLERS: dict = {
    MutationKind.STAFF_CREATE.value: staff_create,
    MutationKind.STAFF_UPDATE.value: staff_update,
    MutationKind.CUSTOMER_ERASE.value: customer_erase,
}

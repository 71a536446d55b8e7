"""User accounts (staff and customers): creation and lookup shared by registration, staff
management and the ``create-user`` command."""

from __future__ import annotations

import re
import uuid
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import parseaddr
from datetime import datetime, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from app.domain.errors import InvalidInput
from app.domain.permissions import STAFF_ROLES, Role, parse_role
from server import audit
from server.database import in_transaction
from server.errors import ApiError
from server.security import apikeys
from server.security.deps import Principal
from server.security.passwords import hash_password, password_problem
from server.users import pins, repository, staff_feed
from server.users.schemas import UserCreate, UserUpdate

# A dot-atom local part of RFC 5322 ``atext`` (no quoting, no comments, no control or
# non-ASCII characters) and a domain of LDH labels: what every SMTP server and the stdlib's
# header parser accept, so a stored address can always be turned into a message.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"(?=[^@]{{1,64}}@){_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+")


def _header_safe(address: str) -> bool:
    """The address survives a round-trip through the stdlib's header parser unchanged."""
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, TypeError, HeaderParseError):
        return False
    return parseaddr(address)[1] == address and parsed.addr_spec == address


def normalise_email(email: object, *, field: str = "email") -> str:
    if not isinstance(email, str) or len(email.strip()) > 254:
        raise ApiError(422, "validation_error", f"{field}: not an email address", {"field": field})
    address = email.strip()
    if not address.isascii() or not address.isprintable() or not _EMAIL.fullmatch(address) \
            or not _header_safe(address):
        raise ApiError(422, "validation_error", f"{field}: not an email address", {"field": field})
    return address.lower()


def check_password(password: str, *, field: str = "password") -> None:
    problem = password_problem(password)
    if problem:
        raise ApiError(422, "validation_error", f"{field}: {problem}", {"field": field})


def create_user(db: Database, *, email: str, role: str, password: str, name: str = "",
                verified: bool, actor: str, ip: str | None, rounds: int = 12,
                request_id: str | None = None, store_ids: list[str] | None = None,
                session: ClientSession | None = None) -> dict[str, Any]:
    """Insert a user and its audit entry in one transaction (the caller's, when it passes
    ``session``); 409 if the email is taken. The unique index makes a retried request (after a
    lost reply or a commit retry) a clean conflict, never a second account."""
    address = normalise_email(email)
    try:
        role_value = parse_role(role).value
    except InvalidInput as exc:
        raise ApiError(422, "validation_error", str(exc), {"field": "role"}) from None
    check_password(password)
    now = datetime.now(timezone.utc)
    user = {"_id": str(uuid.uuid4()), "email": address, "name": name.strip()[:200],
            "role": role_value, "password_hash": hash_password(password, rounds=rounds),
            "verified": verified, "active": True, "store_ids": store_ids or [],
            "failed_logins": 0, "locked_until": None, "created_at": now, "updated_at": now,
            "version": 1}
    audit_id = str(uuid.uuid4())

    def work(s: ClientSession) -> None:
        db.users.insert_one(user, session=s)
        audit.record(db, actor=actor, action="user.created", target=user["_id"], ip=ip,
                     request_id=request_id, details={"email": address, "role": role_value},
                     session=s, audit_id=audit_id)
        staff_feed.publish(db, user, session=s)  # tills learn of staff only (never customers)

    try:
        work(session) if session is not None else in_transaction(db, work)
    except DuplicateKeyError:
        raise ApiError(409, "email_taken", f"an account with {address} already exists",
                       {"field": "email"}) from None
    return user


def public_user(user: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of an account: never hashes or lockout counters."""
    return {"id": user["_id"], "email": user["email"], "name": user.get("name", ""),
            "role": user["role"], "verified": user.get("verified", False),
            "active": user.get("active", True), "store_ids": user.get("store_ids", []),
            "created_at": user["created_at"].isoformat() if user.get("created_at") else None,
            "version": user.get("version", 1)}


# --- staff management (the /users routes) -------------------------------------------------

def staff_view(user: dict[str, Any]) -> dict[str, Any]:
    """``public_user`` plus what a manager needs to see about a till account."""
    return {**public_user(user), "has_pin": bool(user.get("pin_hash")),
            "updated_at": user["updated_at"].isoformat() if user.get("updated_at") else None}


def _staff_role(role: Role) -> str:
    if role is Role.CUSTOMER:
        raise ApiError(422, "validation_error", "role: staff accounts cannot have the customer "
                       "role (customers sign up themselves)", {"field": "role"})
    return role.value


def _get_staff(db: Database, user_id: str) -> dict[str, Any]:
    user = repository.get(db, user_id)
    if user is None or user.get("role") == Role.CUSTOMER:  # customers are not managed here
        raise ApiError(404, "not_found", f"no staff user {user_id}", {"id": user_id})
    return user


def _check_store_ids(db: Database, store_ids: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(store_ids))  # dedupe, keep order
    unknown = [s for s in wanted if s not in repository.known_store_ids(db, wanted)]
    if unknown:
        raise ApiError(422, "validation_error", f"store_ids: no such store: {', '.join(unknown[:5])}",
                       {"field": "store_ids", "unknown": unknown})
    return wanted


def _guard(principal: Principal, target_role: str | None, new_role: str | None, *,
           target_id: str | None = None, deactivating: bool = False) -> None:
    """The rules above the permission table: only owners touch owners (a manager manages every
    other role), and nobody demotes or deactivates themselves, so the last owner cannot vanish
    by accident and nobody escalates by editing their own account."""
    if principal.role != Role.OWNER and Role.OWNER in (target_role, new_role):
        raise ApiError(403, "owner_only", "only an owner may create, change or deactivate an owner")
    if principal.kind == "user" and target_id is not None and principal.id == target_id:
        if deactivating:
            raise ApiError(403, "not_on_yourself", "you cannot deactivate your own account")
        if new_role is not None and new_role != target_role:
            raise ApiError(403, "not_on_yourself", "you cannot change your own role")


def _conflict_or_missing(db: Database, user_id: str) -> ApiError:
    current = repository.get(db, user_id)
    if current is None:
        return ApiError(404, "not_found", f"no staff user {user_id}", {"id": user_id})
    return _version_conflict(current.get("version", 1))


def _version_conflict(current_version: int) -> ApiError:
    return ApiError(409, "version_conflict", "the user was changed by someone else: reload and "
                    "try again", {"current_version": current_version})


def _audited_update(db: Database, user_id: str, version: int, changes: dict[str, Any],
                    **entry: Any) -> None:
    """Apply ``changes`` if the account is still at ``version`` and write the audit entry and
    the staff feed's entry, in one transaction: all are stored or none; 409/404 when the
    version moved on."""
    audit_id = str(uuid.uuid4())

    def work(s: ClientSession) -> bool:
        if not repository.update_if_version(db, user_id, version, changes, session=s):
            return False
        audit.record(db, **entry, target=user_id, session=s, audit_id=audit_id)
        staff_feed.publish_by_id(db, user_id, session=s)
        return True

    if not in_transaction(db, work):
        raise _conflict_or_missing(db, user_id)


def list_staff(db: Database, *, role: Role | None, page: int, per_page: int) -> dict[str, Any]:
    """A page of staff accounts (all staff roles, or one)."""
    roles = [_staff_role(role)] if role else [r.value for r in STAFF_ROLES]
    rows = repository.page(db, roles=roles, skip=(page - 1) * per_page, limit=per_page + 1)
    return {"items": [staff_view(u) for u in rows[:per_page]], "page": page,
            "per_page": per_page, "has_more": len(rows) > per_page}


def get_staff(db: Database, *, user_id: str) -> dict[str, Any]:
    return staff_view(_get_staff(db, user_id))


def create_staff(db: Database, *, body: UserCreate, principal: Principal, ip: str | None,
                 request_id: str | None, rounds: int) -> dict[str, Any]:
    """A verified staff account, created by a manager or owner."""
    role = _staff_role(body.role)
    _guard(principal, None, role)
    store_ids = _check_store_ids(db, body.store_ids)
    user = create_user(db, email=body.email, role=role, password=body.password, name=body.name,
                       verified=True, actor=principal.actor, ip=ip, rounds=rounds,
                       request_id=request_id, store_ids=store_ids)
    return get_staff(db, user_id=user["_id"])  # as stored: BSON keeps milliseconds only


def update_staff(db: Database, *, user_id: str, body: UserUpdate, principal: Principal,
                 ip: str | None, request_id: str | None) -> dict[str, Any]:
    """Change name, role, active flag or stores, if ``body.version`` is still current."""
    target = _get_staff(db, user_id)
    changes: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"version"})
    if not changes:
        raise ApiError(422, "validation_error", "nothing to change: send name, role, active or "
                       "store_ids", {"field": None})
    if "role" in changes:
        changes["role"] = _staff_role(body.role)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "store_ids" in changes:
        changes["store_ids"] = _check_store_ids(db, changes["store_ids"])
    _guard(principal, target["role"], changes.get("role"), target_id=user_id,
           deactivating=changes.get("active") is False)
    # The rules were checked against the document as read: the edit must be based on that very
    # version, and the write is conditioned on it (not on the client's number), so a concurrent
    # change (a promotion to owner, say) cannot slip past them.
    version = target.get("version", 1)
    if body.version != version:
        raise _version_conflict(version)
    before = {k: target.get(k) for k in changes}
    _audited_update(db, user_id, version, changes, actor=principal.actor, action="user.updated",
                    ip=ip, request_id=request_id, details={"from": before, "to": changes,
                                                           "version": version + 1})
    return get_staff(db, user_id=user_id)


def deactivate_staff(db: Database, *, user_id: str, principal: Principal, ip: str | None,
                     request_id: str | None) -> dict[str, Any]:
    """Deactivate (never delete: orders and the audit log keep pointing at the account). Its
    access tokens stop working at once, because every request checks ``active``."""
    target = _get_staff(db, user_id)
    _guard(principal, target["role"], None, target_id=user_id, deactivating=True)
    if not target.get("active", True):
        return staff_view(target)  # already done: DELETE is idempotent
    # Conditional on the version we checked the rules against, so a concurrent promotion to
    # owner cannot slip past the owner-only rule.
    _audited_update(db, user_id, target.get("version", 1), {"active": False},
                    actor=principal.actor, action="user.deactivated", ip=ip,
                    request_id=request_id, details={"role": target["role"]})
    return get_staff(db, user_id=user_id)


def set_pin(db: Database, *, user_id: str, pin: str, principal: Principal, ip: str | None,
            request_id: str | None) -> dict[str, Any]:
    """Store a till PIN hash (PBKDF2, the tills' format); it reaches tills through sync."""
    problem = pins.pin_problem(pin)
    if problem:
        raise ApiError(422, "validation_error", f"pin: {problem}", {"field": "pin"})
    target = _get_staff(db, user_id)
    _guard(principal, target["role"], None, target_id=user_id)
    changes = {"pin_hash": pins.hash_pin(pin), "pin_set_at": datetime.now(timezone.utc)}
    _audited_update(db, user_id, target.get("version", 1), changes, actor=principal.actor,
                    action="user.pin_set", ip=ip, request_id=request_id)
    return get_staff(db, user_id=user_id)


# --- API keys ------------------------------------------------------------------------------

def create_api_key(db: Database, *, name: str, role: str, actor: str, ip: str | None,
                   request_id: str | None = None) -> str:
    """A new API key for a server-to-server client; the returned value is shown only once."""
    label = name.strip() if isinstance(name, str) else ""
    if not label or len(label) > 100:
        raise ApiError(422, "validation_error", "name: 1 to 100 characters", {"field": "name"})
    try:
        role_value = _staff_role(parse_role(role))
    except InvalidInput as exc:
        raise ApiError(422, "validation_error", str(exc), {"field": "role"}) from None
    for _ in range(5):  # an 8-character prefix collides almost never; retry rather than fail
        key = apikeys.generate()
        record = {"_id": str(uuid.uuid4()), "prefix": key.prefix, "hash": key.hash, "name": label,
                  "role": role_value, "created_at": datetime.now(timezone.utc),
                  "created_by": actor, "revoked_at": None}
        audit_id = str(uuid.uuid4())

        def work(s: ClientSession, record: dict[str, Any] = record,
                 audit_id: str = audit_id, prefix: str = key.prefix) -> None:
            repository.insert_api_key(db, record, session=s)
            audit.record(db, actor=actor, action="api_key.created", target=record["_id"], ip=ip,
                         request_id=request_id, details={"name": label, "role": role_value,
                                                         "prefix": prefix},
                         session=s, audit_id=audit_id)

        try:
            in_transaction(db, work)
        except DuplicateKeyError:
            continue
        return key.value
    raise RuntimeError("could not find a free API key prefix after 5 tries")


def revoke_api_key(db: Database, *, key_id: str, actor: str, ip: str | None,
                   request_id: str | None = None) -> bool:
    """Revoke a key (idempotent); ``False`` if it did not exist or was already revoked."""
    audit_id = str(uuid.uuid4())

    def work(s: ClientSession) -> bool:
        if not repository.revoke_api_key(db, key_id, session=s):
            return False
        audit.record(db, actor=actor, action="api_key.revoked", target=key_id, ip=ip,
                     request_id=request_id, session=s, audit_id=audit_id)
        return True

    return in_transaction(db, work)

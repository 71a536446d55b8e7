"""User accounts (staff and customers): creation and lookup shared by registration, staff
management and the ``create-user`` command."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from app.domain.errors import InvalidInput
from app.domain.permissions import parse_role
from server import audit
from server.errors import ApiError
from server.security.passwords import hash_password, password_problem

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def normalise_email(email: object, *, field: str = "email") -> str:
    if not isinstance(email, str) or len(email) > 254 or not _EMAIL.match(email.strip()):
        raise ApiError(422, "validation_error", f"{field}: not an email address", {"field": field})
    return email.strip().lower()


def check_password(password: str, *, field: str = "password") -> None:
    problem = password_problem(password)
    if problem:
        raise ApiError(422, "validation_error", f"{field}: {problem}", {"field": field})


def create_user(db: Database, *, email: str, role: str, password: str, name: str = "",
                verified: bool, actor: str, ip: str | None, rounds: int = 12,
                request_id: str | None = None, store_ids: list[str] | None = None) -> dict[str, Any]:
    """Insert a user; 409 if the email is taken. The unique index makes a retried request
    (after a lost reply or a commit retry) a clean conflict, never a second account."""
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
    try:
        db.users.insert_one(user)
    except DuplicateKeyError:
        raise ApiError(409, "email_taken", f"an account with {address} already exists",
                       {"field": "email"}) from None
    audit.record(db, actor=actor, action="user.created", target=user["_id"], ip=ip,
                 request_id=request_id, details={"email": address, "role": role_value})
    return user


def public_user(user: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of an account: never hashes or lockout counters."""
    return {"id": user["_id"], "email": user["email"], "name": user.get("name", ""),
            "role": user["role"], "verified": user.get("verified", False),
            "active": user.get("active", True), "store_ids": user.get("store_ids", []),
            "created_at": user["created_at"].isoformat() if user.get("created_at") else None,
            "version": user.get("version", 1)}

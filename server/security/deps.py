"""Who is calling, and may they: every route declares either ``require(PERMISSION)`` or
``public("why")`` as a dependency (a test fails for a route with neither).

Callers identify themselves with one of:
- ``Authorization: Bearer <JWT>`` — a person (staff or customer); the token's ``jti`` must not
  have been revoked (logout), the session (``fam`` claim: the refresh-token family) it belongs
  to must not have been ended, and the account must still be active;
- ``Authorization: Device <device_id>:<device_key>`` — a paired till;
- ``X-API-Key: tpk_<prefix>_<secret>`` — a server-to-server client with a role.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Callable

import jwt
from fastapi import Request
from pymongo.database import Database

from app.domain.permissions import DEVICE_PERMISSIONS, ROLE_PERMISSIONS, Permission, Role
from server.errors import ApiError
from server.security.apikeys import prefix_of
from server.security.tokens import decode_access_token, digest


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # user | device | api_key | anonymous
    id: str | None = None
    role: str | None = None
    email: str | None = None
    store_id: str | None = None
    register_id: str | None = None
    token_id: str | None = None  # the access token's jti (users)
    token_expires: int | None = None

    def permissions(self) -> frozenset[Permission]:
        if self.kind == "device":
            return DEVICE_PERMISSIONS
        if self.role:
            return ROLE_PERMISSIONS.get(Role(self.role), frozenset())
        return frozenset()

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind


ANONYMOUS = Principal("anonymous")


def get_db(request: Request) -> Database:
    return request.app.state.mongo.db


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def request_context(request: Request, principal: Principal | None = None) -> dict[str, Any]:
    """Where a privileged call came from, for its audit entry: ``ip`` and ``request_id``, and
    the ``actor`` when ``principal`` is given."""
    context: dict[str, Any] = {"ip": client_ip(request),
                               "request_id": getattr(request.state, "request_id", None)}
    if principal is not None:
        context["actor"] = principal.actor
    return context


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def _user(request: Request, token: str) -> Principal:
    try:
        claims = decode_access_token(request.app.state.jwt_key, token)
    except jwt.ExpiredSignatureError:
        raise _unauthorized("the access token has expired: refresh it or log in again") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("the access token is not valid") from None
    db = get_db(request)
    if db.revoked_access.find_one({"_id": claims["jti"]}, {"_id": 1}) is not None:
        raise _unauthorized("the access token was revoked (logged out)")
    family = claims.get("fam")
    if family is not None:  # tokens without a family (issued before "fam" existed) pass
        found = db.token_families.find_one({"_id": family}, {"revoked": 1})
        if found is None or found.get("revoked"):
            raise _unauthorized("the session of this access token was ended (logout, password "
                                "reset or a reused refresh token): log in again")
    user = db.users.find_one({"_id": claims["sub"]}, {"active": 1, "role": 1, "email": 1})
    if user is None or not user.get("active", True):
        raise _unauthorized("the account no longer exists or is deactivated")
    return Principal("user", user["_id"], user["role"], user["email"], token_id=claims["jti"],
                     token_expires=claims["exp"])


def _device(request: Request, credential: str) -> Principal:
    device_id, _, key = credential.partition(":")
    if not device_id or not key:
        raise _unauthorized("a device credential is <device_id>:<device_key>")
    device = get_db(request).devices.find_one({"_id": device_id})
    if (device is None or device.get("revoked_at") is not None
            or not hmac.compare_digest(device["key_hash"], digest(key))):
        raise _unauthorized("the device credential is not valid or was revoked")
    return Principal("device", device_id, None, None, device["store_id"], device["register_id"])


def _api_key(request: Request, value: str) -> Principal:
    prefix = prefix_of(value)
    if prefix is None:
        raise _unauthorized("the API key is malformed")
    key = get_db(request).api_keys.find_one({"prefix": prefix})
    if key is None or key.get("revoked_at") is not None or \
            not hmac.compare_digest(key["hash"], digest(value)):
        raise _unauthorized("the API key is not valid or was revoked")
    return Principal("api_key", key["_id"], key["role"], None)


def identify(request: Request) -> Principal:
    """The caller, or ``ANONYMOUS``; a credential that is present but wrong is a 401."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    api_key = request.headers.get("x-api-key")
    scheme, _, value = header.partition(" ")
    if header and scheme.lower() == "bearer" and value.strip():
        principal = _user(request, value.strip())
    elif header and scheme.lower() == "device" and value.strip():
        principal = _device(request, value.strip())
    elif header:
        raise _unauthorized("unsupported Authorization scheme (Bearer or Device)")
    elif api_key:
        principal = _api_key(request, api_key.strip())
    else:
        principal = ANONYMOUS
    request.state.principal = principal
    return principal


def require(permission: Permission) -> Callable[[Request], Principal]:
    """Dependency: the caller must be authenticated and hold ``permission``."""

    def dependency(request: Request) -> Principal:
        principal = identify(request)
        if principal.kind == "anonymous":
            raise _unauthorized("log in first: this needs an access token")
        if permission not in principal.permissions():
            raise ApiError(403, "forbidden",
                           f"a {principal.role or principal.kind} may not do this ({permission.value})")
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


def public(reason: str) -> Callable[[Request], Principal]:
    """Dependency: anyone may call this route (``reason`` says why, for reviewers)."""

    def dependency(request: Request) -> Principal:
        return identify(request)

    dependency.public = reason  # type: ignore[attr-defined]
    dependency.__name__ = "public"
    return dependency

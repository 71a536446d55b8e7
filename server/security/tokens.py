"""JWT access tokens (HS256) with the original design's claims, and random opaque secrets.

The signing key comes from ``TILLPOINT_JWT_SECRET`` or is generated once and kept in the
database (``server_keys``), inserted only if absent so that every worker agrees on it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from pymongo.database import Database

ALGORITHM = "HS256"
ISSUER = "tillpoint"


def signing_key(db: Database, configured: str) -> str:
    if configured:
        if len(configured) < 32:
            raise SystemExit("tillpoint-server: TILLPOINT_JWT_SECRET must be at least 32 characters")
        return configured
    db.server_keys.update_one({"_id": "jwt"}, {"$setOnInsert": {"secret": secrets.token_urlsafe(48)}},
                              upsert=True)
    return db.server_keys.find_one({"_id": "jwt"})["secret"]


def issue_access_token(key: str, *, user_id: str, email: str, role: str, minutes: int,
                       now: datetime | None = None,
                       family: str | None = None) -> tuple[str, str, datetime]:
    """Returns (token, jti, expiry). ``family`` is the login session (refresh-token family)
    the token belongs to, put in the ``fam`` claim: revoking the family refuses the token."""
    now = now or datetime.now(timezone.utc)
    expires = now + timedelta(minutes=minutes)
    jti = secrets.token_urlsafe(16)
    claims = {"userId": user_id, "sub": user_id, "email": email, "role": role,
              "iat": int(now.timestamp()), "exp": int(expires.timestamp()), "jti": jti,
              "iss": ISSUER, "typ": "access"}
    if family is not None:
        claims["fam"] = family
    return jwt.encode(claims, key, algorithm=ALGORITHM), jti, expires


def decode_access_token(key: str, token: str) -> dict[str, Any]:
    """Verified claims, or ``jwt.InvalidTokenError``."""
    claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=ISSUER,
                        options={"require": ["exp", "iat", "sub", "jti", "role"]})
    if claims.get("typ") != "access":
        raise jwt.InvalidTokenError("not an access token")
    return claims


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """What is stored of a secret (refresh token, pairing code, device key, email token)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()

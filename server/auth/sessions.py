"""Login sessions: log in (with lockout), rotate refresh tokens (with reuse detection), log out.

A login starts a *family*: every refresh hands out a new refresh token of the same family and
marks the old one used. Presenting a used token again means two parties hold it (one of them
stole it), so the whole family is revoked — its refresh tokens and the access tokens issued
with them. All of it lives in MongoDB; no worker keeps any of it in memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo.client_session import ClientSession

from app.domain.permissions import Role
from server import audit
from server.auth import repository as repo
from server.auth.context import AuthContext
from server.auth.schemas import TokenPair
from server.errors import ApiError
from server.security.deps import Principal
from server.security.passwords import verify_password
from server.security.tokens import digest, issue_access_token, new_secret

INVALID_CREDENTIALS = "the e-mail address or the password is wrong"


def _invalid_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", INVALID_CREDENTIALS)


def _invalid_refresh(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def _revoked() -> ApiError:
    return _invalid_refresh("refresh_token_revoked",
                            "this session was ended (logout, password reset or a reused "
                            "token): log in again")


def _locked(until: datetime) -> ApiError:
    seconds = max(1, int((until - datetime.now(timezone.utc)).total_seconds()) + 1)
    return ApiError(403, "account_locked",
                    f"too many failed logins: the account is locked until "
                    f"{until:%Y-%m-%d %H:%M:%S} UTC", {"locked_until": until.isoformat()},
                    headers={"Retry-After": str(seconds)})


def _issue_pair(ctx: AuthContext, user: dict[str, Any], family: str, *,
                session: ClientSession | None, refresh_secret: str,
                access: tuple[str, str, datetime]) -> TokenPair:
    """Store a refresh token for ``family`` and return it with its access token. The secrets
    are made by the caller, before the transaction, so that a re-run stores the same ones."""
    token, jti, access_expires = access
    expires = datetime.now(timezone.utc) + timedelta(days=ctx.settings.refresh_token_days)
    repo.insert_refresh_token(ctx.db, token_digest=digest(refresh_secret), family=family,
                              user_id=user["_id"], expires_at=expires, access_jti=jti,
                              access_expires_at=access_expires, session=session)
    repo.extend_family(ctx.db, family, expires_at=expires, session=session)
    return TokenPair(access_token=token, refresh_token=refresh_secret,
                     expires_in=ctx.settings.access_token_minutes * 60)


def _access_token(ctx: AuthContext, user: dict[str, Any],
                  family: str) -> tuple[str, str, datetime]:
    token, jti, expires = issue_access_token(ctx.jwt_key, user_id=user["_id"], email=user["email"],
                                             role=user["role"],
                                             minutes=ctx.settings.access_token_minutes,
                                             family=family)
    return token, jti, expires.replace(microsecond=0)  # the whole second of the "exp" claim


def _lock_if_spent(ctx: AuthContext, user_id: str) -> datetime | None:
    lock = repo.lock_if_spent(ctx.db, user_id, max_failures=ctx.settings.login_max_failures,
                              lockout=timedelta(minutes=ctx.settings.lockout_minutes))
    if lock is not None:
        audit.record(ctx.db, actor="anonymous", action="auth.account_locked",
                     target=user_id, ip=ctx.ip, request_id=ctx.request_id,
                     details={"locked_until": lock.isoformat()})
    return lock


def _refuse_locked(ctx: AuthContext, user_id: str) -> ApiError:
    """The 403 for an account with no attempt left: locked, or its last attempts are being
    checked right now (then it is locked here, as those attempts count as failures)."""
    _lock_if_spent(ctx, user_id)
    current = repo.find_user(ctx.db, user_id) or {}
    until = current.get("locked_until")
    if until is None or until <= datetime.now(timezone.utc):
        until = datetime.now(timezone.utc) + timedelta(minutes=ctx.settings.lockout_minutes)
    return _locked(until)


def login(ctx: AuthContext, *, email: str, password: str) -> TokenPair:
    """Check the credentials and start a session; 401/403/429 as the contract says.

    Lockout: an attempt is counted (``reserve_login_attempt``) before its password is
    checked, so concurrent guesses cannot outrun the lock: at most ``login_max_failures``
    bcrypt checks per lock period. A wrong password keeps its count (the one reaching the
    limit locks); the right one resets it, unless the account was locked meanwhile."""
    address = email.strip().lower()
    ctx.limit("login", account=address)
    rounds = ctx.settings.bcrypt_rounds
    user = repo.find_user_by_email(ctx.db, address)
    if user is None:
        # A bcrypt check of the configured cost anyway: no timing oracle for unknown accounts.
        verify_password(password, None, rounds=rounds)
        raise _invalid_credentials()
    if not repo.reserve_login_attempt(ctx.db, user, max_failures=ctx.settings.login_max_failures):
        raise _refuse_locked(ctx, user["_id"])  # even with the right password: that is a lock
    if not verify_password(password, user.get("password_hash"), rounds=rounds):
        _lock_if_spent(ctx, user["_id"])
        raise _invalid_credentials()
    active = user.get("active", True)
    unverified = user["role"] == Role.CUSTOMER.value and not user.get("verified", False)
    if not repo.record_right_password(ctx.db, user["_id"], logged_in=active and not unverified):
        raise _refuse_locked(ctx, user["_id"])  # locked while this password was checked
    if not active:
        raise _invalid_credentials()  # the same answer: a deactivated account is no account
    if unverified:
        raise ApiError(403, "email_not_verified",
                       "confirm your e-mail address first: open the link in the mail we sent")
    now = datetime.now(timezone.utc)
    family, refresh_secret = new_secret(16), new_secret()
    access = _access_token(ctx, user, family)

    def start(session: ClientSession) -> TokenPair:
        repo.insert_family(ctx.db, family=family, user_id=user["_id"],
                           expires_at=now + timedelta(days=ctx.settings.refresh_token_days),
                           session=session)
        return _issue_pair(ctx, user, family, session=session, refresh_secret=refresh_secret,
                           access=access)

    return ctx.transaction(start)


def refresh(ctx: AuthContext, *, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; a reused token revokes its whole family."""
    ctx.limit("refresh")
    old_digest = digest(refresh_token)
    token = repo.find_refresh_token(ctx.db, old_digest)
    now = datetime.now(timezone.utc)
    if token is None or token["expires_at"] <= now:
        raise _invalid_refresh("invalid_refresh_token",
                               "the refresh token is not valid or has expired: log in again")
    ctx.limit("refresh", account=token["user_id"], per_ip=False)
    family = repo.find_family(ctx.db, token["family"])
    if family is None or family.get("revoked"):
        raise _revoked()
    user = repo.find_user(ctx.db, token["user_id"])
    if user is None or not user.get("active", True):
        raise _invalid_refresh("invalid_refresh_token",
                               "the account no longer exists or is deactivated")
    refresh_secret, access = new_secret(), _access_token(ctx, user, token["family"])
    new_digest = digest(refresh_secret)

    def rotate(session: ClientSession) -> TokenPair | None:
        # Again inside the transaction: the family may have been revoked (logout, password
        # reset) since the check above. _issue_pair writes the family document in this same
        # transaction, so a revocation running concurrently conflicts with it and one of the
        # two goes first: a rotation can never outlive the revocation of its family.
        current = repo.find_family(ctx.db, token["family"], session=session)
        if current is None or current.get("revoked"):
            raise _revoked()
        if not repo.mark_refresh_used(ctx.db, old_digest, replaced_by=new_digest,
                                      session=session):
            return None  # used before: reuse (revoked below, outside this transaction)
        return _issue_pair(ctx, user, token["family"], session=session,
                           refresh_secret=refresh_secret, access=access)

    pair = ctx.transaction(rotate)
    if pair is None:
        repo.revoke_family(ctx.db, token["family"], reason="refresh token reused")
        audit.record(ctx.db, actor="anonymous", action="auth.refresh_token_reused",
                     target=user["_id"], ip=ctx.ip, request_id=ctx.request_id,
                     details={"family": token["family"]})
        raise _invalid_refresh("refresh_token_reused",
                               "this refresh token was already used: every session it "
                               "belongs to has been ended; log in again")
    return pair


def logout(ctx: AuthContext, principal: Principal, *, refresh_token: str | None) -> None:
    """Revoke the caller's access token and, when given, the family of its refresh token."""
    if principal.kind != "user" or not principal.token_id or principal.token_expires is None:
        raise ApiError(400, "bad_request", "logout ends a person's session: it needs the "
                                           "access token from /auth/login")
    if refresh_token:
        token = repo.find_refresh_token(ctx.db, digest(refresh_token))
        # Someone else's refresh token is ignored: a caller ends only their own sessions.
        if token is not None and token["user_id"] == principal.id:
            repo.revoke_family(ctx.db, token["family"], reason="logout")
    repo.revoke_access(ctx.db, principal.token_id,
                       datetime.fromtimestamp(principal.token_expires, timezone.utc))


def me(ctx: AuthContext, principal: Principal) -> dict[str, Any]:
    """The caller's account document."""
    user = repo.find_user(ctx.db, principal.id) if principal.kind == "user" else None
    if user is None:
        raise ApiError(404, "not_found", "this credential does not belong to a person's account")
    return user

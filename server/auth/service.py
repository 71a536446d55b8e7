"""Account flows that go through the customer's mailbox: self-registration with e-mail
verification, and password reset. Tokens are single use and stored only as their sha256
digest, with a TTL; the mail is queued in the outbox in the same transaction as its token.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pymongo.client_session import ClientSession

from app.domain.permissions import Role
from server import audit
from server.auth import messages
from server.auth import repository as repo
from server.auth.context import AuthContext
from server.errors import ApiError
from server.mail.outbox import enqueue
from server.security.passwords import hash_password
from server.security.tokens import digest, new_secret
from server.users.service import check_password, create_user, normalise_email

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"
VERIFY_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)


def _send_token_mail(ctx: AuthContext, user: dict[str, Any], *, kind: str, ttl: timedelta,
                     subject: str, text: str, token: str) -> None:
    """Store the token's digest and queue its mail, together or not at all."""
    mail_id = str(uuid.uuid4())  # made outside: a re-run of the callback queues the same mail

    def write(session: ClientSession) -> None:
        repo.insert_email_token(ctx.db, token_digest=digest(token), kind=kind, user=user,
                                ttl=ttl, session=session)
        enqueue(ctx.db, to=user["email"], subject=subject, text=text, kind=kind,
                session=session, mail_id=mail_id, sensitive=True)

    ctx.transaction(write)


def register(ctx: AuthContext, *, email: str, password: str, name: str) -> dict[str, Any]:
    """Create an unverified customer and mail them a verification link; 409 if taken."""
    ctx.limit("register")
    address = normalise_email(email)
    ctx.limit("register", account=address, per_ip=False)
    # The account (with its audit entry) and the verification token are two transactions: a
    # retried commit must not turn a created account into a 409. A crash between them leaves
    # an unverified account whose owner can still get in through password reset.
    user = create_user(ctx.db, email=address, role=Role.CUSTOMER.value, password=password,
                       name=name, verified=False, actor="anonymous", ip=ctx.ip,
                       rounds=ctx.settings.bcrypt_rounds, request_id=ctx.request_id)
    token = new_secret()
    subject, text = messages.verification_mail(
        name=user.get("name", ""), public_url=ctx.settings.public_url, token=token,
        hours=int(VERIFY_TTL.total_seconds() // 3600))
    _send_token_mail(ctx, user, kind=VERIFY_EMAIL, ttl=VERIFY_TTL, subject=subject, text=text,
                     token=token)
    return user


def _invalid_token(what: str) -> ApiError:
    return ApiError(400, "invalid_token",
                    f"the {what} link is not valid: it was already used, has expired or was "
                    f"mistyped", {"field": "token"})


def _spend_token(ctx: AuthContext, session: ClientSession, *, token: str, kind: str, what: str,
                 attempt: str, need_active: bool) -> dict[str, Any] | None:
    """The account an emailed token belongs to, spending the token; ``None`` when this very
    request already spent it (a transaction re-run). Invalid, used or stale: a 400."""
    found, replayed = repo.consume_email_token(ctx.db, token_digest=digest(token), kind=kind,
                                               attempt=attempt, session=session)
    if found is None:
        raise _invalid_token(what)
    if replayed:
        return None
    user = repo.find_user(ctx.db, found["user_id"], session=session)
    # The account went, or changed its address since the mail was sent.
    if user is None or user["email"] != found["email"] or (need_active and not user.get("active", True)):
        raise _invalid_token(what)
    return user


def verify_email(ctx: AuthContext, *, token: str) -> None:
    """Mark the account verified; the token works once."""
    ctx.limit("verify")
    attempt = uuid.uuid4().hex

    def verify(session: ClientSession) -> None:
        user = _spend_token(ctx, session, token=token, kind=VERIFY_EMAIL, what="verification",
                            attempt=attempt, need_active=False)
        if user is not None:
            repo.mark_verified(ctx.db, user["_id"], session=session)

    ctx.transaction(verify)


def request_password_reset(ctx: AuthContext, *, email: str) -> None:
    """Mail a reset link if the account exists; the caller answers the same either way."""
    address = email.strip().lower()
    ctx.limit("password_reset", account=address)
    user = repo.find_user_by_email(ctx.db, address)
    if user is None or not user.get("active", True):
        return
    token = new_secret()
    subject, text = messages.password_reset_mail(
        name=user.get("name", ""), public_url=ctx.settings.public_url, token=token,
        minutes=int(RESET_TTL.total_seconds() // 60))
    _send_token_mail(ctx, user, kind=PASSWORD_RESET, ttl=RESET_TTL, subject=subject, text=text,
                     token=token)
    audit.record(ctx.db, actor="anonymous", action="auth.password_reset_requested",
                 target=user["_id"], ip=ctx.ip, request_id=ctx.request_id)


def confirm_password_reset(ctx: AuthContext, *, token: str, password: str) -> None:
    """Set the new password, end every session of the account and clear its lockout."""
    ctx.limit("password_reset_confirm")
    check_password(password)  # before the token is spent: a weak password must not burn it
    password_hash = hash_password(password, rounds=ctx.settings.bcrypt_rounds)  # slow: outside
    attempt = uuid.uuid4().hex

    def reset(session: ClientSession) -> None:
        user = _spend_token(ctx, session, token=token, kind=PASSWORD_RESET, what="password reset",
                            attempt=attempt, need_active=True)
        if user is None:
            return
        repo.set_password(ctx.db, user["_id"], password_hash, session=session)
        # Any other reset link of the account (an older mail) stops working with this one.
        repo.spend_user_email_tokens(ctx.db, user["_id"], kind=PASSWORD_RESET, attempt=attempt,
                                     session=session)
        ended = repo.revoke_user_families(ctx.db, user["_id"], reason="password reset",
                                          session=session)
        audit.record(ctx.db, actor=f"user:{user['_id']}", action="auth.password_reset",
                     target=user["_id"], ip=ctx.ip, request_id=ctx.request_id,
                     details={"sessions_ended": ended}, session=session)

    ctx.transaction(reset)

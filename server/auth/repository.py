"""MongoDB access for authentication: users' login state, single-use e-mail tokens, refresh
tokens, their families and revoked access tokens. Every function takes the caller's session
(``session=``) and never commits; every write is safe to repeat (a retried transaction may
re-run its callback). Lookups are by ``_id`` or an indexed field: no ``$or``, no scans.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

Session = ClientSession | None
Doc = dict[str, Any]


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- users ---------------------------------------------------------------------------------

def find_user_by_email(db: Database, email: str, *, session: Session = None) -> Doc | None:
    return db.users.find_one({"email": email}, session=session)


def find_user(db: Database, user_id: str, *, session: Session = None) -> Doc | None:
    return db.users.find_one({"_id": user_id}, session=session)


def reserve_login_attempt(db: Database, user: Doc, *, max_failures: int) -> bool:
    """Count a login attempt *before* its password is checked, atomically: only while the
    account is not locked and fewer than ``max_failures`` attempts are counted. So however
    many guesses arrive at once, at most ``max_failures`` of them reach bcrypt. False: no
    attempt is left (the caller answers "locked"). The count stays when the password is wrong
    and is reset by the right one (``record_right_password``)."""
    now = _now()
    locked_until = user.get("locked_until")
    if locked_until is not None and locked_until <= now:
        # The lock is over: clear it (conditionally: of several workers, one does it).
        db.users.update_one({"_id": user["_id"], "locked_until": locked_until},
                            {"$set": {"locked_until": None, "failed_logins": 0}})
    if user.get("failed_logins") is None:  # an account written before the counter existed
        db.users.update_one({"_id": user["_id"], "failed_logins": None},
                            {"$set": {"failed_logins": 0}})
    result = db.users.update_one(
        {"_id": user["_id"], "locked_until": None, "failed_logins": {"$lt": max_failures}},
        {"$inc": {"failed_logins": 1}})
    return result.modified_count == 1


def lock_if_spent(db: Database, user_id: str, *, max_failures: int,
                  lockout: timedelta) -> datetime | None:
    """Lock the account when ``max_failures`` attempts are counted (all wrong, or still being
    checked); returns until when, or ``None`` when this call did not lock it. Conditional, so
    of several concurrent callers exactly one locks and resets the count."""
    locked_until = _now() + lockout
    result = db.users.update_one(
        {"_id": user_id, "locked_until": None, "failed_logins": {"$gte": max_failures}},
        {"$set": {"failed_logins": 0, "locked_until": locked_until}})
    return locked_until if result.modified_count == 1 else None


def record_right_password(db: Database, user_id: str, *, logged_in: bool) -> bool:
    """The password was right: forgive the counted attempts — unless the account got locked
    while it was being checked (False: the caller refuses the login). ``logged_in`` also
    records the login time."""
    update: Doc = {"failed_logins": 0}
    if logged_in:
        update["last_login_at"] = _now()
    result = db.users.update_one({"_id": user_id, "locked_until": None}, {"$set": update})
    return result.matched_count == 1


def mark_verified(db: Database, user_id: str, *, session: Session) -> None:
    db.users.update_one({"_id": user_id}, {"$set": {"verified": True, "updated_at": _now()},
                                           "$inc": {"version": 1}}, session=session)


def set_password(db: Database, user_id: str, password_hash: str, *, session: Session) -> None:
    """New password; clears the lockout and marks the address verified (the reset mail
    reached it)."""
    db.users.update_one({"_id": user_id},
                        {"$set": {"password_hash": password_hash, "failed_logins": 0,
                                  "locked_until": None, "verified": True, "updated_at": _now()},
                         "$inc": {"version": 1}}, session=session)


# -- single-use e-mail tokens --------------------------------------------------------------

def insert_email_token(db: Database, *, token_digest: str, kind: str, user: Doc,
                       ttl: timedelta, session: Session) -> None:
    now = _now()
    db.email_tokens.update_one(
        {"_id": token_digest},
        {"$setOnInsert": {"kind": kind, "user_id": user["_id"], "email": user["email"],
                          "created_at": now, "expires_at": now + ttl, "used_at": None}},
        upsert=True, session=session)


def consume_email_token(db: Database, *, token_digest: str, kind: str, attempt: str,
                        session: Session) -> tuple[Doc | None, bool]:
    """Use the token once. Returns ``(token, replayed)``: ``(None, False)`` when it is unknown,
    expired or already used; ``replayed`` is true when *this* attempt already used it (a
    transaction callback run a second time after its commit went through)."""
    now = _now()
    # expires_at is checked here too: the TTL monitor deletes expired documents only lazily.
    result = db.email_tokens.update_one(
        {"_id": token_digest, "kind": kind, "used_at": None, "expires_at": {"$gt": now}},
        {"$set": {"used_at": now, "used_by": attempt}}, session=session)
    token = db.email_tokens.find_one({"_id": token_digest}, session=session)
    if token is None or token.get("kind") != kind:
        return None, False
    if result.modified_count == 1:
        return token, False
    if token.get("used_by") == attempt:
        return token, True
    return None, False


# -- refresh tokens and their families -----------------------------------------------------

def insert_family(db: Database, *, family: str, user_id: str, expires_at: datetime,
                  session: Session) -> None:
    db.token_families.update_one(
        {"_id": family},
        {"$setOnInsert": {"user_id": user_id, "revoked": False, "created_at": _now()},
         "$max": {"expires_at": expires_at}},
        upsert=True, session=session)


def extend_family(db: Database, family: str, *, expires_at: datetime, session: Session) -> None:
    """Keep the family as long as its newest refresh token (sliding expiry). It always writes
    the document (``rotated_at``): in a rotation's transaction, that write conflicts with a
    concurrent ``revoke_family``, so the two serialise instead of both succeeding."""
    db.token_families.update_one({"_id": family}, {"$max": {"expires_at": expires_at},
                                                   "$set": {"rotated_at": _now()}},
                                 session=session)


def insert_refresh_token(db: Database, *, token_digest: str, family: str, user_id: str,
                         expires_at: datetime, access_jti: str, access_expires_at: datetime,
                         session: Session) -> None:
    """Store a refresh token (by digest) with the access token issued beside it, so that
    revoking the family can revoke that access token too."""
    db.refresh_tokens.update_one(
        {"_id": token_digest},
        {"$setOnInsert": {"family": family, "user_id": user_id, "expires_at": expires_at,
                          "used_at": None, "created_at": _now(), "access_jti": access_jti,
                          "access_expires_at": access_expires_at}},
        upsert=True, session=session)


def find_refresh_token(db: Database, token_digest: str) -> Doc | None:
    return db.refresh_tokens.find_one({"_id": token_digest})


def find_family(db: Database, family: str, *, session: Session = None) -> Doc | None:
    return db.token_families.find_one({"_id": family}, session=session)


def mark_refresh_used(db: Database, token_digest: str, *, replaced_by: str,
                      session: Session) -> bool:
    """Atomically mark the token used (only if it was not): of two concurrent refreshes with
    the same token exactly one wins. True for the winner, and for a re-run of the winner."""
    result = db.refresh_tokens.update_one({"_id": token_digest, "used_at": None},
                                          {"$set": {"used_at": _now(), "replaced_by": replaced_by}},
                                          session=session)
    if result.modified_count == 1:
        return True
    token = db.refresh_tokens.find_one({"_id": token_digest}, {"replaced_by": 1}, session=session)
    return token is not None and token.get("replaced_by") == replaced_by


def revoke_access(db: Database, jti: str, expires_at: datetime, *, session: Session = None) -> None:
    """Refuse this access token from now on (``server.security.deps`` checks the list) until it
    would have expired anyway."""
    db.revoked_access.update_one({"_id": jti}, {"$setOnInsert": {"expires_at": expires_at}},
                                 upsert=True, session=session)


def revoke_family(db: Database, family: str, *, reason: str, session: Session = None) -> None:
    """Every refresh token of the family stops working, and so do the access tokens issued
    with them that have not expired yet."""
    now = _now()
    db.token_families.update_one({"_id": family, "revoked": False},
                                 {"$set": {"revoked": True, "revoked_at": now,
                                           "revoked_reason": reason}}, session=session)
    for token in db.refresh_tokens.find({"family": family},
                                        {"access_jti": 1, "access_expires_at": 1}, session=session):
        expires = token.get("access_expires_at")
        if token.get("access_jti") and expires is not None and expires > now:
            revoke_access(db, token["access_jti"], expires, session=session)


def spend_user_email_tokens(db: Database, user_id: str, *, kind: str, attempt: str,
                            session: Session) -> None:
    """Mark every outstanding token of ``kind`` of the user used (a successful password reset
    makes the other reset links of the account worthless)."""
    db.email_tokens.update_many({"user_id": user_id, "kind": kind, "used_at": None},
                                {"$set": {"used_at": _now(), "used_by": f"superseded:{attempt}"}},
                                session=session)


def revoke_user_families(db: Database, user_id: str, *, reason: str, session: Session) -> int:
    """Revoke every live family of a user (password reset); returns how many."""
    families = [f["_id"] for f in db.token_families.find({"user_id": user_id, "revoked": False},
                                                         {"_id": 1}, session=session)]
    for family in families:
        revoke_family(db, family, reason=reason, session=session)
    return len(families)

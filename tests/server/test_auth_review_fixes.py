"""Regression tests for the auth review: a refresh racing a revocation, concurrent login
guesses against the lockout, the cost of the dummy bcrypt hash, and older reset links."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import bcrypt
import jwt
import pytest

from server.auth import repository as repo
from server.auth import sessions
from server.auth.context import AuthContext
from server.auth.schemas import TokenPair
from server.errors import ApiError
from server.security import passwords
from tests.server.test_auth_helpers import (NEW_PASSWORD, PASSWORD, bearer, login, queued_token,
                                            staff, tokens_for)


def _family_of(db, user_id: str) -> str:
    return db.refresh_tokens.find_one({"user_id": user_id})["family"]


# -- 1. a refresh in flight must not outlive logout / password reset ----------------------

def test_a_refresh_racing_a_logout_gives_no_live_access_token(client, mongo, monkeypatch):
    pair = tokens_for(client, mongo.db, "race@example.com")
    user = mongo.db.users.find_one({"email": "race@example.com"})
    family = _family_of(mongo.db, user["_id"])
    original = AuthContext.transaction
    fired = []

    def revoke_first(self, work):
        # The refresh has checked the family already; the logout lands now, just before the
        # rotation's transaction starts.
        if not fired:
            fired.append(True)
            repo.revoke_family(self.db, family, reason="logout")
        return original(self, work)

    monkeypatch.setattr(AuthContext, "transaction", revoke_first)
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    monkeypatch.setattr(AuthContext, "transaction", original)
    assert fired
    if response.status_code == 200:  # whatever the refresh answered, its token must be dead
        me = client.get("/api/v1/auth/me", headers=bearer(response.json()["access_token"]))
        assert me.status_code == 401, "the refresh outlived the logout"
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "refresh_token_revoked"
    assert mongo.db.refresh_tokens.count_documents({"family": family}) == 1  # nothing new


def test_an_access_token_of_a_revoked_family_is_refused(client, mongo, settings):
    pair = tokens_for(client, mongo.db, "fam@example.com")
    user = mongo.db.users.find_one({"email": "fam@example.com"})
    family = _family_of(mongo.db, user["_id"])
    assert client.get("/api/v1/auth/me", headers=bearer(pair["access_token"])).status_code == 200
    # The family is revoked but its access token was missed (issued by a rotation that
    # committed after revoke_family listed the tokens): the fam claim still refuses it.
    mongo.db.token_families.update_one({"_id": family}, {"$set": {"revoked": True}})
    assert mongo.db.revoked_access.count_documents({}) == 0
    me = client.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 401
    claims = jwt.decode(pair["access_token"], settings.jwt_secret, algorithms=["HS256"],
                        issuer="tillpoint")
    assert claims["fam"] == family


def test_a_refreshed_access_token_carries_its_family(client, mongo, settings):
    pair = tokens_for(client, mongo.db, "rot@example.com")
    user = mongo.db.users.find_one({"email": "rot@example.com"})
    family = _family_of(mongo.db, user["_id"])
    new = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert new.status_code == 200
    claims = jwt.decode(new.json()["access_token"], settings.jwt_secret, algorithms=["HS256"],
                        issuer="tillpoint")
    assert claims["fam"] == family
    assert client.post("/api/v1/auth/logout", json={"refresh_token": new.json()["refresh_token"]},
                       headers=bearer(new.json()["access_token"])).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(pair["access_token"])).status_code == 401


# -- 2. concurrent guesses cannot outrun the lockout --------------------------------------

def test_parallel_guesses_get_at_most_the_allowed_password_checks(mongo, settings, monkeypatch):
    settings = replace(settings, auth_rate_per_minute_ip=1000, auth_rate_per_minute_account=1000)
    ctx = AuthContext(mongo=mongo, settings=settings, jwt_key=settings.jwt_secret, ip="10.0.0.9")
    staff(mongo.db, "par@example.com")
    real_verify = sessions.verify_password
    release = threading.Event()
    guard = threading.Lock()
    reached: list[str] = []

    def slow_verify(password, hashed, **kwargs):
        with guard:
            reached.append(password)
        if password != PASSWORD:
            release.wait(20)  # wrong guesses stay "in bcrypt" until the right one has tried
        return real_verify(password, hashed, **kwargs)

    monkeypatch.setattr(sessions, "verify_password", slow_verify)
    outcomes: list[object] = []

    def guess(i: int) -> None:
        try:
            outcomes.append(sessions.login(ctx, email="par@example.com",
                                           password=f"wrong password {i}"))
        except ApiError as error:
            outcomes.append(error.code)

    wrong = [threading.Thread(target=guess, args=(i,)) for i in range(19)]
    for thread in wrong:
        thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # every guess is in bcrypt or already answered
        with guard:
            settled = len(reached) + len(outcomes)
        if settled >= 19:
            break
        time.sleep(0.01)
    try:
        with pytest.raises(ApiError) as refused:
            sessions.login(ctx, email="par@example.com", password=PASSWORD)
    finally:
        release.set()
        for thread in wrong:
            thread.join(30)
    assert refused.value.status == 403 and refused.value.code == "account_locked"
    assert len(reached) <= settings.login_max_failures
    assert not any(isinstance(outcome, TokenPair) for outcome in outcomes)
    assert outcomes.count("invalid_credentials") <= settings.login_max_failures
    assert outcomes.count("account_locked") >= 19 - settings.login_max_failures
    user = mongo.db.users.find_one({"email": "par@example.com"})
    assert user["locked_until"] is not None


def test_the_right_password_among_the_budget_still_logs_in(client, mongo, settings):
    staff(mongo.db, "bud@example.com")
    for _ in range(settings.login_max_failures - 1):
        assert login(client, "bud@example.com", "wrong password!").status_code == 401
    assert login(client, "bud@example.com").status_code == 200
    user = mongo.db.users.find_one({"email": "bud@example.com"})
    assert user["failed_logins"] == 0 and user["locked_until"] is None


# -- 3. unknown accounts cost as much as known ones ---------------------------------------

def test_the_dummy_hash_has_the_configured_cost(mongo, settings, monkeypatch):
    checked: list[bytes] = []
    real_checkpw = bcrypt.checkpw

    def spy(password, hashed):
        checked.append(hashed)
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    assert passwords.verify_password("whatever", None) is False
    assert checked[-1].startswith(b"$2b$12$")  # the default cost
    # The login of an unknown account spends a check of the configured cost.
    settings = replace(settings, bcrypt_rounds=6)
    ctx = AuthContext(mongo=mongo, settings=settings, jwt_key=settings.jwt_secret, ip="10.0.0.8")
    with pytest.raises(ApiError) as error:
        sessions.login(ctx, email="nobody@example.com", password=PASSWORD)
    assert error.value.code == "invalid_credentials"
    assert checked[-1].startswith(b"$2b$06$")


# -- 4. a reset ends the other reset links --------------------------------------------------

def test_a_successful_reset_spends_the_older_reset_links(client, mongo):
    staff(mongo.db, "old@example.com")
    ask = {"email": "old@example.com"}
    assert client.post("/api/v1/auth/password-reset", json=ask).status_code == 202
    older = queued_token(mongo.db, "old@example.com", "password_reset")
    time.sleep(0.01)  # queued_token picks the newest mail by created_at
    assert client.post("/api/v1/auth/password-reset", json=ask).status_code == 202
    newer = queued_token(mongo.db, "old@example.com", "password_reset")
    assert older != newer
    done = client.post("/api/v1/auth/password-reset/confirm",
                       json={"token": newer, "password": NEW_PASSWORD})
    assert done.status_code == 204
    stale = client.post("/api/v1/auth/password-reset/confirm",
                        json={"token": older, "password": "an attacker's password"})
    assert stale.status_code == 400 and stale.json()["error"]["code"] == "invalid_token"
    assert login(client, "old@example.com", NEW_PASSWORD).status_code == 200
    assert mongo.db.email_tokens.count_documents({"kind": "password_reset",
                                                  "used_at": None}) == 0

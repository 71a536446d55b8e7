"""Refresh-token rotation, reuse detection and logout, in-process over the real database."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import jwt

from server.auth import sessions
from server.auth.context import AuthContext
from server.database import Mongo
from server.errors import ApiError
from server.security.tokens import digest
from tests.server.test_auth_helpers import bearer, login, staff, tokens_for


def refresh(client, token: str):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def me(client, access: str) -> int:
    return client.get("/api/v1/auth/me", headers=bearer(access)).status_code


def test_refresh_rotates_the_pair_and_uses_up_the_old_token(client, mongo):
    first = tokens_for(client, mongo.db, "ann@example.com")
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert pair["access_token"] != first["access_token"] and pair["token_type"] == "bearer"
    old = mongo.db.refresh_tokens.find_one({"_id": digest(first["refresh_token"])})
    new = mongo.db.refresh_tokens.find_one({"_id": digest(pair["refresh_token"])})
    assert old["used_at"] is not None and old["replaced_by"] == new["_id"]
    assert new["family"] == old["family"] and new["used_at"] is None
    assert me(client, pair["access_token"]) == 200
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_a_reused_refresh_token_ends_the_whole_family(client, mongo):
    first = tokens_for(client, mongo.db, "ben@example.com")
    second = refresh(client, first["refresh_token"]).json()
    third = refresh(client, second["refresh_token"]).json()
    reused = refresh(client, first["refresh_token"])  # a thief (or the victim) replays it
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "refresh_token_reused"
    # Every refresh token of the family stops working, and so do its access tokens.
    newest = refresh(client, third["refresh_token"])
    assert newest.status_code == 401 and newest.json()["error"]["code"] == "refresh_token_revoked"
    for pair in (first, second, third):
        assert me(client, pair["access_token"]) == 401
    assert mongo.db.audit_log.find_one({"action": "auth.refresh_token_reused"})


def test_reuse_in_one_family_leaves_the_users_other_sessions_alone(client, mongo):
    phone = tokens_for(client, mongo.db, "cat@example.com")
    laptop = login(client, "cat@example.com").json()
    refresh(client, phone["refresh_token"])
    assert refresh(client, phone["refresh_token"]).status_code == 401
    assert refresh(client, laptop["refresh_token"]).status_code == 200


def test_two_concurrent_refreshes_with_one_token_cannot_both_succeed(client, mongo, settings):
    pair = tokens_for(client, mongo.db, "dan@example.com")
    connection = Mongo.open(settings.mongodb_uri, settings.database)
    context = AuthContext(mongo=connection, settings=settings, jwt_key=settings.jwt_secret,
                          ip="10.0.0.1")
    start, results = threading.Barrier(6), []

    def attempt() -> None:
        start.wait()
        try:
            sessions.refresh(context, refresh_token=pair["refresh_token"])
            results.append("ok")
        except ApiError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.close()
    assert results.count("ok") == 1, results
    assert set(results) <= {"ok", "refresh_token_reused", "refresh_token_revoked"}
    issued = list(mongo.db.refresh_tokens.find({"user_id": {"$exists": True}}, {"used_at": 1}))
    assert len(issued) == 1 + results.count("ok")


def test_unknown_expired_and_deactivated_refresh_tokens_are_refused(client, mongo):
    assert refresh(client, "A" * 43).json()["error"]["code"] == "invalid_refresh_token"
    pair = tokens_for(client, mongo.db, "eve@example.com")
    mongo.db.refresh_tokens.update_one({"_id": digest(pair["refresh_token"])}, {"$set": {
        "expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    expired = refresh(client, pair["refresh_token"])
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "invalid_refresh_token"
    other = login(client, "eve@example.com").json()
    mongo.db.users.update_one({"email": "eve@example.com"}, {"$set": {"active": False}})
    assert refresh(client, other["refresh_token"]).status_code == 401


def test_logout_revokes_the_access_token_and_the_refresh_family(client, mongo, settings):
    pair = tokens_for(client, mongo.db, "fay@example.com")
    out = client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]},
                      headers=bearer(pair["access_token"]))
    assert out.status_code == 204
    assert me(client, pair["access_token"]) == 401
    after = refresh(client, pair["refresh_token"])
    assert after.status_code == 401 and after.json()["error"]["code"] == "refresh_token_revoked"
    claims = jwt.decode(pair["access_token"], settings.jwt_secret, algorithms=["HS256"],
                        issuer="tillpoint")
    revoked = mongo.db.revoked_access.find_one({"_id": claims["jti"]})
    assert revoked["expires_at"] == datetime.fromtimestamp(claims["exp"], timezone.utc)


def test_logout_without_a_refresh_token_ends_only_the_access_token(client, mongo):
    pair = tokens_for(client, mongo.db, "gil@example.com")
    out = client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert out.status_code == 204
    assert me(client, pair["access_token"]) == 401
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_logout_never_ends_someone_elses_session(client, mongo):
    mine = tokens_for(client, mongo.db, "hal@example.com")
    theirs = tokens_for(client, mongo.db, "ivy@example.com")
    client.post("/api/v1/auth/logout", json={"refresh_token": theirs["refresh_token"]},
                headers=bearer(mine["access_token"]))
    assert refresh(client, theirs["refresh_token"]).status_code == 200


def test_logout_needs_a_valid_access_token(client, mongo):
    anonymous = client.post("/api/v1/auth/logout")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    staff(mongo.db, "jon@example.com")
    pair = login(client, "jon@example.com").json()
    client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    again = client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert again.status_code == 401

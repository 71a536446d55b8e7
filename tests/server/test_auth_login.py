"""Login: the token pair, no user enumeration, lockout kept in the user document."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt

from tests.server.test_auth_helpers import (PASSWORD, app_client, bearer, login, staff,
                                            tokens_for, verified_customer)


def test_login_returns_a_bearer_pair_with_the_original_designs_claims(client, mongo, settings):
    user = verified_customer(client, mongo.db, "ann@example.com")
    response = login(client, "ANN@example.com")
    assert response.status_code == 200
    pair = response.json()
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 24 * 3600
    claims = jwt.decode(pair["access_token"], settings.jwt_secret, algorithms=["HS256"],
                        issuer="tillpoint")
    assert claims["userId"] == user["id"] and claims["email"] == "ann@example.com"
    assert claims["role"] == "customer" and claims["exp"] - claims["iat"] == 24 * 3600
    stored = mongo.db.refresh_tokens.find_one({"user_id": user["id"]})
    assert pair["refresh_token"] not in str(stored)  # stored hashed only
    assert stored["used_at"] is None
    family = mongo.db.token_families.find_one({"_id": stored["family"]})
    assert family["revoked"] is False and family["user_id"] == user["id"]
    lifetime = stored["expires_at"] - stored["created_at"]
    assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)


def test_wrong_password_and_unknown_email_get_the_same_answer(client, mongo):
    verified_customer(client, mongo.db, "ben@example.com")
    wrong = login(client, "ben@example.com", "not the password")
    unknown = login(client, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_a_deactivated_account_cannot_log_in_and_gets_the_generic_answer(client, mongo):
    staff(mongo.db, "gone@example.com")
    mongo.db.users.update_one({"email": "gone@example.com"}, {"$set": {"active": False}})
    response = login(client, "gone@example.com")
    assert response.status_code == 401
    assert response.json() == login(client, "nobody@example.com").json()


def test_five_failures_lock_the_account_even_against_the_right_password(client, mongo, settings):
    staff(mongo.db, "cat@example.com")
    for _ in range(settings.login_max_failures):
        assert login(client, "cat@example.com", "wrong password!").status_code == 401
    locked = login(client, "cat@example.com")
    assert locked.status_code == 403
    error = locked.json()["error"]
    assert error["code"] == "account_locked" and "until" in error["message"]
    until = datetime.fromisoformat(error["details"]["locked_until"])
    expected = datetime.now(timezone.utc) + timedelta(minutes=settings.lockout_minutes)
    assert abs((until - expected).total_seconds()) < 10
    assert 0 < int(locked.headers["retry-after"]) <= settings.lockout_minutes * 60 + 1
    user = mongo.db.users.find_one({"email": "cat@example.com"})
    assert user["locked_until"] is not None
    assert mongo.db.audit_log.find_one({"action": "auth.account_locked", "target": user["_id"]})


def test_the_lock_ends_after_its_time_and_a_success_resets_the_count(client, mongo, settings):
    staff(mongo.db, "dan@example.com")
    for _ in range(settings.login_max_failures):
        login(client, "dan@example.com", "wrong password!")
    mongo.db.users.update_one({"email": "dan@example.com"}, {"$set": {
        "locked_until": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    assert login(client, "dan@example.com").status_code == 200
    user = mongo.db.users.find_one({"email": "dan@example.com"})
    assert user["failed_logins"] == 0 and user["locked_until"] is None


def test_failures_below_the_limit_are_forgiven_by_a_success(client, mongo, settings):
    staff(mongo.db, "eli@example.com")
    for _ in range(2):
        for _ in range(settings.login_max_failures - 1):
            assert login(client, "eli@example.com", "wrong password!").status_code == 401
        assert login(client, "eli@example.com").status_code == 200


def test_the_lock_is_shared_by_every_app_instance(settings, mongo):
    """Two app instances (as two workers) on one database: the lock is in the database."""
    staff(mongo.db, "fox@example.com")
    with app_client(settings) as first, app_client(settings) as second:
        for attempt in range(settings.login_max_failures):
            worker = first if attempt % 2 else second
            assert login(worker, "fox@example.com", "wrong password!").status_code == 401
        assert login(first, "fox@example.com").status_code == 403
        assert login(second, "fox@example.com").status_code == 403


def test_login_accepts_a_short_cart_id_and_refuses_anything_else(client, mongo):
    staff(mongo.db, "gus@example.com")
    ok = client.post("/api/v1/auth/login", json={"email": "gus@example.com", "password": PASSWORD,
                                                 "cart_id": "c0ffee-42"})
    assert ok.status_code == 200
    for bad in ("x" * 65, 42, {"$ne": None}, "has space"):
        response = client.post("/api/v1/auth/login", json={
            "email": "gus@example.com", "password": PASSWORD, "cart_id": bad})
        assert response.status_code == 422, bad


def test_every_staff_role_and_customers_can_read_their_own_account(client, mongo):
    for role in ("owner", "manager", "moderator", "support", "cashier", "stock_clerk"):
        staff(mongo.db, f"{role}@example.com", role=role)
        pair = login(client, f"{role}@example.com").json()
        me = client.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
        assert me.status_code == 200 and me.json()["role"] == role
    pair = tokens_for(client, mongo.db, "shopper@example.com")
    assert client.get("/api/v1/auth/me", headers=bearer(pair["access_token"])).status_code == 200

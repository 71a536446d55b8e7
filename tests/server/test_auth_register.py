"""Customer self-registration and e-mail verification, in-process over the real database."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import datetime, timedelta, timezone

from server.config import ServerSettings
from tests.server.test_auth_helpers import (PASSWORD, app_client, login, queued_token, register,
                                            staff, tokens_for)


def test_register_creates_an_unverified_customer_and_queues_a_verification_mail(client, mongo,
                                                                                 settings):
    response = register(client, "Ada@Example.com", name="Ada")
    assert response.status_code == 201
    user = response.json()
    assert user["email"] == "ada@example.com" and user["name"] == "Ada"
    assert user["role"] == "customer" and user["verified"] is False
    assert "password_hash" not in user and "failed_logins" not in user
    mail = mongo.db.email_outbox.find_one({"to": "ada@example.com"})
    assert mail["status"] == "pending" and mail["kind"] == "verify_email"
    assert f"{settings.public_url}/verify-email?token=" in mail["text"]
    token = queued_token(mongo.db, "ada@example.com", "verify_email")
    stored = mongo.db.email_tokens.find_one({"user_id": user["id"]})
    assert stored["_id"] == hashlib.sha256(token.encode()).hexdigest()  # only the digest
    assert token not in str(stored)
    ttl = stored["expires_at"] - stored["created_at"]
    assert timedelta(hours=23, minutes=59) < ttl <= timedelta(hours=24)


def test_an_email_can_register_once_whatever_its_case(client):
    assert register(client, "bob@example.com").status_code == 201
    again = register(client, "BOB@example.com ")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"


def test_registration_refuses_weak_passwords_and_bad_addresses(client, mongo):
    weak = register(client, "weak@example.com", password="short")
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "validation_error"
    assert register(client, "not-an-address", password=PASSWORD).status_code == 422
    assert mongo.db.users.find_one({"email": "weak@example.com"}) is None


def test_an_unverified_customer_cannot_log_in_until_the_address_is_confirmed(client, mongo):
    register(client, "carl@example.com")
    refused = login(client, "carl@example.com")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "email_not_verified"
    token = queued_token(mongo.db, "carl@example.com", "verify_email")
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    assert mongo.db.users.find_one({"email": "carl@example.com"})["verified"] is True
    assert login(client, "carl@example.com").status_code == 200


def test_a_verification_token_works_once(client, mongo):
    register(client, "dora@example.com")
    token = queued_token(mongo.db, "dora@example.com", "verify_email")
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    again = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_token"
    assert set(again.json()["error"]) == {"code", "message", "details"}


def test_unknown_and_expired_verification_tokens_are_refused(client, mongo):
    unknown = client.post("/api/v1/auth/verify-email", json={"token": "A" * 43})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_token"
    register(client, "eve@example.com")
    token = queued_token(mongo.db, "eve@example.com", "verify_email")
    # The TTL monitor deletes expired tokens only eventually: the expiry itself must count.
    mongo.db.email_tokens.update_one({"_id": hashlib.sha256(token.encode()).hexdigest()},
                                     {"$set": {"expires_at": datetime.now(timezone.utc)
                                               - timedelta(seconds=1)}})
    expired = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert expired.status_code == 400
    assert mongo.db.users.find_one({"email": "eve@example.com"})["verified"] is False


def test_a_password_reset_token_does_not_verify_an_email(client, mongo):
    register(client, "fay@example.com")
    client.post("/api/v1/auth/password-reset", json={"email": "fay@example.com"})
    reset_token = queued_token(mongo.db, "fay@example.com", "password_reset")
    wrong_kind = client.post("/api/v1/auth/verify-email", json={"token": reset_token})
    assert wrong_kind.status_code == 400


def test_staff_created_verified_log_in_without_a_mail(client, mongo):
    staff(mongo.db, "owner@example.com", role="owner")
    response = login(client, "owner@example.com")
    assert response.status_code == 200
    me = client.get("/api/v1/auth/me",
                    headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.json()["role"] == "owner"


def test_the_default_bcrypt_cost_is_12(settings, mongo):
    default = next(f.default for f in fields(ServerSettings) if f.name == "bcrypt_rounds")
    assert default == 12
    with app_client(settings, bcrypt_rounds=default) as client:
        assert register(client, "cost@example.com").status_code == 201
    stored = mongo.db.users.find_one({"email": "cost@example.com"})["password_hash"]
    assert stored.startswith("$2b$12$")


def test_me_shows_the_caller_and_needs_a_token(client, mongo):
    pair = tokens_for(client, mongo.db, "gil@example.com")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "gil@example.com" and me.json()["verified"] is True
    anonymous = client.get("/api/v1/auth/me")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"

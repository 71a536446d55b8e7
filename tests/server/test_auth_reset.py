"""Password reset by mailed token, in-process over the real database."""

from __future__ import annotations

from server.security.tokens import digest
from tests.server.test_auth_helpers import (NEW_PASSWORD, bearer, login, queued_token, register,
                                            staff, tokens_for)


def ask_reset(client, email: str):
    return client.post("/api/v1/auth/password-reset", json={"email": email})


def confirm(client, token: str, password: str = NEW_PASSWORD):
    return client.post("/api/v1/auth/password-reset/confirm",
                       json={"token": token, "password": password})


def test_the_answer_never_says_whether_the_account_exists(client, mongo):
    staff(mongo.db, "ann@example.com")
    known, unknown = ask_reset(client, "ann@example.com"), ask_reset(client, "who@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert mongo.db.email_outbox.find_one({"to": "ann@example.com", "kind": "password_reset"})
    assert mongo.db.email_outbox.find_one({"to": "who@example.com"}) is None
    token = mongo.db.email_tokens.find_one({"kind": "password_reset"})
    assert (token["expires_at"] - token["created_at"]).total_seconds() == 3600
    assert mongo.db.audit_log.find_one({"action": "auth.password_reset_requested"})


def test_a_reset_sets_the_password_ends_every_session_and_clears_the_lock(client, mongo,
                                                                          settings):
    before = tokens_for(client, mongo.db, "ben@example.com")
    for _ in range(settings.login_max_failures):
        login(client, "ben@example.com", "wrong password!")
    assert login(client, "ben@example.com").status_code == 403  # locked
    ask_reset(client, "ben@example.com")
    assert confirm(client, queued_token(mongo.db, "ben@example.com", "password_reset")
                   ).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(before["access_token"])).status_code == 401
    old_refresh = client.post("/api/v1/auth/refresh",
                              json={"refresh_token": before["refresh_token"]})
    assert old_refresh.status_code == 401
    assert login(client, "ben@example.com").status_code == 401  # the old password
    assert login(client, "ben@example.com", NEW_PASSWORD).status_code == 200  # lock cleared
    assert mongo.db.audit_log.find_one({"action": "auth.password_reset"})["details"] == {
        "sessions_ended": 1}


def test_a_reset_token_works_once(client, mongo):
    staff(mongo.db, "cat@example.com")
    ask_reset(client, "cat@example.com")
    token = queued_token(mongo.db, "cat@example.com", "password_reset")
    assert confirm(client, token).status_code == 204
    again = confirm(client, token, "yet another password")
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"
    assert login(client, "cat@example.com", NEW_PASSWORD).status_code == 200


def test_a_weak_new_password_does_not_spend_the_token(client, mongo):
    staff(mongo.db, "dan@example.com")
    ask_reset(client, "dan@example.com")
    token = queued_token(mongo.db, "dan@example.com", "password_reset")
    weak = confirm(client, token, "short")
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "validation_error"
    assert mongo.db.email_tokens.find_one({"_id": digest(token)})["used_at"] is None
    assert confirm(client, token).status_code == 204


def test_unknown_tokens_and_verification_tokens_do_not_reset(client, mongo):
    assert confirm(client, "B" * 43).status_code == 400
    register(client, "eve@example.com")
    verify_token = queued_token(mongo.db, "eve@example.com", "verify_email")
    assert confirm(client, verify_token).status_code == 400


def test_a_reset_verifies_the_address_it_reached(client, mongo):
    """A customer whose verification mail was lost gets in through a reset."""
    register(client, "fay@example.com")
    ask_reset(client, "fay@example.com")
    confirm(client, queued_token(mongo.db, "fay@example.com", "password_reset"))
    assert login(client, "fay@example.com", NEW_PASSWORD).status_code == 200


def test_deactivated_accounts_get_no_reset_mail(client, mongo):
    staff(mongo.db, "gil@example.com")
    mongo.db.users.update_one({"email": "gil@example.com"}, {"$set": {"active": False}})
    assert ask_reset(client, "gil@example.com").status_code == 202
    assert mongo.db.email_outbox.find_one({"to": "gil@example.com"}) is None

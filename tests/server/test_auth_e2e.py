"""The whole auth story over HTTP against a real ``tillpoint-server`` process, with mail
delivered by its own worker to the real SMTP sink."""

from __future__ import annotations

import uuid

import requests

from tests.server.test_auth_helpers import (NEW_PASSWORD, PASSWORD, fresh_rate_window, mail_body,
                                            token_in)

ACCOUNT_LIMIT = 20  # this story logs one account in 13 times within a minute


def test_the_auth_story_on_a_real_server_process(server_factory, smtp_sink):
    """register → verify (token from the delivered mail) → login → me → refresh → reuse ends
    the family → logout → lockout → rate limit → reset by mail → sessions from before dead."""
    server = server_factory(TILLPOINT_AUTH_RATE_PER_MINUTE_ACCOUNT=str(ACCOUNT_LIMIT))
    http = requests.Session()

    def post(path: str, body: dict | None = None, token: str | None = None, ip: str = "10.1.0.1"):
        # uvicorn trusts X-Forwarded-For from loopback: each phase can come from its own address.
        headers = {"X-Forwarded-For": ip}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return http.post(server.url(f"/api/v1/auth/{path}"), json=body, headers=headers,
                         timeout=10)

    def me(token: str) -> requests.Response:
        return http.get(server.url("/api/v1/auth/me"), timeout=10,
                        headers={"Authorization": f"Bearer {token}"})

    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"

    # Query operators in place of strings never reach the database.
    injected = post("login", {"email": {"$gt": ""}, "password": {"$gt": ""}})
    assert injected.status_code == 422
    assert injected.json()["error"]["code"] == "validation_error"

    # Register; the server's own worker mails the link; verify with the token from the mail.
    created = post("register", {"email": email, "password": PASSWORD, "name": "Eve"})
    assert created.status_code == 201, created.text
    assert created.json()["verified"] is False
    assert post("login", {"email": email, "password": PASSWORD}).status_code == 403
    mail = smtp_sink.wait_for(email, subject_contains="Confirm your e-mail")
    assert post("verify-email", {"token": token_in(mail_body(mail))}).status_code == 204

    # Log in, read the account, rotate.
    first = post("login", {"email": email, "password": PASSWORD}).json()
    assert me(first["access_token"]).json()["email"] == email
    second = post("refresh", {"refresh_token": first["refresh_token"]}).json()
    assert me(second["access_token"]).status_code == 200

    # Replaying the used token ends the whole family, including the newest pair.
    reused = post("refresh", {"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "refresh_token_reused"
    assert post("refresh", {"refresh_token": second["refresh_token"]}).status_code == 401
    assert me(second["access_token"]).status_code == 401

    # Log out: the access token is refused afterwards, and so is its refresh token.
    session = post("login", {"email": email, "password": PASSWORD}).json()
    out = post("logout", {"refresh_token": session["refresh_token"]}, token=session["access_token"])
    assert out.status_code == 204
    assert me(session["access_token"]).status_code == 401
    assert post("refresh", {"refresh_token": session["refresh_token"]}).status_code == 401
    kept = post("login", {"email": email, "password": PASSWORD}).json()  # to check the reset

    # Five failures lock the account; the right password is refused while it is locked.
    for attempt in range(5):
        wrong = post("login", {"email": email, "password": "not the password"},
                     ip=f"10.2.0.{attempt}")
        assert wrong.status_code == 401
    locked = post("login", {"email": email, "password": PASSWORD}, ip="10.2.1.1")
    assert locked.status_code == 403 and locked.json()["error"]["code"] == "account_locked"

    # The per-account limit holds whatever address the attempts come from.
    fresh_rate_window()
    statuses = [post("login", {"email": "nobody@example.com", "password": "x"},
                     ip=f"10.3.0.{n}").status_code for n in range(ACCOUNT_LIMIT + 1)]
    assert statuses == [401] * ACCOUNT_LIMIT + [429]
    limited = post("login", {"email": "nobody@example.com", "password": "x"}, ip="10.3.1.1")
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60

    # Reset by mail: new password works, the lock is gone, sessions from before are dead.
    assert post("password-reset", {"email": email}, ip="10.4.0.1").status_code == 202
    reset_mail = smtp_sink.wait_for(email, subject_contains="Reset your password")
    confirmed = post("password-reset/confirm", {"token": token_in(mail_body(reset_mail)),
                                                "password": NEW_PASSWORD}, ip="10.4.0.1")
    assert confirmed.status_code == 204
    assert post("refresh", {"refresh_token": kept["refresh_token"]}).status_code == 401
    assert me(kept["access_token"]).status_code == 401
    assert post("login", {"email": email, "password": PASSWORD}, ip="10.4.0.2").status_code == 401
    fresh = post("login", {"email": email, "password": NEW_PASSWORD}, ip="10.4.0.3")
    assert fresh.status_code == 200
    assert me(fresh.json()["access_token"]).status_code == 200


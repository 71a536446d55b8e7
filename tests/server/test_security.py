"""Transport-level security: body limit, CORS, HSTS behind TLS, operators in query strings."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
from fastapi.testclient import TestClient

from server.app import create_app
from server.database import Mongo
from server.security.tokens import issue_access_token
from server.users.service import create_user


def _client(settings):
    app = create_app(settings, Mongo.open(settings.mongodb_uri, settings.database))
    return app, TestClient(app, raise_server_exceptions=False)


def test_a_body_over_the_limit_is_refused_with_413_and_the_error_shape(settings):
    app, client = _client(replace(settings, max_body_bytes=2048))
    with client:
        huge = {"email": "a@example.com", "password": "x" * 5000}
        response = client.post("/api/v1/auth/login", json=huge)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        assert response.headers["x-content-type-options"] == "nosniff"
        # A body streamed without a Content-Length is counted as it arrives.
        chunks = (b"x" * 1024 for _ in range(8))
        streamed = client.post("/api/v1/auth/login", content=chunks,
                               headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
    app.state.mongo.close()


def test_a_body_limit_also_holds_on_a_real_server(server_factory):
    server = server_factory(TILLPOINT_MAX_BODY_BYTES="4096")
    response = requests.post(server.url("/api/v1/auth/register"), data=b"{" + b" " * 10_000 + b"}",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_cors_allows_only_the_configured_origins(settings):
    app, client = _client(replace(settings, cors_origins=("https://shop.example",)))
    with client:
        allowed = client.options("/api/v1/auth/login", headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
        assert allowed.headers.get("access-control-allow-origin") == "https://shop.example"
        refused = client.options("/api/v1/auth/login", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in refused.headers
    app.state.mongo.close()


def test_hsts_is_sent_only_behind_tls(settings):
    app, client = _client(replace(settings, trust_proxy_tls=True))
    with client:
        assert "strict-transport-security" not in client.get("/health").headers
        over_tls = client.get("/health", headers={"X-Forwarded-Proto": "https"})
        assert over_tls.headers["strict-transport-security"].startswith("max-age=")
    app.state.mongo.close()


@pytest.mark.parametrize("query", ["role[$where]=1", "role=%7B%22%24where%22%3A%221%22%7D",
                                   "role=$where", "page=%7B%22%24gt%22%3A0%7D"])
def test_operators_in_query_strings_never_reach_the_database(settings, query):
    app, client = _client(settings)
    owner = create_user(app.state.mongo.db, email="boss@example.com", role="owner",
                        password="a-long-password", verified=True, actor="t", ip=None, rounds=4)
    token, _, _ = issue_access_token(app.state.jwt_key, user_id=owner["_id"], email=owner["email"],
                                     role="owner", minutes=5)
    with client:
        response = client.get(f"/api/v1/users?{query}", headers={"Authorization": f"Bearer {token}"})
    app.state.mongo.close()
    # Either ignored as an unknown parameter or refused as invalid; never a 5xx, never a match.
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert [u["email"] for u in response.json()["items"]] == ["boss@example.com"]
    else:
        assert response.json()["error"]["code"] == "validation_error"

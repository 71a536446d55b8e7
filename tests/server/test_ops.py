"""Operations endpoints and the error shape, in-process and on a real server process."""

from __future__ import annotations

import requests


def test_health_and_ready_in_process(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}


def test_unknown_route_has_the_error_shape_and_security_headers(client):
    response = client.get("/api/v1/nowhere", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers


def test_a_real_server_process_serves_health_and_openapi(server_factory):
    server = server_factory()
    assert requests.get(server.url("/health"), timeout=5).json() == {"status": "ok"}
    spec = requests.get(server.url("/api/v1/openapi.json"), timeout=5).json()
    assert spec["info"]["title"] == "Tillpoint central API"


def test_malformed_json_is_a_422_that_says_so(client):
    response = client.post("/api/v1/auth/login", content=b'{"email": "a@b.c", "password": ',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert body["details"][0]["type"] == "json_invalid"
    assert "malformed JSON" in body["details"][0]["message"]

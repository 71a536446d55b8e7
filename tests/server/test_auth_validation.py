"""Hostile and malformed bodies on the auth routes: 422 with the error shape, never a query
operator reaching MongoDB; and every auth route names who may call it."""

from __future__ import annotations

import pytest

from server.auth.router import router
from tests.server.test_auth_helpers import PASSWORD, staff

OPERATOR_BODIES = [
    ("/api/v1/auth/login", {"email": {"$gt": ""}, "password": {"$gt": ""}}),
    ("/api/v1/auth/login", {"email": "ann@example.com", "password": {"$ne": None}}),
    ("/api/v1/auth/register", {"email": {"$gt": ""}, "password": PASSWORD}),
    ("/api/v1/auth/verify-email", {"token": {"$ne": None}}),
    ("/api/v1/auth/refresh", {"refresh_token": {"$gt": ""}}),
    ("/api/v1/auth/password-reset", {"email": {"$regex": ".*"}}),
    ("/api/v1/auth/password-reset/confirm", {"token": {"$gt": ""}, "password": PASSWORD}),
]


@pytest.mark.parametrize("path,body", OPERATOR_BODIES)
def test_query_operators_in_place_of_strings_are_refused(client, mongo, path, body):
    staff(mongo.db, "ann@example.com")
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("body", [
    {"email": "ann@example.com", "password": PASSWORD, "role": "owner"},
    {"email": "ann@example.com", "password": PASSWORD, "verified": True},
])
def test_unknown_fields_are_refused_not_ignored(client, body):
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["type"] == "extra_forbidden"


@pytest.mark.parametrize("body", [
    {"email": 12345, "password": PASSWORD},  # strict: no number coerced to a string
    {"email": "a" * 250 + "@example.com", "password": PASSWORD},
    {"email": "ann@example.com", "password": "p" * 257},
    {"email": "ann@example.com"},
    [],
    "a string",
])
def test_wrong_types_lengths_and_shapes_are_refused(client, body):
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_malformed_json_gets_the_error_shape(client):
    response = client.post("/api/v1/auth/login", content=b'{"email": "a@b.c", "password": ',
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] in ("validation_error", "bad_request")


def test_overlong_tokens_and_names_are_refused(client):
    assert client.post("/api/v1/auth/refresh",
                       json={"refresh_token": "a" * 129}).status_code == 422
    assert client.post("/api/v1/auth/register", json={
        "email": "long@example.com", "password": PASSWORD, "name": "n" * 201}).status_code == 422


def test_every_auth_route_declares_public_or_a_permission_exactly_once():
    for route in router.routes:
        calls = [d.call for d in route.dependant.dependencies]
        declared = [c for c in calls if hasattr(c, "public") or hasattr(c, "permission")]
        assert len(declared) == 1, route.path

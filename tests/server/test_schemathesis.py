"""Property-based fuzzing of every documented route (schemathesis over the OpenAPI document):
no input may produce a 5xx, and every response must match the documented schema.

Runs in-process against the real database, once anonymously and once as an owner (so the
routes behind permissions are reached too). Examples per operation: 25 by default,
``TILLPOINT_FUZZ_EXAMPLES`` for more.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.app import create_app
from server.database import Mongo
from server.security.tokens import issue_access_token
from server.users.service import create_user

EXAMPLES = int(os.environ.get("TILLPOINT_FUZZ_EXAMPLES", "6"))


@pytest.fixture
def fuzz_app(settings):
    app = create_app(settings, Mongo.open(settings.mongodb_uri, settings.database))
    owner = create_user(app.state.mongo.db, email="fuzz-owner@example.com", role="owner",
                        password="fuzz-owner-password", verified=True, actor="test", ip=None,
                        rounds=4)
    token, _, _ = issue_access_token(app.state.jwt_key, user_id=owner["_id"], email=owner["email"],
                                     role="owner", minutes=60)
    app.state.test_owner_token = token
    yield app
    app.state.mongo.client.drop_database(settings.database)
    app.state.mongo.close()


def _no_server_error(response, case) -> None:
    if response.status_code >= 500:
        raise AssertionError(f"{case.method} {case.formatted_path} answered "
                             f"{response.status_code}: {response.text[:300]}")


def fuzz_every_operation(app, headers: dict[str, str]) -> int:
    """Drive each documented operation with generated cases; returns how many operations."""
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert operations, "the OpenAPI document lists no operations"
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=headers)
            _no_server_error(response, case)
            case.validate_response(response, checks=[response_schema_conformance])

        check()
    return len(operations)


@pytest.mark.slow
def test_fuzzing_anonymously_finds_no_server_error_or_undocumented_response(fuzz_app):
    assert fuzz_every_operation(fuzz_app, {}) >= 3


@pytest.mark.slow
def test_fuzzing_as_an_owner_finds_no_server_error_or_undocumented_response(fuzz_app):
    token = fuzz_app.state.test_owner_token
    assert fuzz_every_operation(fuzz_app, {"Authorization": f"Bearer {token}"}) >= 3

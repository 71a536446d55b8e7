"""API keys: made by ``create_api_key``, accepted by ``X-API-Key`` with their role, stored only
as a prefix and a digest, refused once revoked."""

from __future__ import annotations

import pytest

from server.errors import ApiError
from server.security import apikeys
from server.users.service import create_api_key, revoke_api_key

API = "/api/v1"


def test_a_key_authenticates_with_its_role_and_only_its_digest_is_stored(client):
    db = client.app.state.mongo.db
    key = create_api_key(db, name="ERP bridge", role="manager", actor="test", ip=None)
    assert key.startswith("tpk_") and len(key.split("_")) == 3
    stored = db.api_keys.find_one({"prefix": apikeys.prefix_of(key)})
    assert stored["role"] == "manager" and stored["revoked_at"] is None
    assert key not in str(stored) and key.split("_")[2] not in str(stored)
    assert client.get(f"{API}/users", headers={"X-API-Key": key}).status_code == 200
    # a manager key cannot write stores (owner only)
    denied = client.post(f"{API}/stores", headers={"X-API-Key": key},
                         json={"code": "S09", "name": "X", "currency": "EUR"})
    assert denied.status_code == 403
    assert db.audit_log.find_one({"action": "api_key.created", "target": stored["_id"]})


def test_a_wrong_or_revoked_key_is_a_401(client):
    db = client.app.state.mongo.db
    key = create_api_key(db, name="Reports", role="support", actor="test", ip=None)
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    for value in (tampered, "tpk_nope", "tpk_abcdefgh_" + "x" * 40, "garbage"):
        assert client.get(f"{API}/devices", headers={"X-API-Key": value}).status_code == 401
    key_id = db.api_keys.find_one({"prefix": apikeys.prefix_of(key)})["_id"]
    assert revoke_api_key(db, key_id=key_id, actor="test", ip=None) is True
    assert revoke_api_key(db, key_id=key_id, actor="test", ip=None) is False
    assert client.get(f"{API}/stores", headers={"X-API-Key": key}).status_code == 401


def test_keys_are_unique_and_well_formed():
    keys = [apikeys.generate() for _ in range(200)]
    assert len({k.prefix for k in keys}) == 200
    for k in keys:
        assert apikeys.prefix_of(k.value) == k.prefix and len(k.prefix) == apikeys.PREFIX_LENGTH
    assert apikeys.prefix_of("tpk__secret") is None and apikeys.prefix_of("xyz_a_b") is None


@pytest.mark.parametrize("name, role", [("", "manager"), ("ok", "customer"), ("ok", "wizard"),
                                        ("x" * 101, "owner")])
def test_bad_names_and_roles_are_refused(mongo, name, role):
    with pytest.raises(ApiError) as caught:
        create_api_key(mongo.db, name=name, role=role, actor="test", ip=None)
    assert caught.value.status == 422

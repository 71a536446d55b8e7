"""Registers, pairing and device credentials, in-process over the real database: a code pairs
one till once, expires, is rate limited per IP; the credential works until revoked."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.database import Mongo, ensure_indexes
from server.devices import service
from server.errors import ApiError
from server.security.tokens import digest
from tests.server.test_users import API, as_role

STORE = {"code": "S01", "name": "Harbour Street", "currency": "EUR"}


def store_and_register(client, owner) -> tuple[dict, dict]:
    store = client.post(f"{API}/stores", json=STORE, headers=owner).json()
    register = client.post(f"{API}/stores/{store['id']}/registers", headers=owner,
                           json={"code": "r02", "name": "Front till"})
    assert register.status_code == 201, register.text
    return store, register.json()


def issue(client, headers, register_id: str) -> dict:
    response = client.post(f"{API}/registers/{register_id}/pairing-code", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def device_auth(paired: dict) -> dict[str, str]:
    return {"Authorization": f"Device {paired['device_id']}:{paired['device_key']}"}


def test_pairing_end_to_end_then_revocation(client):
    _, owner = as_role(client, "owner")
    store, register = store_and_register(client, owner)
    assert register["code"] == "R02" and register["device_id"] is None
    issued = issue(client, owner, register["id"])
    assert len(issued["code"]) == 12 and issued["code"].count("-") == 2
    expires = datetime.fromisoformat(issued["expires_at"]) - datetime.now(timezone.utc)
    assert timedelta(minutes=14) < expires <= timedelta(minutes=15)
    response = client.post(f"{API}/devices/pair", json={"code": issued["code"]})
    assert response.status_code == 200, response.text
    paired = response.json()
    assert (paired["store_id"], paired["register_id"]) == (store["id"], register["id"])
    assert (paired["store_code"], paired["register_code"]) == ("S01", "R02")
    me = client.get(f"{API}/devices/me", headers=device_auth(paired))
    assert me.status_code == 200 and me.json()["device_id"] == paired["device_id"]
    stored = client.app.state.mongo.db.devices.find_one({"_id": paired["device_id"]})
    assert stored["key_hash"] == digest(paired["device_key"]) and paired["device_key"] not in str(stored)
    listed = client.get(f"{API}/devices", headers=owner).json()["items"]
    assert [d["id"] for d in listed] == [paired["device_id"]] and "key_hash" not in listed[0]
    registers = client.get(f"{API}/stores/{store['id']}/registers", headers=owner).json()["items"]
    assert registers[0]["device_id"] == paired["device_id"]
    revoked = client.delete(f"{API}/devices/{paired['device_id']}", headers=owner)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get(f"{API}/devices/me", headers=device_auth(paired)).status_code == 401
    assert client.delete(f"{API}/devices/{paired['device_id']}", headers=owner).status_code == 200
    assert client.get(f"{API}/devices", headers=owner).json()["items"] == []
    assert len(client.get(f"{API}/devices?include_revoked=true", headers=owner).json()["items"]) == 1
    actions = {e["action"] for e in client.app.state.mongo.db.audit_log.find({})}
    assert {"register.created", "pairing_code.issued", "device.paired", "device.revoked"} <= actions


def test_a_code_pairs_once_and_is_typed_forgivingly(client):
    _, owner = as_role(client, "owner")
    _, register = store_and_register(client, owner)
    code = issue(client, owner, register["id"])["code"]
    typed = " " + code.replace("-", " ").lower() + " "
    assert client.post(f"{API}/devices/pair", json={"code": typed}).status_code == 200
    second = client.post(f"{API}/devices/pair", json={"code": code})
    assert second.status_code == 409 and second.json()["error"]["code"] == "pairing_code_used"
    assert "already used" in second.json()["error"]["message"]


def test_concurrent_exchanges_of_one_code_pair_exactly_one_device(client):
    _, owner = as_role(client, "owner")
    _, register = store_and_register(client, owner)
    code = issue(client, owner, register["id"])["code"]
    db = client.app.state.mongo.db

    def attempt(_):
        try:
            return service.pair_device(db, code=code, ip="10.0.0.1", request_id=None)
        except ApiError as exc:
            return exc.code

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    winners = [o for o in outcomes if isinstance(o, dict)]
    assert len(winners) == 1 and outcomes.count("pairing_code_used") == 7
    assert len(list(db.devices.find({}))) == 1


def test_expired_unknown_and_malformed_codes_are_refused(client):
    _, owner = as_role(client, "owner")
    store, register = store_and_register(client, owner)
    now = datetime.now(timezone.utc)
    client.app.state.mongo.db.pairing_codes.insert_one({
        "_id": digest("ABCDEFGHJK"), "store_id": store["id"], "register_id": register["id"],
        "created_at": now - timedelta(minutes=20), "expires_at": now - timedelta(minutes=5),
        "used_at": None, "device_id": None, "issued_by": "test"})
    expired = client.post(f"{API}/devices/pair", json={"code": "ABCD-EFGH-JK"})
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "pairing_code_expired"
    for code in ("ZZZZ-ZZZZ-ZZ", "0000-1111-OO", "short", "x" * 64):
        response = client.post(f"{API}/devices/pair", json={"code": code})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_pairing_code"
    for body in ({}, {"code": 1234}, {"code": "ABCD-EFGH-JK", "store": "S01"}):
        assert client.post(f"{API}/devices/pair", json=body).status_code == 422
    assert client.app.state.mongo.db.devices.find_one({}) is None


def test_pairing_a_new_till_to_a_register_revokes_the_one_it_replaces(client):
    _, owner = as_role(client, "owner")
    _, register = store_and_register(client, owner)
    old = client.post(f"{API}/devices/pair", json={"code": issue(client, owner, register["id"])["code"]}).json()
    new = client.post(f"{API}/devices/pair", json={"code": issue(client, owner, register["id"])["code"]}).json()
    assert client.get(f"{API}/devices/me", headers=device_auth(old)).status_code == 401
    assert client.get(f"{API}/devices/me", headers=device_auth(new)).status_code == 200
    stored_old = client.app.state.mongo.db.devices.find_one({"_id": old["device_id"]})
    assert stored_old["revoked_reason"] == "replaced"
    # revoking the old device again must not detach the new one from the register
    client.delete(f"{API}/devices/{old['device_id']}", headers=owner)
    stored_register = client.app.state.mongo.db.registers.find_one({"_id": register["id"]})
    assert stored_register["device_id"] == new["device_id"]


def test_wrong_device_credentials_are_401(client):
    _, owner = as_role(client, "owner")
    _, register = store_and_register(client, owner)
    paired = client.post(f"{API}/devices/pair", json={"code": issue(client, owner, register["id"])["code"]}).json()
    for header in (f"Device {paired['device_id']}:wrong", f"Device {uuid.uuid4()}:{paired['device_key']}",
                   f"Device {paired['device_id']}", "Device :"):
        assert client.get(f"{API}/devices/me", headers={"Authorization": header}).status_code == 401
    # staff hold no DEVICE_SYNC: /devices/me is for tills only
    assert client.get(f"{API}/devices/me", headers=owner).status_code == 403


def test_registers_need_a_store_and_unique_codes(client):
    _, owner = as_role(client, "owner")
    store, _ = store_and_register(client, owner)
    again = client.post(f"{API}/stores/{store['id']}/registers", headers=owner, json={"code": "R02"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "register_code_taken"
    nowhere = client.post(f"{API}/stores/{uuid.uuid4()}/registers", headers=owner, json={"code": "R01"})
    assert nowhere.status_code == 404
    assert client.post(f"{API}/registers/{uuid.uuid4()}/pairing-code", headers=owner).status_code == 404
    assert client.delete(f"{API}/devices/{uuid.uuid4()}", headers=owner).status_code == 404


def test_pairing_attempts_are_rate_limited_per_ip(settings, mongo):
    app = create_app(replace(settings, auth_rate_per_minute_ip=3),
                     Mongo.open(settings.mongodb_uri, settings.database))
    with TestClient(app, raise_server_exceptions=False) as client:
        # 2 × limit + 1 attempts: whatever minute boundary falls between them, one window
        # receives more than the limit.
        statuses = [client.post(f"{API}/devices/pair", json={"code": "ZZZZ-ZZZZ-ZZ"})
                    for _ in range(7)]
    assert [r.status_code for r in statuses[:3]] == [400, 400, 400]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert limited[0].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited[0].headers["retry-after"]) <= 60


class TestIssuePairingCodeForTheCommandLine:
    @pytest.fixture(autouse=True)
    def _indexes(self, mongo):
        ensure_indexes(mongo.db)  # as the command does: the unique indexes decide races

    def test_a_fresh_server_gets_a_default_store_and_the_register(self, mongo):
        issued = service.issue_pairing_code(mongo.db, register_code="r02", minutes=15,
                                            actor="cli", ip="local")
        assert (issued["store_code"], issued["register_code"]) == ("S01", "R02")
        assert issued["expires_at"].tzinfo is not None
        store = mongo.db.stores.find_one({"code": "S01"})
        assert (store["name"], store["currency"], store["prices_include_tax"]) == ("Main store", "EUR", True)
        again = service.issue_pairing_code(mongo.db, register_code="R02", minutes=15, actor="cli",
                                           ip="local")
        assert again["register_id"] == issued["register_id"] and again["code"] != issued["code"]
        assert len(list(mongo.db.stores.find({}))) == 1

    def test_several_stores_need_a_store_code(self, mongo):
        for code in ("S01", "S02"):
            mongo.db.stores.insert_one({"_id": code, "code": code, "name": code, "currency": "EUR",
                                        "prices_include_tax": True})
        with pytest.raises(ApiError) as caught:
            service.issue_pairing_code(mongo.db, register_code="R01", minutes=15, actor="cli", ip="local")
        assert caught.value.code == "store_required" and "S01, S02" in caught.value.message
        issued = service.issue_pairing_code(mongo.db, store_code="s02", register_code="R01",
                                            minutes=15, actor="cli", ip="local")
        assert issued["store_id"] == "S02"
        with pytest.raises(ApiError) as missing:
            service.issue_pairing_code(mongo.db, store_code="S09", register_code="R01",
                                       minutes=15, actor="cli", ip="local")
        assert missing.value.status == 404
        with pytest.raises(ApiError) as bad:
            service.issue_pairing_code(mongo.db, store_code="S01", register_code="R-1",
                                       minutes=15, actor="cli", ip="local")
        assert bad.value.status == 422


def test_a_pairing_transaction_run_again_after_its_commit_is_a_no_op(client, monkeypatch):
    """``with_transaction`` re-runs the callback when a commit's outcome was unknown (e.g. the
    database restarted): the second run must see its own pairing and change nothing."""
    _, owner = as_role(client, "owner")
    _, register = store_and_register(client, owner)
    code = issue(client, owner, register["id"])["code"]
    real = service.in_transaction

    def committed_then_rerun(db, work):
        real(db, work)
        real(db, work)

    monkeypatch.setattr(service, "in_transaction", committed_then_rerun)
    paired = client.post(f"{API}/devices/pair", json={"code": code})
    assert paired.status_code == 200, paired.text
    db = client.app.state.mongo.db
    assert [d["_id"] for d in db.devices.find({})] == [paired.json()["device_id"]]
    assert len(list(db.audit_log.find({"action": "device.paired"}))) == 1
    assert client.get(f"{API}/devices/me", headers=device_auth(paired.json())).status_code == 200

"""Staff accounts over ``/api/v1/users``: CRUD, the owner/self rules, version checks,
deactivation, till PINs and the audit trail, in-process over the real database.

The helpers at the top are shared by the other staff/store/device test modules."""

from __future__ import annotations

import uuid

from app.local_auth import verify_pin
from server.security.tokens import issue_access_token
from server.users.service import create_user

API = "/api/v1"
PASSWORD = "a-long-enough-password"


def make_user(client, role: str, *, email: str | None = None, **fields) -> dict:
    """A user inserted through the service (login belongs to the auth work)."""
    return create_user(client.app.state.mongo.db, email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.com",
                       role=role, password=PASSWORD, verified=True, actor="test", ip=None,
                       rounds=4, **fields)


def auth(client, user: dict) -> dict[str, str]:
    """A freshly minted access token for ``user``."""
    token, _, _ = issue_access_token(client.app.state.jwt_key, user_id=user["_id"],
                                     email=user["email"], role=user["role"], minutes=10)
    return {"Authorization": f"Bearer {token}"}


def as_role(client, role: str) -> tuple[dict, dict[str, str]]:
    user = make_user(client, role)
    return user, auth(client, user)


def new_staff(client, headers, **overrides) -> dict:
    body = {"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD,
            "role": "cashier", "name": "Sam"} | overrides
    response = client.post(f"{API}/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_owner_creates_reads_and_lists_staff(client):
    _, owner = as_role(client, "owner")
    created = new_staff(client, owner, email="Till.One@Example.com", name=" Till One ")
    assert created["email"] == "till.one@example.com" and created["role"] == "cashier"
    assert created["verified"] is True and created["active"] is True and created["version"] == 1
    assert created["has_pin"] is False and "password_hash" not in created
    fetched = client.get(f"{API}/users/{created['id']}", headers=owner).json()
    assert fetched == created
    listed = client.get(f"{API}/users", headers=owner).json()
    assert created["id"] in [u["id"] for u in listed["items"]]
    duplicate = client.post(f"{API}/users", headers=owner, json={
        "email": "till.one@example.com", "password": PASSWORD, "role": "cashier"})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "email_taken"


def test_creation_refuses_bad_input_with_the_error_shape(client):
    _, owner = as_role(client, "owner")
    cases = [({"role": "customer"}, "role"), ({"password": "short"}, "password"),
             ({"email": "not-an-email"}, "email"), ({"store_ids": ["nowhere"]}, "store_ids"),
             ({"role": "wizard"}, "role"), ({"is_admin": True}, "is_admin"),
             ({"name": 7}, "name")]
    for override, field in cases:
        body = {"email": f"x-{uuid.uuid4().hex[:6]}@example.com", "password": PASSWORD,
                "role": "cashier"} | override
        response = client.post(f"{API}/users", json=body, headers=owner)
        assert response.status_code == 422, (override, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error" and field in error["message"], error


def test_pagination_and_role_filter(client):
    _, owner = as_role(client, "owner")
    for _ in range(3):
        new_staff(client, owner, role="stock_clerk")
    make_user(client, "customer")
    first = client.get(f"{API}/users?per_page=2&role=stock_clerk", headers=owner).json()
    second = client.get(f"{API}/users?per_page=2&page=2&role=stock_clerk", headers=owner).json()
    assert len(first["items"]) == 2 and first["has_more"] is True
    assert len(second["items"]) == 1 and second["has_more"] is False
    everyone = client.get(f"{API}/users?per_page=100", headers=owner).json()["items"]
    assert "customer" not in {u["role"] for u in everyone}  # customers are not staff
    assert client.get(f"{API}/users?per_page=101", headers=owner).status_code == 422
    assert client.get(f"{API}/users?role=customer", headers=owner).status_code == 422


def test_customer_accounts_are_not_managed_here(client):
    _, owner = as_role(client, "owner")
    customer = make_user(client, "customer")
    assert client.get(f"{API}/users/{customer['_id']}", headers=owner).status_code == 404
    assert client.delete(f"{API}/users/{customer['_id']}", headers=owner).status_code == 404


def test_a_manager_manages_every_role_but_owner(client):
    _, manager = as_role(client, "manager")
    owner_user, owner = as_role(client, "owner")
    peer = new_staff(client, manager, role="manager")  # managers may make managers
    patched = client.patch(f"{API}/users/{peer['id']}", headers=manager,
                           json={"version": 1, "role": "support"})
    assert patched.status_code == 200 and patched.json()["role"] == "support"
    refused = [client.post(f"{API}/users", headers=manager, json={
                   "email": "boss@example.com", "password": PASSWORD, "role": "owner"}),
               client.patch(f"{API}/users/{peer['id']}", headers=manager,
                            json={"version": 2, "role": "owner"}),
               client.patch(f"{API}/users/{owner_user['_id']}", headers=manager,
                            json={"version": 1, "name": "Renamed"}),
               client.delete(f"{API}/users/{owner_user['_id']}", headers=manager),
               client.post(f"{API}/users/{owner_user['_id']}/pin", headers=manager,
                           json={"pin": "1234"})]
    for response in refused:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "owner_only"
    second_owner = new_staff(client, owner, role="owner")  # an owner may
    assert client.delete(f"{API}/users/{second_owner['id']}", headers=owner).status_code == 200


def test_nobody_deactivates_or_demotes_themselves(client):
    me, headers = as_role(client, "owner")
    for response in (client.delete(f"{API}/users/{me['_id']}", headers=headers),
                     client.patch(f"{API}/users/{me['_id']}", headers=headers,
                                  json={"version": 1, "active": False}),
                     client.patch(f"{API}/users/{me['_id']}", headers=headers,
                                  json={"version": 1, "role": "manager"})):
        assert response.status_code == 403 and response.json()["error"]["code"] == "not_on_yourself"
    renamed = client.patch(f"{API}/users/{me['_id']}", headers=headers,
                           json={"version": 1, "name": "Me", "role": "owner"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Me"


def test_a_stale_version_is_a_conflict_and_each_change_bumps_it(client):
    _, owner = as_role(client, "owner")
    staff = new_staff(client, owner)
    first = client.patch(f"{API}/users/{staff['id']}", headers=owner, json={"version": 1, "name": "A"})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(f"{API}/users/{staff['id']}", headers=owner, json={"version": 1, "name": "B"})
    assert stale.status_code == 409
    assert stale.json()["error"] == {"code": "version_conflict", "message": stale.json()["error"]["message"],
                                     "details": {"current_version": 2}}
    assert client.get(f"{API}/users/{staff['id']}", headers=owner).json()["name"] == "A"
    for body in ({"version": 2}, {"version": "2", "name": "C"}, {"version": 2, "email": "x@y.z"},
                 {"version": 2**40, "name": "D"}):
        assert client.patch(f"{API}/users/{staff['id']}", headers=owner, json=body).status_code == 422
    gone = client.patch(f"{API}/users/{uuid.uuid4()}", headers=owner, json={"version": 1, "name": "E"})
    assert gone.status_code == 404


def test_deactivation_stops_the_accounts_tokens_at_once(client):
    _, owner = as_role(client, "owner")
    manager = make_user(client, "manager")
    headers = auth(client, manager)
    assert client.get(f"{API}/users", headers=headers).status_code == 200
    response = client.delete(f"{API}/users/{manager['_id']}", headers=owner)
    assert response.status_code == 200 and response.json()["active"] is False
    assert client.get(f"{API}/users", headers=headers).status_code == 401
    assert client.get(f"{API}/users", headers=auth(client, manager)).status_code == 401
    again = client.delete(f"{API}/users/{manager['_id']}", headers=owner)
    assert again.status_code == 200 and again.json()["version"] == response.json()["version"]
    assert client.get(f"{API}/users/{manager['_id']}", headers=owner).json()["active"] is False
    back = client.patch(f"{API}/users/{manager['_id']}", headers=owner,
                        json={"version": again.json()["version"], "active": True})
    assert back.status_code == 200
    assert client.get(f"{API}/users", headers=headers).status_code == 200


def test_a_pin_set_on_the_server_verifies_on_the_till(client):
    _, owner = as_role(client, "owner")
    cashier = new_staff(client, owner)
    response = client.post(f"{API}/users/{cashier['id']}/pin", headers=owner, json={"pin": "04719"})
    assert response.status_code == 200 and response.json()["has_pin"] is True
    assert response.json()["version"] == 2 and "pin_hash" not in response.json()
    stored = client.app.state.mongo.db.users.find_one({"_id": cashier["id"]})["pin_hash"]
    assert stored.startswith("pbkdf2_sha256$") and "04719" not in stored
    assert verify_pin("04719", stored) and not verify_pin("04718", stored)
    for pin in ("123", "123456789", "12a4", "１２３４", 1234):
        bad = client.post(f"{API}/users/{cashier['id']}/pin", headers=owner, json={"pin": pin})
        assert bad.status_code == 422, pin


def test_every_change_is_audited_with_actor_ip_and_request_id(client):
    owner_user, owner = as_role(client, "owner")
    staff = new_staff(client, owner)
    headers = owner | {"X-Request-ID": "req-users-1"}
    client.patch(f"{API}/users/{staff['id']}", headers=headers, json={"version": 1, "role": "support"})
    client.post(f"{API}/users/{staff['id']}/pin", headers=owner, json={"pin": "2468"})
    client.delete(f"{API}/users/{staff['id']}", headers=owner)
    entries = list(client.app.state.mongo.db.audit_log.find({"target": staff["id"]}).sort("at", 1))
    assert [e["action"] for e in entries] == ["user.created", "user.updated", "user.pin_set",
                                              "user.deactivated"]
    assert {e["actor"] for e in entries} == {f"user:{owner_user['_id']}"}
    assert entries[1]["request_id"] == "req-users-1" and entries[1]["ip"] == "testclient"
    assert entries[1]["details"]["from"] == {"role": "cashier"}
    assert entries[1]["details"]["to"] == {"role": "support"}
    assert "2468" not in str(entries)


def test_a_role_change_applies_to_tokens_already_issued(client):
    _, owner = as_role(client, "owner")
    manager = make_user(client, "manager")
    headers = auth(client, manager)
    assert client.get(f"{API}/users", headers=headers).status_code == 200
    demoted = client.patch(f"{API}/users/{manager['_id']}", headers=owner,
                           json={"version": 1, "role": "cashier"})
    assert demoted.status_code == 200
    assert client.get(f"{API}/users", headers=headers).status_code == 403

"""Regression tests for the review findings: addresses that break the mail worker, the staff
list's index, audit entries written in the change's transaction, the version the owner rule
was checked against, and the outbox's purge date."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from server import audit
from server.database import ensure_indexes
from server.mail.outbox import enqueue
from server.mail.worker import KEEP_DONE, EmailWorker
from server.users import repository as users_repo
from server.users import service as users_service
from tests.server.test_auth_helpers import register
from tests.server.test_devices import STORE, store_and_register
from tests.server.test_users import API, PASSWORD, as_role, make_user

BAD_ADDRESSES = [":;@x.com", "\x00@x.com", "a\x7fb@x.com", "a\tb@x.com", '"a b"@x.com',
                 "(c)a@x.com", "a,b@x.com", "<a>@x.com", "a..b@x.com", "jos\u00e9@x.com",
                 "a\nb@x.com", "a@-x.com"]


def address() -> str:
    return f"{uuid.uuid4().hex[:10]}@example.com"


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# 1. one bad address must not stop outgoing mail ------------------------------------------------

@pytest.mark.parametrize("bad", BAD_ADDRESSES)
def test_registration_refuses_addresses_a_mail_cannot_be_built_for(client, bad):
    response = register(client, bad)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"] == {"field": "email"}
    assert client.app.state.mongo.db.email_outbox.count_documents({}) == 0


def test_staff_creation_refuses_a_bad_address(client):
    _, owner = as_role(client, "owner")
    response = client.post(f"{API}/users", headers=owner, json={
        "email": ":;@x.com", "password": PASSWORD, "role": "cashier"})
    assert response.status_code == 422 and response.json()["error"]["details"] == {"field": "email"}


@pytest.mark.parametrize("good", ["ann@example.com", "O'Brien+till@Shop-1.example.co.uk",
                                  "a.b_c-d@x.io"])
def test_ordinary_addresses_are_still_accepted(good):
    assert users_service.normalise_email(f"  {good} ") == good.lower()


def test_the_worker_thread_survives_an_unbuildable_mail(mongo, settings, smtp_sink):
    bad = enqueue(mongo.db, to=":;@x.com", subject="bad", text="x", kind="test")
    to = address()
    good = enqueue(mongo.db, to=to, subject="after the bad one", text="hello", kind="test")
    worker = EmailWorker(mongo.db, settings, poll_seconds=0.05)
    worker.start()
    try:
        smtp_sink.wait_for(to, subject_contains="after the bad one", timeout=10)
        assert worker._thread.is_alive()
        failed = mongo.db.email_outbox.find_one({"_id": bad})
        assert failed["status"] == "failed" and failed["attempts"] == 1  # never retried
        assert "AttributeError" in failed["last_error"]
        assert mongo.db.email_outbox.find_one({"_id": good})["status"] == "sent"
    finally:
        worker.stop()


def test_the_worker_thread_survives_any_error_in_a_pass(mongo, settings, smtp_sink, monkeypatch):
    worker = EmailWorker(mongo.db, settings, poll_seconds=0.05)
    real, calls = worker.run_once, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "run_once", flaky)
    to = address()
    enqueue(mongo.db, to=to, subject="still delivered", text="hello", kind="test")
    worker.start()
    try:
        smtp_sink.wait_for(to, subject_contains="still delivered", timeout=10)
        assert worker._thread.is_alive()
    finally:
        worker.stop()


# 2. the staff list reads staff only ------------------------------------------------------------

def test_the_staff_list_uses_the_role_email_index(mongo):
    ensure_indexes(mongo.db)
    assert [("role", 1), ("email", 1)] in [v["key"] for v in mongo.db.users.index_information().values()]
    mongo.db.users.insert_many([{"_id": f"c{n}", "email": f"c{n:04d}@x.com", "role": "customer"}
                                for n in range(300)])
    mongo.db.users.insert_many([{"_id": f"s{n}", "email": f"s{n:02d}@x.com", "role": role}
                                for n, role in enumerate(["owner", "manager", "cashier"] * 3)])
    staff = [r.value for r in users_service.STAFF_ROLES]
    for roles in (staff, ["cashier"]):
        plan = mongo.db.users.find(users_repo.role_filter(roles)).sort("email", 1).explain()
        examined = plan["executionStats"]["totalDocsExamined"]
        assert examined <= 9, plan  # the staff, not the 300 customers


def test_staff_pages_cover_every_role_once_in_email_order(mongo):
    ensure_indexes(mongo.db)
    mongo.db.users.insert_many([{"_id": f"c{n}", "email": f"m{n:03d}@x.com", "role": "customer"}
                                for n in range(40)])
    roles = ["owner", "manager", "cashier", "stock_clerk", "support"]
    mongo.db.users.insert_many([{"_id": f"s{n}", "email": f"{chr(97 + n % 26)}{n:02d}@x.com",
                                 "role": roles[n % len(roles)]} for n in range(23)])
    seen, page = [], 1
    while True:
        result = users_service.list_staff(mongo.db, role=None, page=page, per_page=4)
        seen += [u["email"] for u in result["items"]]
        if not result["has_more"]:
            break
        page += 1
    expected = sorted(u["email"] for u in mongo.db.users.find({"role": {"$ne": "customer"}}))
    assert seen == expected and len(seen) == 23


# 3. a privileged change and its audit entry: both or neither -----------------------------------

def break_audit(monkeypatch) -> None:
    """From now on every audit write fails, as if the process died right there."""
    def boom(*args, **kwargs):
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(audit, "record", boom)


def test_a_failed_audit_write_rolls_back_a_user_update(client, monkeypatch):
    _, owner = as_role(client, "owner")
    target = make_user(client, "cashier", name="Before")
    break_audit(monkeypatch)
    response = client.patch(f"{API}/users/{target['_id']}", headers=owner,
                            json={"version": 1, "name": "After", "role": "manager"})
    assert response.status_code == 500
    stored = client.app.state.mongo.db.users.find_one({"_id": target["_id"]})
    assert stored["name"] == "Before" and stored["role"] == "cashier" and stored["version"] == 1


def test_a_failed_audit_write_rolls_back_the_other_user_changes(client, monkeypatch):
    db = client.app.state.mongo.db
    _, owner = as_role(client, "owner")
    target = make_user(client, "cashier")
    break_audit(monkeypatch)
    email = address()
    created = client.post(f"{API}/users", headers=owner,
                          json={"email": email, "password": PASSWORD, "role": "cashier"})
    assert created.status_code == 500 and db.users.find_one({"email": email}) is None
    assert client.delete(f"{API}/users/{target['_id']}", headers=owner).status_code == 500
    assert client.post(f"{API}/users/{target['_id']}/pin", headers=owner,
                       json={"pin": "1234"}).status_code == 500
    stored = db.users.find_one({"_id": target["_id"]})
    assert stored["active"] is True and not stored.get("pin_hash") and stored["version"] == 1
    with pytest.raises(RuntimeError):
        users_service.create_api_key(db, name="k", role="manager", actor="t", ip=None)
    assert db.api_keys.count_documents({}) == 0


def test_a_failed_audit_write_rolls_back_store_and_device_changes(client, monkeypatch):
    db = client.app.state.mongo.db
    _, owner = as_role(client, "owner")
    store, register_ = store_and_register(client, owner)
    break_audit(monkeypatch)
    assert client.post(f"{API}/stores", json=STORE | {"code": "S09"},
                       headers=owner).status_code == 500
    assert db.stores.find_one({"code": "S09"}) is None
    assert client.patch(f"{API}/stores/{store['id']}", headers=owner,
                        json={"version": 1, "name": "Renamed"}).status_code == 500
    assert db.stores.find_one({"_id": store["id"]})["name"] == STORE["name"]
    assert client.post(f"{API}/stores/{store['id']}/registers", headers=owner,
                       json={"code": "r09"}).status_code == 500
    assert db.registers.count_documents({"store_id": store["id"]}) == 1
    assert client.post(f"{API}/registers/{register_['id']}/pairing-code",
                       headers=owner).status_code == 500
    assert db.pairing_codes.count_documents({}) == 0


def test_an_audit_entry_with_an_id_is_written_once(mongo):
    for _ in range(2):
        audit.record(mongo.db, actor="a", action="x", audit_id="e1")
    assert mongo.db.audit_log.count_documents({"_id": "e1"}) == 1


def test_changes_are_still_audited(client):
    db = client.app.state.mongo.db
    _, owner = as_role(client, "owner")
    target = make_user(client, "cashier")
    assert client.patch(f"{API}/users/{target['_id']}", headers=owner,
                        json={"version": 1, "name": "N"}).status_code == 200
    actions = {e["action"] for e in db.audit_log.find({"target": target["_id"]})}
    assert {"user.created", "user.updated"} <= actions


# 4. the owner rule and the version it was checked against -------------------------------------

def test_a_manager_cannot_edit_an_account_promoted_to_owner_meanwhile(client, monkeypatch):
    db = client.app.state.mongo.db
    _, manager = as_role(client, "manager")
    target = make_user(client, "cashier", name="Cash")
    real_get = users_service._get_staff

    def read_then_promoted(db_, user_id):
        seen = real_get(db_, user_id)  # the manager's read: a cashier at version 1
        db.users.update_one({"_id": user_id}, {"$set": {"role": "owner"}, "$inc": {"version": 1}})
        return seen

    monkeypatch.setattr(users_service, "_get_staff", read_then_promoted)
    response = client.patch(f"{API}/users/{target['_id']}", headers=manager,
                            json={"version": 2, "name": "Hijacked", "active": False})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "version_conflict"
    stored = db.users.find_one({"_id": target["_id"]})
    assert stored["name"] == "Cash" and stored["active"] is True and stored["role"] == "owner"


def test_an_edit_based_on_another_version_is_refused(client):
    _, owner = as_role(client, "owner")
    target = make_user(client, "cashier")
    response = client.patch(f"{API}/users/{target['_id']}", headers=owner,
                            json={"version": 2, "name": "x"})
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"current_version": 1}


# 5. sent and failed mails are purged later -----------------------------------------------------

def test_sent_and_failed_mails_get_a_purge_date(mongo, settings, smtp_sink):
    ensure_indexes(mongo.db)
    ttl = [v for v in mongo.db.email_outbox.index_information().values()
           if v["key"] == [("purge_at", 1)]]
    assert ttl and ttl[0]["expireAfterSeconds"] == 0
    to = address()
    sent = enqueue(mongo.db, to=to, subject="purge me", text="x", kind="test")
    failed = enqueue(mongo.db, to=":;@x.com", subject="bad", text="x", kind="test")
    pending = enqueue(mongo.db, to=address(), subject="later", text="x", kind="test")
    mongo.db.email_outbox.update_one({"_id": pending}, {"$set": {
        "next_attempt_at": mongo.db.email_outbox.find_one({"_id": pending})["created_at"]
        + timedelta(days=1)}})
    EmailWorker(mongo.db, settings).run_once()
    smtp_sink.wait_for(to, subject_contains="purge me")
    done = mongo.db.email_outbox.find_one({"_id": sent})
    assert done["status"] == "sent"
    assert abs(done["purge_at"] - done["sent_at"] - KEEP_DONE) < timedelta(seconds=1)
    gave_up = mongo.db.email_outbox.find_one({"_id": failed})
    assert gave_up["status"] == "failed"
    assert abs(gave_up["purge_at"] - gave_up["failed_at"] - KEEP_DONE) < timedelta(seconds=1)
    assert mongo.db.email_outbox.find_one({"_id": pending}).get("purge_at") is None

"""The ``staff`` feed: every write to a staff account (created by a manager, by
``create-user`` or by ``seed-demo``; edited, deactivated, given a PIN; erased) appends the
account's till view in the same transaction, and customers never appear in it."""

from __future__ import annotations

from app.domain.sync_protocol import STAFF_FEED
from server.changes import log as change_log
from server.customers import gdpr
from server.seed.runner import seed
from server.users import service, staff_feed
from tests.server.test_cli_admin import run as run_cli
from tests.server.sync.test_feed import MANAGER, pair, pull_all
from tests.server.test_users import PASSWORD, as_role

API = "/api/v1"
TILL_FIELDS = {"id", "name", "email", "role", "pin_hash", "active", "version"}


def entries(db, user_id: str | None = None) -> list[dict]:
    found = change_log.read(db, STAFF_FEED, after=0, limit=10_000)
    return [e for e in found if user_id is None or e["entity_id"] == user_id]


def test_each_write_to_a_staff_account_appends_its_till_view(client):
    db = client.app.state.mongo.db
    manager, headers = as_role(client, "manager")
    made = client.post(f"{API}/users", headers=headers, json={
        "email": "sam@example.com", "password": PASSWORD, "role": "cashier", "name": "Sam"})
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    renamed = client.patch(f"{API}/users/{user_id}", headers=headers,
                           json={"version": 1, "name": "Samantha", "role": "stock_clerk"})
    assert renamed.status_code == 200, renamed.text
    assert client.post(f"{API}/users/{user_id}/pin", headers=headers,
                       json={"pin": "4321"}).status_code == 200
    assert client.delete(f"{API}/users/{user_id}", headers=headers).status_code == 200
    assert client.delete(f"{API}/users/{user_id}", headers=headers).status_code == 200  # no-op

    mine = entries(db, user_id)
    assert [e["entity"] for e in mine] == ["staff_user"] * 4
    views = [e["data"] for e in mine]
    assert all(set(v) == TILL_FIELDS for v in views)
    assert [v["version"] for v in views] == [1, 2, 3, 4] == [e["version"] for e in mine]
    assert [(v["name"], v["role"]) for v in views[:2]] == [("Sam", "cashier"),
                                                           ("Samantha", "stock_clerk")]
    assert views[1]["pin_hash"] is None and views[2]["pin_hash"].startswith("pbkdf2_sha256$")
    assert [v["active"] for v in views] == [True, True, True, False]
    assert views[3]["pin_hash"] == views[2]["pin_hash"]  # a deactivated account keeps its PIN
    assert entries(db, manager["_id"])[0]["data"]["role"] == "manager"

    till = pair(db)
    pulled, _, _ = pull_all(client, till)
    latest = {c["entity_id"]: c["data"] for c in pulled if c["feed"] == STAFF_FEED}
    assert latest[user_id]["active"] is False and latest[user_id]["email"] == "sam@example.com"


def test_a_refused_write_appends_nothing(client):
    db = client.app.state.mongo.db
    _, headers = as_role(client, "manager")
    user_id = client.post(f"{API}/users", headers=headers, json={
        "email": "kim@example.com", "password": PASSWORD, "role": "cashier"}).json()["id"]
    stale = client.patch(f"{API}/users/{user_id}", headers=headers,
                         json={"version": 7, "name": "Nope"})
    assert stale.status_code == 409
    taken = client.post(f"{API}/users", headers=headers, json={
        "email": "kim@example.com", "password": PASSWORD, "role": "cashier"})
    assert taken.status_code == 409
    assert len(entries(db, user_id)) == 1 and len(entries(db)) == 2  # kim and the manager


def test_customers_never_appear_in_the_staff_feed(client):
    db = client.app.state.mongo.db
    registered = client.post(f"{API}/auth/register", json={
        "email": "shopper@example.com", "password": PASSWORD, "name": "Shopper"})
    assert registered.status_code in (200, 201), registered.text
    service.create_user(db, email="online@example.com", role="customer", password=PASSWORD,
                        verified=True, actor="test", ip=None, rounds=4)
    assert entries(db) == []


def test_create_user_on_the_command_line_appends_staff_only(mongo_uri, db_name, mongo, tmp_path):
    done = run_cli(mongo_uri, db_name, tmp_path, "create-user", "--email", "till@example.com",
                   "--role", "cashier", "--name", "Till", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    run_cli(mongo_uri, db_name, tmp_path, "create-user", "--email", "buyer@example.com",
            "--role", "customer", stdin=PASSWORD + "\n")
    [entry] = entries(mongo.db)
    assert entry["data"]["email"] == "till@example.com" and entry["data"]["role"] == "cashier"


def test_seed_demo_staff_reach_the_feed_with_their_pins(mongo):
    db = mongo.db
    from server.database import ensure_indexes

    ensure_indexes(db)
    summary, _ = seed(db, products=3, customers=2, staff_password=PASSWORD, bcrypt_rounds=4)
    latest = {e["entity_id"]: e["data"] for e in entries(db)}
    assert len(latest) == len(summary.staff) >= 2
    for view in latest.values():
        assert view["pin_hash"].startswith("pbkdf2_sha256$") and view["active"] is True
        assert db.users.find_one({"_id": view["id"]})["version"] == view["version"]


def test_gdpr_erase_of_a_staff_account_scrubs_its_entries(client):
    """A staff member who also shops as a customer linked to their account asks to be erased."""
    db = client.app.state.mongo.db
    _, headers = as_role(client, "manager")
    user = service.create_user(db, email="both@example.com", role="cashier", password=PASSWORD,
                               name="Both", verified=True, actor="test", ip=None, rounds=4)
    made = client.post(f"{API}/customers", headers=headers, json={"name": "Both"})
    assert made.status_code == 201, made.text
    customer_id = made.json()["id"]
    db.customers.update_one({"_id": customer_id}, {"$set": {"user_id": user["_id"]}})
    gdpr.erase(db, customer_id=customer_id, principal=MANAGER, ip=None, request_id=None)
    mine = entries(db, user["_id"])
    assert len(mine) == 2
    assert all("both@example.com" not in str(e["data"]) and e["data"]["name"] == ""
               for e in mine)
    assert mine[-1]["data"]["active"] is False and mine[-1]["data"]["pin_hash"] is None

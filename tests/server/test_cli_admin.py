"""The admin commands as real processes against the session's database: ``create-user`` makes
a verified account, ``pairing-code`` prints a code that pairs a till through the API, and bad
input exits 1 with a sentence saying why."""

from __future__ import annotations

import os
import subprocess

from server.security.passwords import verify_password
from tests.support.server_fixtures import BIN
from tests.server.test_users import API

PASSWORD = "correct-horse-battery"


def run(mongo_uri: str, db_name: str, tmp_path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLPOINT_")}
    env.update({"TILLPOINT_MONGODB_URI": mongo_uri, "TILLPOINT_MONGODB_DB": db_name,
                "TILLPOINT_BCRYPT_ROUNDS": "4", "TILLPOINT_SERVER_DATA_DIR": str(tmp_path / "cli")})
    return subprocess.run([str(BIN / "tillpoint-server"), *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=60)


def test_create_user_makes_a_verified_owner(mongo_uri, db_name, mongo, tmp_path):
    done = run(mongo_uri, db_name, tmp_path, "create-user", "--email", "Boss@Example.com",
               "--role", "owner", "--name", "The Boss", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    user = mongo.db.users.find_one({"email": "boss@example.com"})
    assert (user["role"], user["verified"], user["active"], user["name"]) == ("owner", True, True, "The Boss")
    assert verify_password(PASSWORD, user["password_hash"]) and PASSWORD not in done.stdout
    assert mongo.db.audit_log.find_one({"action": "user.created", "actor": "cli"})
    twice = run(mongo_uri, db_name, tmp_path, "create-user", "--email", "boss@example.com",
                "--role", "owner", stdin=PASSWORD + "\n")
    assert twice.returncode == 1 and "already exists" in twice.stderr


def test_create_user_refuses_a_bad_role_or_a_short_password(mongo_uri, db_name, mongo, tmp_path):
    bad_role = run(mongo_uri, db_name, tmp_path, "create-user", "--email", "a@example.com",
                   "--role", "emperor", stdin=PASSWORD + "\n")
    assert bad_role.returncode == 1
    assert "'emperor' is not a role" in bad_role.stderr and "Traceback" not in bad_role.stderr
    short = run(mongo_uri, db_name, tmp_path, "create-user", "--email", "a@example.com",
                "--role", "cashier", stdin="short\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    assert mongo.db.users.find_one({"email": "a@example.com"}) is None


def test_a_printed_pairing_code_pairs_a_till_through_the_api(mongo_uri, db_name, client, tmp_path):
    done = run(mongo_uri, db_name, tmp_path, "pairing-code", "--register", "R02")
    assert done.returncode == 0, done.stderr
    code = done.stdout.strip()
    assert len(code) == 12 and "register R02 of store S01" in done.stderr
    paired = client.post(f"{API}/devices/pair", json={"code": code})
    assert paired.status_code == 200, paired.text
    assert (paired.json()["store_code"], paired.json()["register_code"]) == ("S01", "R02")
    headers = {"Authorization": f"Device {paired.json()['device_id']}:{paired.json()['device_key']}"}
    assert client.get(f"{API}/devices/me", headers=headers).status_code == 200
    assert client.post(f"{API}/devices/pair", json={"code": code}).status_code == 409


def test_pairing_code_names_the_problem_when_the_store_is_unknown(mongo_uri, db_name, mongo, tmp_path):
    done = run(mongo_uri, db_name, tmp_path, "pairing-code", "--store", "S09", "--register", "R01")
    assert done.returncode == 1 and "no store with code S09" in done.stderr
    bad = run(mongo_uri, db_name, tmp_path, "pairing-code", "--register", "R-01")
    assert bad.returncode == 1 and "register:" in bad.stderr

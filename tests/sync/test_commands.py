"""``tillpoint sync`` and ``tillpoint sync --status`` as real processes against a real server:
exit codes, the one-line summary, the status JSON, and two rounds started at once on one till
never sending anything twice."""

from __future__ import annotations

import json

import pytest
from pymongo import MongoClient

from app import outbox
from db.engine import LocalStore
from tests.support.file_keyring import subprocess_env
from tests.support.tills import (issue_code, pulled_cashier, seed_server,  # noqa: F401
                                 seeded_server, sell, sellable_variants, shared_server,
                                 spawn_tillpoint, tillpoint)


def paired_till(server, tmp_path):
    data_dir = tmp_path / "till"
    done = tillpoint(data_dir, "pair", "--server", server.base_url, "--code",
                     issue_code(server), "--print-key", env=subprocess_env())
    assert done.returncode == 0, done.stderr
    env = subprocess_env(TILLPOINT_DEVICE_KEY=json.loads(done.stdout)["device_key"])
    return server, data_dir, env


@pytest.fixture
def till(seeded_server, tmp_path):
    """The module's seeded server and a till paired with it (a register of its own) by
    ``tillpoint pair --print-key``, its key in the environment as on a headless till:
    ``(server, data_dir, env)``."""
    return paired_till(seeded_server, tmp_path)


def status_of(data_dir, env) -> dict:
    done = tillpoint(data_dir, "sync", "--status", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def open_store(data_dir) -> LocalStore:
    return LocalStore.open(data_dir / "tillpoint.sqlite3")


def sell_some(data_dir, count: int) -> list[str]:
    store = open_store(data_dir)
    try:
        cashier, variants = pulled_cashier(store), sellable_variants(store, 5)
        return [sell(store, cashier, variants[n % len(variants)]) for n in range(count)]
    finally:
        store.close()


def test_sync_exits_0_with_a_summary_and_the_status_says_so(till, mongo_uri):
    server, data_dir, env = till
    assert status_of(data_dir, env)["last_success_at"] is None
    done = tillpoint(data_dir, "sync", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sync ok: pushed 0") and "pulled" in done.stdout
    orders = sell_some(data_dir, 2)
    assert status_of(data_dir, env)["pending"] == 2
    done = tillpoint(data_dir, "sync", env=env)
    assert done.returncode == 0 and "2 applied" in done.stdout and done.stderr == ""
    status = status_of(data_dir, env)
    assert {k: status[k] for k in ("paired", "online", "pending", "last_error",
                                   "issues_unseen")} == \
        {"paired": True, "online": True, "pending": 0, "last_error": None, "issues_unseen": 0}
    assert status["server_url"] == server.base_url and status["last_success_at"]
    assert set(status) == {"paired", "server_url", "device_id", "store_id", "register_id",
                           "online", "last_success_at", "last_attempt_at", "last_error",
                           "pending", "issues_unseen"}
    db = MongoClient(mongo_uri)[server.env["TILLPOINT_MONGODB_DB"]]
    assert db.orders.count_documents({"_id": {"$in": orders}}) == 2


def test_sync_exits_1_when_offline_and_names_the_reason(server_factory, tmp_path):
    server = server_factory()  # its own: this test stops it
    seed_server(server)
    server, data_dir, env = paired_till(server, tmp_path)
    assert tillpoint(data_dir, "sync", env=env).returncode == 0
    sell_some(data_dir, 1)
    server.stop()
    done = tillpoint(data_dir, "sync", env=env, timeout=180)
    assert done.returncode == 1
    assert done.stderr.startswith("tillpoint: sync: push failed: the server at ")
    assert "could not be reached" in done.stderr and "Traceback" not in done.stderr
    status = status_of(data_dir, env)
    assert (status["online"], status["pending"]) == (False, 1)
    assert status["last_error"].startswith("push failed")


def test_sync_exits_1_when_the_server_rejects_a_change(till):
    server, data_dir, env = till
    assert tillpoint(data_dir, "sync", env=env).returncode == 0
    store = open_store(data_dir)
    try:
        status = json.loads(tillpoint(data_dir, "sync", "--status", env=env).stdout)
        with store.write() as session:  # stock of a variant the server has never heard of
            outbox.enqueue(session, kind="stock.movement", entity_id="m-unknown", payload={
                "id": "7f1b9d7e-0000-4000-8000-000000000001", "store_id": status["store_id"],
                "variant_id": "no-such-variant", "kind": "receipt", "quantity_milli": 1000,
                "reason": "", "staff_id": pulled_cashier(store),
                "at": "2026-12-01T10:00:00+00:00"})
    finally:
        store.close()
    done = tillpoint(data_dir, "sync", env=env)
    assert done.returncode == 1 and "1 rejected" in done.stdout
    assert "rejected 1 change(s)" in done.stderr
    status = status_of(data_dir, env)
    assert (status["pending"], status["issues_unseen"], status["last_error"]) == (0, 1, None)


def test_sync_on_an_unpaired_till_exits_1(tmp_path):
    done = tillpoint(tmp_path, "sync", env=subprocess_env())
    assert done.returncode == 1 and "not paired" in done.stderr
    assert json.loads(tillpoint(tmp_path, "sync", "--status", env=subprocess_env()).stdout) \
        ["paired"] is False


def test_two_sync_runs_at_once_never_push_anything_twice(till, mongo_uri):
    server, data_dir, env = till
    assert tillpoint(data_dir, "sync", env=env).returncode == 0
    orders = sell_some(data_dir, 250)
    runs = [spawn_tillpoint(data_dir, "sync", env=env) for _ in range(2)]
    outputs = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    summaries = [out for out, _ in outputs]
    pushed = [int(s.split("pushed ")[1].split(" ")[0]) for s in summaries]
    assert sum(pushed) == 250, summaries  # each sale sent by exactly one of the two
    assert all(" 0 duplicate" in s for s in summaries), summaries
    db = MongoClient(mongo_uri)[server.env["TILLPOINT_MONGODB_DB"]]
    assert db.orders.count_documents({"_id": {"$in": orders}}) == 250
    assert db.sync_mutations.count_documents({"entity_id": {"$in": orders}}) == 250
    assert status_of(data_dir, env)["pending"] == 0

"""Whole sync rounds: against a real server process (pull the seeded shop, sell, push, the
server holds every sale once), offline, with a revoked credential, failing half-way, and
under the sync lock."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from pymongo import MongoClient
from sqlalchemy import select

from app.config.paths import Paths
from db.models import OutboxEntry, Register, SyncState
from sync.client import SyncClient, pair_device
from sync.credentials import device_key, paired_with
from sync.engine import SyncEngine
from sync.errors import NotPaired, SyncBusy
from sync.lock import SyncLock
from sync.pairing import pair
from sync.status import SERVER_FEED, read_status
from tests.support.file_keyring import file_keyring  # noqa: F401
from tests.support.flaky_proxy import FaultPlan, FlakyProxy
from tests.support.tills import (issue_code, pulled_cashier, seeded_server,  # noqa: F401
                                 sell, sellable_variants, shared_server, stocked_shop)
from tests.support.tiny_http import Reply, Seen, TinyServer, error


@pytest.fixture
def live(seeded_server, store, tmp_path, file_keyring):
    """The module's seeded server and this till paired with it as a register of its own:
    ``(server, store, paths)``."""
    pair(store, server=seeded_server.base_url, code=issue_code(seeded_server))
    return seeded_server, store, Paths.resolve(tmp_path)


def server_db(server, mongo_uri):
    return MongoClient(mongo_uri)[server.env["TILLPOINT_MONGODB_DB"]]


def sync_row(store) -> SyncState | None:
    with store.read() as session:
        return session.get(SyncState, SERVER_FEED)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_round_pulls_the_shop_and_pushes_what_was_sold_exactly_once(live, mongo_uri):
    server, store, paths = live
    first = SyncEngine(store, paths).run_round()
    assert first.ok, first.problem()
    assert first.pull.applied > 20 and first.push.sent == 0
    cursor = sync_row(store).cursor
    assert cursor  # the pull's; the engine never touches it
    cashier, variants = pulled_cashier(store), sellable_variants(store, 3)
    orders = [sell(store, cashier, variant) for variant in variants]
    second = SyncEngine(store, paths).run_round()
    assert second.ok, second.problem()
    assert (second.push.sent, second.push.applied) == (3, 3)
    status = read_status(store)
    assert (status.online, status.pending, status.last_error) == (True, 0, None)
    assert status.last_success_at >= status.last_attempt_at == second.started_at
    db = server_db(server, mongo_uri)
    assert sorted(o["_id"] for o in db.orders.find({"_id": {"$in": orders}})) == sorted(orders)
    third = SyncEngine(store, paths).run_round()
    assert third.ok and third.push.sent == 0
    assert db.orders.count_documents({"_id": {"$in": orders}}) == 3


def test_offline_the_round_fails_says_why_and_keeps_everything(live):
    server, store, paths = live
    assert SyncEngine(store, paths).run_round().ok
    before = sync_row(store)
    sell(store, pulled_cashier(store), sellable_variants(store, 1)[0])
    client = SyncClient(closed_port_url(), device_id="d", device_key="k", attempts=2,
                        backoff_base=0.01)
    result = SyncEngine(store, paths, client=client).run_round()
    assert (result.ok, result.failed_step, result.reached_server) == (False, "push", False)
    assert "could not be reached" in result.problem()
    status = read_status(store)
    assert status.online is False and status.pending == 1
    assert status.last_error.startswith("push failed: ") and status.last_attempt_at == result.started_at
    after = sync_row(store)
    assert (after.last_success_at, after.cursor) == (before.last_success_at, before.cursor)
    back = SyncEngine(store, paths).run_round()  # the network is back
    assert back.ok and back.push.applied == 1 and read_status(store).online is True


def test_a_revoked_credential_fails_the_round_and_asks_to_pair_again(live):
    server, store, paths = live
    register = read_status(store).register_id
    with store.read() as session:
        code = session.get(Register, register).code
    pair_device(server.base_url, issue_code(server, code))  # a new till takes over the register
    result = SyncEngine(store, paths).run_round()
    assert result.ok is False and result.reached_server is True
    assert "pair it again" in result.error
    assert read_status(store).online is True  # the server answered: it is not the network


def test_a_round_that_fails_at_the_pull_keeps_what_the_push_achieved(blank_shop, tmp_path):
    cashier, (tea, _) = stocked_shop(blank_shop)
    sell(blank_shop, cashier, tea)

    def script(seen: Seen) -> Reply:
        if seen.path.startswith("/api/v1/sync/push"):
            return Reply(body={"results": [{"id": m["id"], "status": "applied"}
                                           for m in seen.json()["mutations"]],
                               "server_time": "t"})
        return error(500, "internal")

    with TinyServer(script) as server:
        client = SyncClient(server.url, device_id="d", device_key="k", attempts=2,
                            backoff_base=0.01)
        result = SyncEngine(blank_shop, Paths.resolve(tmp_path), client=client).run_round()
    assert (result.failed_step, result.push.applied, result.reached_server) == ("pull", 1, True)
    with blank_shop.read() as session:
        assert session.scalars(select(OutboxEntry)).all() == []
    assert read_status(blank_shop).last_error.startswith("pull failed: ")


def test_an_unpaired_till_is_told_to_pair(blank_shop, tmp_path, file_keyring):
    with pytest.raises(NotPaired, match="tillpoint pair"):
        SyncEngine(blank_shop, Paths.resolve(tmp_path)).run_round()


def test_one_round_at_a_time_per_data_directory(blank_shop, tmp_path):
    held = SyncLock(tmp_path)
    with held:
        started = time.monotonic()
        with pytest.raises(SyncBusy, match="another sync round"):
            SyncEngine(blank_shop, Paths.resolve(tmp_path), lock_timeout=0.3).run_round()
        assert 0.25 <= time.monotonic() - started < 2
    waiting: dict = {}
    with held:
        def later() -> None:
            lock = SyncLock(tmp_path, timeout=10)
            with lock:
                waiting["got"] = time.monotonic()
        worker = threading.Thread(target=later)
        worker.start()
        time.sleep(0.3)
        released = time.monotonic()
    worker.join(10)
    assert waiting["got"] >= released  # it waited for the holder, then ran
    with SyncLock(tmp_path, timeout=0):
        pass  # free again


@pytest.mark.parametrize("seed", [2, 6])
def test_rounds_through_a_flaky_network_deliver_every_sale_exactly_once(live, mongo_uri, seed):
    server, store, paths = live
    assert SyncEngine(store, paths).run_round().ok
    cashier, variants = pulled_cashier(store), sellable_variants(store, 3)
    host, port = server.base_url.removeprefix("http://").split(":")
    plan = FaultPlan(refuse=0.1, drop_request=0.1, drop_reply=0.2, cut_reply=0.2, delay=0.1,
                     delay_s=0.3)
    orders: list[str] = []
    with read_pairing(store) as (device_id, key), FlakyProxy(host, int(port), seed=seed,
                                                             plan=plan) as proxy:
        for _wave in range(4):  # sell, then sync until the outbox is empty, four times
            orders += [sell(store, cashier, variants[n % 3]) for n in range(15)]
            for _ in range(30):
                http = requests.Session()
                http.headers["Connection"] = "close"  # a new connection, a new fate, per request
                client = SyncClient(proxy.url, device_id=device_id, device_key=key, attempts=3,
                                    backoff_base=0.01, timeout=(1, 1), session=http)
                SyncEngine(store, paths, client=client, pull_limit=20).run_round()
                http.close()
                if read_status(store).pending == 0:
                    break
            assert read_status(store).pending == 0, proxy.fates
    assert proxy.fates["drop_reply"] + proxy.fates["cut_reply"] >= 2, proxy.fates
    db = server_db(server, mongo_uri)
    assert db.orders.count_documents({"_id": {"$in": orders}}) == 60
    assert db.sync_mutations.count_documents({"entity_id": {"$in": orders}}) == 60
    movements = db.stock_movements.count_documents({"reference.id": {"$in": orders}})
    assert movements == 60  # one line each: every movement posted once


@contextmanager
def read_pairing(store):
    with store.read() as session:
        pairing = paired_with(session)
    yield pairing.device_id, device_key(pairing.device_id)

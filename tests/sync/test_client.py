"""The sync HTTP client against tiny real HTTP servers that fail on cue (retries, backoff,
Retry-After, timeouts, cut replies, error mapping, reply shapes) and against a real server
(the device credential and ``whoami``)."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from app.domain.errors import InvalidInput
from sync import errors
from sync.client import SyncClient, normalise_server_url, pair_device
from tests.support.tiny_http import Reply, TinyServer, error, failing
from tests.support.tills import issue_code

DEVICE = str(uuid.uuid4())
PAGE = {"changes": [{"feed": "catalog", "seq": 1, "entity": "product", "entity_id": "p1",
                     "op": "upsert", "version": 1, "data": {"id": "p1"}}],
        "cursor": "abc", "has_more": False, "server_time": "2026-12-01T00:00:00+00:00"}


def client_for(server: TinyServer, **kwargs) -> SyncClient:
    options = {"attempts": 4, "backoff_base": 0.01, "backoff_cap": 0.05, "timeout": (1, 2)}
    return SyncClient(server.url, device_id=DEVICE, device_key="k3y", **{**options, **kwargs})


def test_the_device_credential_and_the_routes():
    with TinyServer(lambda seen: Reply(body=PAGE)) as server, client_for(server) as client:
        assert client.changes("", 50) == PAGE
        seen = server.seen[0]
        assert seen.method == "GET" and seen.path == "/api/v1/sync/changes?cursor=&limit=50"
        assert seen.headers["Authorization"] == f"Device {DEVICE}:k3y"


@pytest.mark.parametrize("failure", [
    lambda: error(503, "unavailable"), lambda: error(500, "internal"),
    lambda: error(429, "rate_limited"), lambda: Reply(body=b""),  # a reply cut in its headers
    lambda: Reply(body=b'{"changes": [{"fe'), lambda: Reply(drop=True)])
def test_transient_failures_are_retried_until_an_answer(failure):
    with TinyServer(failing(3, Reply(body=PAGE), failure)) as server, \
            client_for(server) as client:
        assert client.changes("c", 10)["cursor"] == "abc"
        assert len(server.seen) == 4


def test_a_server_that_keeps_failing_is_a_server_error_after_the_attempts():
    with TinyServer(lambda seen: error(502, "bad_gateway")) as server, \
            client_for(server, attempts=3) as client:
        with pytest.raises(errors.ServerError, match="after 3 attempts") as caught:
            client.changes("", 10)
        assert len(server.seen) == 3 and caught.value.status == 502


def test_retry_after_is_honoured():
    script = failing(1, Reply(body=PAGE), lambda: error(429, "rate_limited", **{"Retry-After": "1"}))
    with TinyServer(script) as server, client_for(server) as client:
        client.changes("", 10)
        assert server.seen[1].at - server.seen[0].at >= 0.95


def test_backoff_is_exponential_with_full_jitter_and_capped():
    client = SyncClient("http://127.0.0.1:9", device_id=DEVICE, device_key="k")
    for attempt, ceiling in ((1, 0.25), (2, 0.5), (3, 1.0), (6, 8.0), (12, 8.0)):
        delays = [client._delay(attempt, None) for _ in range(300)]
        assert 0 <= min(delays) and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.7  # spread over the whole range, not a fixed step
    assert client._delay(1, 5.0) == 5.0


def test_a_server_that_never_answers_is_offline_within_the_timeouts():
    with TinyServer(lambda seen: Reply(body=PAGE, delay=5)) as server, \
            client_for(server, attempts=2, timeout=(0.5, 0.3)) as client:
        started = time.monotonic()
        with pytest.raises(errors.Offline, match="no answer within the read timeout"):
            client.changes("", 10)
        assert time.monotonic() - started < 2.5 and len(server.seen) == 2


def test_nobody_listening_is_offline():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SyncClient(f"http://127.0.0.1:{port}", device_id=DEVICE, device_key="k",
                        attempts=2, backoff_base=0.01)
    with pytest.raises(errors.Offline, match="could not be reached after 2 attempts") as caught:
        client.whoami()
    assert caught.value.retryable and client.reached_server is False


@pytest.mark.parametrize(("reply", "raised"), [
    (error(401, "unauthorized", "revoked"), errors.CredentialRejected),
    (error(403, "forbidden"), errors.CredentialRejected),
    (error(422, "validation_error", "cursor: is not a sync cursor"), errors.ProtocolError),
    (error(413, "too_large"), errors.ProtocolError),
])
def test_refusals_are_not_retried(reply, raised):
    with TinyServer(lambda seen: reply) as server, client_for(server) as client:
        with pytest.raises(raised) as caught:
            client.changes("", 10)
        assert len(server.seen) == 1 and not caught.value.retryable
        assert caught.value.status == reply.status and client.reached_server


def test_a_gone_cursor_carries_the_reason_and_feed():
    gone = error(410, "cursor_gone", "start again", {"reason": "epoch_changed", "feed": "catalog"})
    with TinyServer(lambda seen: gone) as server, client_for(server) as client:
        with pytest.raises(errors.CursorGone) as caught:
            client.changes("old", 10)
    assert (caught.value.reason, caught.value.feed) == ("epoch_changed", "catalog")


@pytest.mark.parametrize("body", [
    [], {"changes": {}, "cursor": "x", "has_more": False},
    {"changes": [], "cursor": 5, "has_more": False}, {"changes": [], "cursor": "x"},
    {"changes": [{"feed": "catalog", "seq": "1", "entity": "product", "entity_id": "p",
                  "op": "upsert", "data": {}}], "cursor": "x", "has_more": False},
    {"changes": [{"feed": "catalog", "seq": 1, "entity": "product", "entity_id": "p",
                  "op": "merge", "data": {}}], "cursor": "x", "has_more": False},
])
def test_a_changes_page_of_the_wrong_shape_is_a_protocol_error(body):
    with TinyServer(lambda seen: Reply(body=body)) as server, client_for(server) as client:
        with pytest.raises(errors.ProtocolError, match="sync protocol"):
            client.changes("", 10)
        assert len(server.seen) == 1


def test_push_sends_compact_json_and_checks_one_result_per_mutation_in_order():
    ids = [str(uuid.uuid4()) for _ in range(3)]
    mutations = [{"id": i, "seq": n + 1, "kind": "order.created", "entity_id": "o",
                  "payload": {"name": "Café"}, "created_at": "2026-12-01T00:00:00+00:00",
                  "staff_id": None} for n, i in enumerate(ids)]
    good = {"results": [{"id": i, "status": "applied"} for i in ids], "server_time": "t"}
    with TinyServer(lambda seen: Reply(body=good)) as server, client_for(server) as client:
        assert client.push(mutations) == good
        sent = server.seen[0]
        assert sent.path == "/api/v1/sync/push" and sent.json() == {"mutations": mutations}
        assert b", " not in sent.body and "Café".encode() in sent.body
    for bad in ({"results": good["results"][:2]}, {"results": list(reversed(good["results"]))},
                {"results": [{**r, "status": "maybe"} for r in good["results"]]}):
        with TinyServer(lambda seen, bad=bad: Reply(body=bad)) as server, \
                client_for(server) as client:
            with pytest.raises(errors.ProtocolError):
                client.push(mutations)


@pytest.mark.parametrize(("typed", "normal"), [
    ("https://tills.example.com", "https://tills.example.com"),
    (" http://10.0.0.5:8000/ ", "http://10.0.0.5:8000"),
    ("HTTP://Shop.Example.com/api/v1/", "http://shop.example.com"),
    ("http://[::1]:8700", "http://[::1]:8700"),
])
def test_server_addresses_are_normalised(typed, normal):
    assert normalise_server_url(typed) == normal


@pytest.mark.parametrize("typed", ["", "tills.example.com", "ftp://x.example.com",
                                   "http://", "http://host:99999", "http://host/shop",
                                   "http://host/?a=1", "http://user:pw@host"])
def test_bad_server_addresses_name_the_field(typed):
    with pytest.raises(InvalidInput) as caught:
        normalise_server_url(typed)
    assert caught.value.field == "server"


def test_pairing_is_tried_once_and_a_refused_code_says_why():
    with TinyServer(lambda seen: error(500, "internal")) as server:
        with pytest.raises(errors.ServerError):
            pair_device(server.url, "ABCDEFGHJK")
        assert len(server.seen) == 1
    used = error(409, "pairing_code_used", "this pairing code was already used")
    with TinyServer(lambda seen: used) as server:
        with pytest.raises(errors.PairingRefused, match="already used"):
            pair_device(server.url, "ABCDEFGHJK")


def test_whoami_against_a_real_server_names_the_store_and_register(server_factory):
    server = server_factory()
    paired = pair_device(server.base_url, issue_code(server, "R07"))
    with SyncClient(server.base_url, device_id=paired["device_id"],
                    device_key=paired["device_key"]) as client:
        me = client.whoami()
    assert (me["store_code"], me["register_code"], me["currency"]) == ("S01", "R07", "EUR")
    assert me["store_name"] and me["prices_include_tax"] is True and me["timezone"] == "UTC"
    assert me["register_name"] == ""
    with SyncClient(server.base_url, device_id=paired["device_id"], device_key="wrong") as bad:
        with pytest.raises(errors.CredentialRejected):
            bad.whoami()

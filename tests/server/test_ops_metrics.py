"""``GET /metrics``: request counts, latency, 5xx and database time, in-process and summed over
the workers of a real two-worker server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from server import metrics
from server.app import create_app
from server.database import Mongo


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition text, by (name, labels)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def timed_client(settings, mongo):
    """The app in-process, its database client timed as the server's workers time it."""
    from fastapi.testclient import TestClient

    connection = Mongo.open(settings.mongodb_uri, settings.database,
                            event_listeners=[metrics.DATABASE_TIMER])
    app = create_app(settings, connection)

    @app.get("/test-only/boom")  # added by the test to this app only: a route that fails
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_counts_latency_errors_and_database_time_go_up(timed_client):
    before = timed_client.get("/metrics")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain")
    for _ in range(3):
        assert timed_client.get("/ready").status_code == 200  # a ping: database time
    assert timed_client.get("/api/v1/nowhere").status_code == 404
    failed = timed_client.get("/test-only/boom", headers={"X-Request-ID": "boom-1"})
    assert failed.status_code == 500
    assert failed.headers["x-request-id"] == "boom-1"  # even a crash echoes the id
    assert failed.headers["x-content-type-options"] == "nosniff"
    after = timed_client.get("/metrics").text
    was = before.text

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(was, name, **labels)

    assert delta("tillpoint_http_requests_total", method="GET", route="/ready", status="200") == 3
    assert delta("tillpoint_http_request_duration_seconds_count", method="GET", route="/ready") == 3
    assert delta("tillpoint_http_request_duration_seconds_sum", method="GET", route="/ready") > 0
    # Unmatched paths share one series: a scanner cannot create a series per path.
    assert delta("tillpoint_http_requests_total", method="GET", route="unmatched",
                 status="404") == 1
    assert delta("tillpoint_http_server_errors_total", method="GET", route="/test-only/boom") == 1
    assert delta("tillpoint_http_server_errors_total", method="GET", route="/ready") == 0
    assert delta("tillpoint_db_command_duration_seconds_count", command="ping") >= 3
    assert delta("tillpoint_db_command_duration_seconds_sum", command="ping") > 0


def test_metrics_of_both_workers_are_summed(server_factory):
    server = server_factory(workers=2)
    sent = 0
    pids: set[int] = set()
    # Fresh connections, concurrently, so that both workers accept some; more rounds until
    # the access log shows that both did (it names the pid of each line's worker).
    with ThreadPoolExecutor(8) as pool:
        for _ in range(10):
            codes = list(pool.map(lambda _: requests.get(server.url("/health"), timeout=10)
                                  .status_code, range(40)))
            assert codes == [200] * 40
            sent += 40
            pids = _health_pids(server, sent)
            if len(pids) == 2:
                break
    assert len(pids) == 2, f"one worker served every request: {pids}"
    for _ in range(4):  # whichever worker answers the scrape counts everyone's requests
        text = requests.get(server.url("/metrics"), timeout=10).text
        assert value(text, "tillpoint_http_requests_total", method="GET", route="/health",
                     status="200") == sent
        assert value(text, "tillpoint_http_request_duration_seconds_count", method="GET",
                     route="/health") == sent
        assert value(text, "tillpoint_db_command_duration_seconds_count", command="ping") > 0
    # The launcher made the shared directory for this run, and removes it on a clean stop.
    environ = Path(f"/proc/{min(pids)}/environ").read_bytes().split(b"\0")
    shared = Path(dict(v.decode().partition("=")[::2] for v in environ if v)
                  ["PROMETHEUS_MULTIPROC_DIR"])
    assert any(shared.iterdir())
    assert server.stop() == 0
    assert not shared.exists()


def _health_pids(server, expected: int, timeout: float = 5.0) -> set[int]:
    """The pids that logged /health requests, once ``expected`` of them are in the log."""
    deadline = time.monotonic() + timeout
    while True:
        # Every complete line is JSON (workers too); the last one may still be being written.
        text = server.log()
        complete = text[:text.rfind("\n") + 1]
        lines = [json.loads(line) for line in complete.splitlines()]
        health = [e for e in lines if e.get("logger") == "tillpoint.access"
                  and e.get("route") == "/health"]
        if len(health) >= expected or time.monotonic() > deadline:
            return {e["pid"] for e in health}
        time.sleep(0.05)

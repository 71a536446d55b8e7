"""`tillpoint demo` starts a real central server on its embedded database beside the client."""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest

from app.demo_server import DEMO_OWNER_EMAIL, LocalServer
from server.embedded import free_port


@pytest.mark.slow
def test_the_demo_server_starts_seeds_the_demo_shop_and_stops_with_its_database(tmp_path):
    server = LocalServer(tmp_path / "server", port=free_port(), products=40)
    assert server.start()
    try:
        assert server.ready.wait(150), server.problem
        with urllib.request.urlopen(f"{server.url}/health", timeout=5) as response:
            assert json.load(response) == {"status": "ok"}
        login = urllib.request.Request(
            f"{server.url}/api/v1/auth/login", method="POST",
            data=json.dumps({"email": DEMO_OWNER_EMAIL, "password": "demo-owner-password"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=30) as response:
            assert "access_token" in json.load(response)
        with urllib.request.urlopen(f"{server.url}/api/v1/products?per_page=100", timeout=30) as r:
            assert len(json.load(r)["items"]) == 40  # the demo catalogue, as the client has it
        database_pid = json.loads((tmp_path / "server" / "embedded.json").read_text())["pid"]
    finally:
        server.stop()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(database_pid):
        time.sleep(0.2)
    assert not _alive(database_pid), "the embedded database outlived the demo server"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_a_second_demo_start_finds_its_shop_seeded_and_is_ready(tmp_path):
    for _ in range(2):  # the second seed-demo refuses the non-empty catalogue: that is ready too
        server = LocalServer(tmp_path / "server", port=free_port(), products=10)
        assert server.start()
        try:
            assert server.ready.wait(150), server.problem
        finally:
            server.stop()

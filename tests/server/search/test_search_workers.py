"""End to end on a real ``tillpoint-server --workers 2``: both workers answer searches from the
same read model, exactly one of them follows the change log (it holds the flock), and when it
is killed another takes over."""

from __future__ import annotations

import os
import signal

import pytest
import requests

from server.database import Mongo
from tests.server.search.conftest import Catalog, wait_for


def _lock_holders(lock_path) -> set[int]:
    """PIDs holding an flock on ``lock_path`` (from /proc/locks)."""
    inode = os.stat(lock_path).st_ino
    holders = set()
    with open("/proc/locks") as locks:
        for line in locks:
            parts = line.split()
            if "FLOCK" in parts and parts[-3].endswith(f":{inode}"):
                holders.add(int(parts[-4]))
    return holders


def _search(server, q: str) -> dict:
    with requests.Session() as session:  # a new connection each time: spread over the workers
        session.headers["Connection"] = "close"
        response = session.get(server.url("/api/v1/search/products"), params={"q": q}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.slow
def test_one_follower_among_workers_and_takeover(server_factory, mongo_uri, tmp_path) -> None:
    search_dir = tmp_path / "shared-search"
    server = server_factory(workers=2, TILLPOINT_SEARCH_DIR=str(search_dir))
    mongo = Mongo.open(mongo_uri, server_factory.database)
    try:
        catalog = Catalog(mongo)
        first = catalog.product("Copper kettle")
        wait_for(lambda: [i["id"] for i in _search(server, "kettle")["items"]] == [first["id"]],
                 what="searchable through the server")
        for _ in range(10):  # whichever worker answers, it reads the same file
            assert [i["id"] for i in _search(server, "copper")["items"]] == [first["id"]]
        holders = wait_for(lambda: _lock_holders(search_dir / "writer.lock"),
                           what="a follower holds the lock")
        assert len(holders) == 1

        os.kill(holders.pop(), signal.SIGKILL)
        second = catalog.product("Copper pan")
        wait_for(lambda: {i["id"] for i in _search(server, "copper")["items"]} ==
                 {first["id"], second["id"]}, timeout=30, what="another follower took over")
        assert len(_lock_holders(search_dir / "writer.lock")) == 1
    finally:
        mongo.close()

"""Fixtures of the sync fault tests: a seeded shop behind its door, and paired tills
(``tests.support.sync_harness``)."""

from __future__ import annotations

import uuid

import pytest

from tests.support.server_fixtures import ServerProcess, start_server
from tests.support.sync_harness import Shop, Till, fault_seed, make_tills, start_shop


@pytest.fixture
def fault_server_factory(mongo_uri, tmp_path, smtp_sink):
    """``server_factory`` without dropping the database at the end: SecantusDB drops a
    database document by document (87 s after 1,000 synced sales, measured here), and the
    session's database process and its storage are thrown away anyway."""
    started: list[ServerProcess] = []
    name = f"t_{uuid.uuid4().hex[:16]}"

    def start(*, workers: int = 1, database: str | None = None, **env: str) -> ServerProcess:
        overrides = {"TILLPOINT_MONGODB_URI": mongo_uri, "TILLPOINT_MONGODB_DB": database or name,
                     "TILLPOINT_SMTP_HOST": "127.0.0.1", "TILLPOINT_SMTP_PORT": str(smtp_sink.port),
                     **env}
        server = start_server(overrides, tmp_path, workers=workers)
        started.append(server)
        return server

    start.database = name  # type: ignore[attr-defined]
    yield start
    for server in started:
        server.stop(timeout=5)


@pytest.fixture
def shop(fault_server_factory, mongo_uri):
    """A seeded server behind its door (overrides the local demo ``shop`` of tests/conftest)."""
    made = start_shop(fault_server_factory, mongo_uri)
    yield made
    made.close()


@pytest.fixture
def till(shop: Shop, tmp_path) -> Till:
    made = make_tills(shop, 1, tmp_path)[0]
    yield made
    made.close()


@pytest.fixture
def two_tills(shop: Shop, tmp_path) -> list[Till]:
    made = make_tills(shop, 2, tmp_path)
    yield made
    for t in made:
        t.close()


@pytest.fixture
def seed() -> int:
    chosen = fault_seed()
    print(f"\nTILLPOINT_FAULT_SEED={chosen}")
    return chosen

"""Fixtures of the sync fault tests: a seeded shop behind its door, and paired tills
(``tests.support.sync_harness``)."""

from __future__ import annotations

import pytest

from tests.support.server_fixtures import servers_on
from tests.support.sync_harness import Shop, Till, fault_seed, make_tills, start_shop


@pytest.fixture
def fault_server_factory(mongo_uri, tmp_path, smtp_sink):
    """``server_factory`` that leaves its database behind (see ``servers_on``)."""
    yield from servers_on(mongo_uri, tmp_path, smtp_sink, drop=False, stop_timeout=5)


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

"""Fixtures of the sync fault tests: a seeded shop behind its door, and paired tills
(``tests.support.sync_harness``)."""

from __future__ import annotations

import pytest

from tests.support.server_fixtures import servers_on
from tests.support.sync_harness import (Shop, ShopTemplate, Till, fault_seed, make_tills,
                                        seed_template, start_shop)


@pytest.fixture
def fault_mongo_uri(mongo_uri) -> str:
    """The database process the shop's server runs on (a module may bring its own)."""
    return mongo_uri


@pytest.fixture
def fault_server_factory(fault_mongo_uri, tmp_path, smtp_sink):
    """``server_factory`` that leaves its database behind (see ``servers_on``)."""
    yield from servers_on(fault_mongo_uri, tmp_path, smtp_sink, drop=False, stop_timeout=5)


@pytest.fixture(scope="session")
def shop_template(mongo_uri, tmp_path_factory) -> ShopTemplate:
    """The demo shop and its registers' pairing codes, seeded once for every shop."""
    return seed_template(mongo_uri, tmp_path_factory.mktemp("shop-template"))


@pytest.fixture
def shop(fault_server_factory, fault_mongo_uri, shop_template):
    """A seeded server behind its door (overrides the local demo ``shop`` of tests/conftest):
    a copy of the template's database, so each test has a shop of its own."""
    made = start_shop(fault_server_factory, fault_mongo_uri, template=shop_template)
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

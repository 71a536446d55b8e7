"""Shared fixtures: real local stores in a temporary directory (no mocks of the database)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

#: the real database process, server processes and SMTP sink, shared by server, sync, fault and
#: benchmark tests (one SecantusDB per session)
pytest_plugins = ["tests.support.server_fixtures", "tests.support.fake_stripe.fixtures"]

# Qt runs offscreen everywhere in the suite (CI has no display).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import select  # noqa: E402

from app import demo  # noqa: E402
from app.setup import initialise  # noqa: E402
from db.engine import LocalStore  # noqa: E402
from db.models import StaffUser  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TEST_OUTPUT = Path(os.environ.get("TILLPOINT_TEST_OUTPUT", REPO / "test-output"))


@pytest.fixture(scope="session")
def migrated_store_file(tmp_path_factory) -> Path:
    """A new store file as ``LocalStore.open`` leaves it (every migration applied, nothing
    else in it), made once per run: migrating a new file takes ~0.6 s, copying this ~0.05 s."""
    path = tmp_path_factory.mktemp("migrated-store") / "tillpoint.sqlite3"
    LocalStore.open(path).close()
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the closed store left {leftovers} beside it"  # all in one file
    return path


@pytest.fixture
def store(tmp_path: Path, migrated_store_file: Path):
    """An empty, migrated local store (no shop yet): a copy of ``migrated_store_file``, which
    ``LocalStore.open`` finds at the newest schema."""
    path = tmp_path / "tillpoint.sqlite3"
    shutil.copyfile(migrated_store_file, path)
    local = LocalStore.open(path)
    yield local
    local.close()


@pytest.fixture(scope="session")
def demo_shop_file(tmp_path_factory) -> Path:
    """The demo shop of ``shop``, generated once per run; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("demo-shop") / "tillpoint.sqlite3"
    template = LocalStore.open(path)
    try:
        with template.write() as session:
            demo.generate(session, products=300, customers=40)
    finally:
        template.close()
    return path


@pytest.fixture
def shop(store: LocalStore, demo_shop_file: Path) -> LocalStore:
    """A store holding a small deterministic demo shop (300 products, EUR, prices incl. VAT).

    Copied page by page from the run's template with SQLite's backup API (a few milliseconds
    against ~0.3 s to generate: hundreds of tests start from this shop)."""
    source = sqlite3.connect(demo_shop_file)
    target = store.writer.raw_connection()
    try:
        source.backup(target.driver_connection)
    finally:
        target.close()
        source.close()
    store.reader.dispose()  # readers opened before the copy re-read the schema
    return store


@pytest.fixture
def blank_shop(store: LocalStore) -> LocalStore:
    """An initialised store with no catalogue, for tests that build exactly what they need."""
    with store.write() as session:
        initialise(session, store_name="Test Shop", currency="EUR")
    return store


@pytest.fixture
def cashier_id(shop: LocalStore) -> str:
    with shop.read() as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.role == "cashier")
                              .order_by(StaffUser.email))


@pytest.fixture(scope="session")
def test_output() -> Path:
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT

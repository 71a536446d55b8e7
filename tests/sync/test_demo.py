"""`tillpoint demo` with its local server: the till pairs itself with the seeded demo shop and
syncs in the background; a second start finds it paired; an older local-only demo stays
offline and says why."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.config.paths import Paths
from app.demo import FAVOURITE_CATEGORIES
from app.demo_server import LocalServer
from app.setup import initialise
from db.engine import LocalStore
from db.models import Product, TillFavourite
from server.embedded import free_port
from sync import demo
from sync.status import read_status
from tests.support.file_keyring import no_keyring  # noqa: F401 - fixture


@pytest.mark.slow
def test_the_demo_till_pairs_with_its_server_and_syncs_without_a_keyring(tmp_path, monkeypatch,
                                                                          no_keyring):
    monkeypatch.delenv(demo.KEY_ENV, raising=False)  # restored after the test
    paths = Paths.resolve(str(tmp_path / "till"))
    server = LocalServer(tmp_path / "server", port=free_port(), products=40)
    assert server.start()
    try:
        first = demo.prepare(paths, server, timeout=150)
        assert first.state == "paired", first.message
        assert (tmp_path / "server" / demo.KEY_FILE).stat().st_mode & 0o077 == 0
        again = demo.prepare(paths, server, timeout=10)
        assert again.state == "already_paired", again.message
    finally:
        server.stop()
    store = LocalStore.open(paths.store)
    try:
        status = read_status(store)
        assert status.paired and status.online and status.pending == 0
        with store.read() as session:
            assert session.scalar(select(func.count()).select_from(Product)) == 40
            # the favourite buttons are the till's own: seeded once after the first pull
            favourites = session.scalar(select(func.count()).select_from(TillFavourite))
            assert 0 < favourites <= len(FAVOURITE_CATEGORIES) * 6
    finally:
        store.close()


@pytest.mark.slow
def test_an_older_local_only_demo_stays_offline_and_says_why(tmp_path):
    paths = Paths.resolve(str(tmp_path / "till"))
    store = LocalStore.open(paths.store)
    with store.write() as session:
        initialise(session)
    store.close()
    server = LocalServer(tmp_path / "server", port=free_port(), products=5)
    assert server.start()
    try:
        outcome = demo.prepare(paths, server, timeout=150)
    finally:
        server.stop()
    assert outcome.state == "local_only" and "offline" in outcome.message

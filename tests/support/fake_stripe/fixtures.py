"""pytest fixtures for the fake Stripe (registered from tests/conftest.py's pytest_plugins)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fake import FakeStripe


@pytest.fixture(scope="module")
def fake_stripe_server() -> Iterator[FakeStripe]:
    """One fake per test module (starting it costs a thread and a port, not much more)."""
    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture
def fake_stripe(fake_stripe_server: FakeStripe) -> FakeStripe:
    """The module's fake, emptied for this test: no objects, readers, faults or saved keys."""
    fake_stripe_server.reset()
    return fake_stripe_server

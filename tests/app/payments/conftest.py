"""Fixtures for the Stripe Terminal tests: the real SDK against the fake Stripe (one per module),
with one reader, and after every test the property the issue asks for — the fake never holds
more than one captured PaymentIntent per (sale, tender line)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from app.payments.stripe_terminal import StripeTerminal
from tests.support.fake_stripe import FakeStripe

READER = "tmr_till1"


def captured_per_line(fake: FakeStripe) -> Counter:
    return Counter((pi["metadata"].get("sale_id"), pi["metadata"].get("tender_index"))
                   for pi in fake.captured())


@pytest.fixture
def stripe_fake(fake_stripe: FakeStripe) -> Iterator[FakeStripe]:
    fake_stripe.add_reader(READER, label="Till 1")
    yield fake_stripe
    fake_stripe.go_online()
    doubles = {line: n for line, n in captured_per_line(fake_stripe).items() if n > 1}
    assert not doubles, f"more than one captured PaymentIntent for a tender line: {doubles}"


@pytest.fixture
def make_terminal(stripe_fake: FakeStripe) -> Callable[..., StripeTerminal]:
    """A provider on the fake; a second call is a fresh one (a till restarted)."""

    def make(*, key: str | None = None, reader: str = READER,
             read_timeout_s: float = 20) -> StripeTerminal:
        return StripeTerminal(stripe_fake.api_key if key is None else key, reader,
                              stripe_fake.url, connect_timeout_s=3,
                              read_timeout_s=read_timeout_s)

    return make


@pytest.fixture
def terminal(make_terminal: Callable[..., StripeTerminal]) -> StripeTerminal:
    return make_terminal()

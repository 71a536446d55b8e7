"""A real ``stripe`` SDK client pointed at the module's fake (no retries: each test says
exactly which requests it makes)."""

from __future__ import annotations

import pytest
import stripe

from tests.support.fake_stripe import FakeStripe


@pytest.fixture
def client(fake_stripe: FakeStripe) -> stripe.StripeClient:
    return stripe.StripeClient(fake_stripe.api_key, base_addresses={"api": fake_stripe.url},
                               max_network_retries=0)


@pytest.fixture
def reader(fake_stripe: FakeStripe) -> str:
    fake_stripe.add_reader("tmr_till1", label="Till 1")
    return "tmr_till1"

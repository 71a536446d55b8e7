"""The provider against Stripe's own test mode, with a simulated reader — run only when
``STRIPE_TEST_KEY`` (an ``sk_test_…`` key) is set and the machine can reach api.stripe.com;
skipped otherwise (CI has no internet). The same checks as the fake's scenarios: approved and
captured once, a decline in words with the intent cancelled, cancel at the reader, and a
partial then full refund never past what was captured."""

from __future__ import annotations

import os
import time

import pytest

from app.payments.base import AttemptState, PaymentRequest
from app.payments.stripe_terminal import StripeTerminal

KEY = os.environ.get("STRIPE_TEST_KEY", "")
pytestmark = pytest.mark.skipif(not KEY.startswith(("sk_test_", "rk_test_")),
                                reason="STRIPE_TEST_KEY (a test-mode key) is not set")


@pytest.fixture(scope="module")
def live():  # noqa: ANN201 - (StripeClient, simulated reader id)
    import stripe

    client = stripe.StripeClient(KEY)
    location = client.v1.terminal.locations.create(params={
        "display_name": "Tillpoint test", "address": {
            "line1": "1 Test Street", "city": "Dublin", "country": "IE", "postal_code": "D01"}})
    reader = client.v1.terminal.readers.create(params={
        "registration_code": "simulated-wpe", "location": location.id, "label": "tillpoint"})
    yield client, reader.id
    client.v1.terminal.readers.delete(reader.id)
    client.v1.terminal.locations.delete(location.id)


def _follow(provider: StripeTerminal, request: PaymentRequest, ref: str):  # noqa: ANN202
    deadline = time.monotonic() + 30
    status = provider.status(request, ref)
    while not status.state.final and time.monotonic() < deadline:
        time.sleep(1)
        status = provider.status(request, ref)
    return status


def _present(client, reader_id: str, number: str) -> None:  # noqa: ANN001
    client.v1.test_helpers.terminal.readers.present_payment_method(
        reader_id, params={"type": "card_present", "card_present": {"number": number}})


def _request(tag: str, amount: int = 1000) -> PaymentRequest:
    return PaymentRequest(f"live-{tag}-{time.time_ns()}", 0, 1, amount, "eur")


def test_approved_then_refunded_in_two_parts(live):
    client, reader_id = live
    provider = StripeTerminal(KEY, reader_id)
    request = _request("ok")
    ref = provider.prepare(request).reference
    provider.start(request)
    _present(client, reader_id, "4242424242424242")
    status = _follow(provider, request, ref)
    assert status.state is AttemptState.SUCCEEDED and status.card_last4 == "4242"
    assert client.v1.payment_intents.retrieve(ref).amount_received == 1000
    assert provider.refund(ref, 400, "eur", f"{request.key}:r1").succeeded
    assert provider.refund(ref, 600, "eur", f"{request.key}:r2").succeeded
    assert not provider.refund(ref, 1, "eur", f"{request.key}:r3").succeeded


def test_declined_is_said_in_words_and_the_intent_cancelled(live):
    client, reader_id = live
    provider = StripeTerminal(KEY, reader_id)
    request = _request("decline")
    ref = provider.prepare(request).reference
    provider.start(request)
    _present(client, reader_id, "4000000000009995")
    status = _follow(provider, request, ref)
    assert status.state is AttemptState.FAILED and "insufficient funds" in status.message
    assert client.v1.payment_intents.retrieve(ref).status == "canceled"


def test_cancel_at_the_reader_takes_nothing(live):
    client, reader_id = live
    provider = StripeTerminal(KEY, reader_id)
    request = _request("cancel")
    ref = provider.prepare(request).reference
    provider.start(request)
    assert provider.cancel(request, ref).state is AttemptState.CANCELED
    assert client.v1.payment_intents.retrieve(ref).status == "canceled"

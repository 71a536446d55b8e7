"""Faults the fake stages for the SDK: a reply lost after the change was made, a change never
made, a slow answer past the client's timeout, Stripe's 500, no internet at all."""

from __future__ import annotations

import threading

import pytest
import stripe

from tests.support.fake_stripe import FakeStripe

PARAMS = {"amount": 900, "currency": "gbp", "payment_method_types": ["card_present"],
          "capture_method": "manual"}


def create(client: stripe.StripeClient, key: str):
    return client.v1.payment_intents.create(PARAMS, {"idempotency_key": key})


def test_drop_after_leaves_the_intent_and_the_retry_finds_it(client, fake_stripe) -> None:
    fake_stripe.fail_next("POST", "/v1/payment_intents", mode="drop_after")
    with pytest.raises(stripe.APIConnectionError):
        create(client, "s:0:1")
    assert len(fake_stripe.payment_intents) == 1  # made, though the till never heard
    (made,) = fake_stripe.payment_intents
    retried = create(client, "s:0:1")
    assert retried.id == made and len(fake_stripe.payment_intents) == 1
    assert retried.last_response.headers["Idempotent-Replayed"] == "true"
    assert [(r.fault, r.status, r.replayed) for r in fake_stripe.requests] == [
        ("drop_after", None, False), (None, 200, True)]


def test_drop_before_applies_nothing(client, fake_stripe: FakeStripe) -> None:
    fake_stripe.fail_next("POST", "/v1/payment_intents", mode="drop_before", times=2)
    for _ in range(2):
        with pytest.raises(stripe.APIConnectionError):
            create(client, "s:0:1")
    assert fake_stripe.payment_intents == {}
    assert create(client, "s:0:1").status == "requires_payment_method"


def test_drop_after_on_the_reader(client, reader, fake_stripe: FakeStripe) -> None:
    intent = create(client, "s:0:1")
    fake_stripe.fail_next("POST", f"/v1/terminal/readers/{reader}/process_payment_intent",
                          mode="drop_after")
    with pytest.raises(stripe.APIConnectionError):
        client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    action = client.v1.terminal.readers.retrieve(reader).action
    assert (action.status, action.process_payment_intent.payment_intent) == ("in_progress",
                                                                             intent.id)


def test_slow_after_outlasts_the_client_timeout(fake_stripe: FakeStripe) -> None:
    impatient = stripe.StripeClient(fake_stripe.api_key, base_addresses={"api": fake_stripe.url},
                                    max_network_retries=0,
                                    http_client=stripe.RequestsClient(timeout=0.2))
    fake_stripe.fail_next("POST", "/v1/payment_intents", mode="slow_after:0.6")
    with pytest.raises(stripe.APIConnectionError):
        create(impatient, "s:0:1")
    assert len(fake_stripe.payment_intents) == 1


def test_slow_after_within_the_timeout_just_answers_late(client, fake_stripe) -> None:
    fake_stripe.fail_next("GET", "/v1/terminal/readers", mode="slow_after:0.1")
    assert client.v1.terminal.readers.list().data == []


def test_http_500_is_stripes_api_error_and_applies_nothing(client, fake_stripe) -> None:
    fake_stripe.fail_next("POST", "/v1/payment_intents", mode="http_500")
    with pytest.raises(stripe.APIError) as caught:
        create(client, "s:0:1")
    assert caught.value.http_status == 500 and caught.value.error.type == "api_error"
    assert fake_stripe.payment_intents == {}
    assert create(client, "s:0:1").status == "requires_payment_method"


def test_offline_drops_everything_until_back_online(client, reader, fake_stripe) -> None:
    fake_stripe.go_offline()
    with pytest.raises(stripe.APIConnectionError):
        create(client, "s:0:1")
    with pytest.raises(stripe.APIConnectionError):
        client.v1.terminal.readers.retrieve(reader)
    assert fake_stripe.payment_intents == {}
    assert {r.fault for r in fake_stripe.requests} == {"offline"}
    fake_stripe.go_online()
    assert create(client, "s:0:1").status == "requires_payment_method"


def test_faults_match_method_and_path_prefix(client, reader, fake_stripe) -> None:
    fake_stripe.fail_next("POST", "/v1/refunds", mode="drop_before")
    assert create(client, "s:0:1")  # another path: untouched
    assert client.v1.terminal.readers.retrieve(reader)  # another method: untouched
    with pytest.raises(ValueError, match="mode"):
        fake_stripe.fail_next("POST", "/v1/refunds", mode="explode")


def test_reset_clears_faults_and_saved_keys(client, fake_stripe: FakeStripe) -> None:
    create(client, "s:0:1")
    fake_stripe.fail_next("POST", "/v1/payment_intents", mode="drop_before")
    fake_stripe.reset()
    assert fake_stripe.payment_intents == {} and fake_stripe.requests == []
    fresh = create(client, "s:0:1")
    assert "Idempotent-Replayed" not in fresh.last_response.headers


def test_concurrent_creates_under_one_key_make_one_intent(fake_stripe: FakeStripe) -> None:
    results: list[str] = []
    errors: list[Exception] = []

    def till(number: int) -> None:
        own = stripe.StripeClient(fake_stripe.api_key, base_addresses={"api": fake_stripe.url},
                                  max_network_retries=0)
        try:
            results.append(create(own, "shared:0:1").id)
            results.append(create(own, f"own-{number}").id)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=till, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(set(results)) == 9 and len(fake_stripe.payment_intents) == 9

"""PaymentIntents and refunds through the real SDK: create, retrieve, capture, cancel,
idempotent replay, refunds, and the errors Stripe answers with."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.support.fake_stripe import FakeStripe


def create(client: stripe.StripeClient, key: str | None = None, **extra: Any):
    params: dict[str, Any] = {"amount": 1250, "currency": "gbp",
                              "payment_method_types": ["card_present"],
                              "capture_method": "manual",
                              "metadata": {"tillpoint_key": key or "s1:0:1"}, **extra}
    return client.v1.payment_intents.create(params, {"idempotency_key": key} if key else None)


def authorised(client: stripe.StripeClient, reader: str, **extra: Any):
    intent = create(client, **extra)
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    client.v1.test_helpers.terminal.readers.present_payment_method(reader)
    return client.v1.payment_intents.retrieve(intent.id)


def test_create_and_retrieve_in_stripes_shape(client, fake_stripe: FakeStripe) -> None:
    intent = create(client, description="Sale 42")
    assert isinstance(intent, stripe.PaymentIntent)
    assert (intent.status, intent.amount, intent.currency) == ("requires_payment_method", 1250,
                                                               "gbp")
    assert intent.payment_method_types == ["card_present"]
    assert intent.capture_method == "manual" and intent.metadata["tillpoint_key"] == "s1:0:1"
    again = client.v1.payment_intents.retrieve(intent.id)
    assert again.id == intent.id and again.description == "Sale 42"
    assert fake_stripe.payment_intents[intent.id]["amount"] == 1250


def test_same_key_twice_is_one_payment_intent_replayed(client, fake_stripe: FakeStripe) -> None:
    first = create(client, "sale7:0:1")
    second = create(client, "sale7:0:1")
    assert second.id == first.id and len(fake_stripe.payment_intents) == 1
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    assert [r.replayed for r in fake_stripe.requests_to("POST", "/v1/payment_intents")] == [
        False, True]


def test_same_key_other_params_is_an_idempotency_error(client, fake_stripe) -> None:
    create(client, "sale7:0:1")
    with pytest.raises(stripe.IdempotencyError) as caught:
        create(client, "sale7:0:1", amount=999)
    assert caught.value.http_status == 400
    assert caught.value.error.type == "idempotency_error"
    assert len(fake_stripe.payment_intents) == 1


def test_bad_parameters_name_the_field_and_are_not_saved_under_the_key(client) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create({"currency": "gbp"}, {"idempotency_key": "k1"})
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "amount")
    # Stripe keeps no answer for a request that failed validation: the key is still free
    assert create(client, "k1").status == "requires_payment_method"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create(client, amount=0)
    assert caught.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create(client, colour="red")
    assert (caught.value.code, caught.value.param) == ("parameter_unknown", "colour")


def test_unknown_ids_are_resource_missing(client) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.retrieve("pi_nope")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")


def test_keys_that_are_not_test_keys_are_refused(fake_stripe: FakeStripe) -> None:
    live = stripe.StripeClient("sk_live_real", base_addresses={"api": fake_stripe.url},
                               max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as caught:
        live.v1.terminal.readers.list()
    assert caught.value.http_status == 401
    restricted = stripe.StripeClient("rk_test_limited", base_addresses={"api": fake_stripe.url})
    assert restricted.v1.terminal.readers.list().data == []


def test_capture_after_authorisation(client, reader, fake_stripe: FakeStripe) -> None:
    intent = authorised(client, reader)
    assert intent.status == "requires_capture" and intent.amount_capturable == 1250
    captured = client.v1.payment_intents.capture(intent.id, {}, {"idempotency_key": "c1"})
    assert captured.status == "succeeded" and captured.amount_received == 1250
    expanded = client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    charge = expanded.latest_charge
    assert charge.captured and charge.amount_captured == 1250
    card = charge.payment_method_details.card_present
    assert (card.brand, card.last4) == ("visa", "4242")
    assert [pi["id"] for pi in fake_stripe.captured()] == [intent.id]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(intent.id)
    assert caught.value.code == "payment_intent_unexpected_state"


def test_partial_capture_and_capture_too_much(client, reader) -> None:
    intent = authorised(client, reader)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 5000})
    assert (caught.value.code, caught.value.param) == ("amount_too_large", "amount_to_capture")
    done = client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 1000})
    assert done.amount_received == 1000


def test_capture_before_authorisation_is_refused(client) -> None:
    intent = create(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(intent.id)
    assert caught.value.code == "payment_intent_unexpected_state"
    assert caught.value.error.payment_intent.status == "requires_payment_method"


def test_cancel_before_and_after_authorisation(client, reader, fake_stripe) -> None:
    fresh = client.v1.payment_intents.cancel(create(client).id)
    assert fresh.status == "canceled" and fresh.canceled_at
    voided = client.v1.payment_intents.cancel(authorised(client, reader).id,
                                              {"cancellation_reason": "abandoned"})
    assert voided.status == "canceled" and voided.cancellation_reason == "abandoned"
    assert fake_stripe.captured() == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.cancel(voided.id)
    assert caught.value.code == "payment_intent_unexpected_state"
    assert len(fake_stripe.events_of("payment_intent.canceled")) == 2


def test_cancel_a_captured_payment_is_refused(client, reader) -> None:
    intent = authorised(client, reader)
    client.v1.payment_intents.capture(intent.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.cancel(intent.id)
    assert caught.value.code == "payment_intent_unexpected_state"


def test_partial_then_full_refund_then_nothing_left(client, reader, fake_stripe) -> None:
    intent = authorised(client, reader)
    client.v1.payment_intents.capture(intent.id)
    part = client.v1.refunds.create({"payment_intent": intent.id, "amount": 250},
                                    {"idempotency_key": "refund:r1"})
    assert (part.status, part.amount, part.payment_intent) == ("succeeded", 250, intent.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent.id, "amount": 1001})
    assert (caught.value.code, caught.value.param) == ("amount_too_large", "amount")
    rest = client.v1.refunds.create({"payment_intent": intent.id})
    assert rest.amount == 1000
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent.id, "amount": 1})
    assert caught.value.code == "charge_already_refunded"
    assert client.v1.refunds.retrieve(part.id).amount == 250
    charge = fake_stripe.charges[intent.latest_charge]
    assert (charge["amount_refunded"], charge["refunded"]) == (1250, True)
    assert len(fake_stripe.events_of("charge.refunded")) == 2
    replay = client.v1.refunds.create({"payment_intent": intent.id, "amount": 250},
                                      {"idempotency_key": "refund:r1"})
    assert replay.id == part.id and len(fake_stripe.refunds) == 2


def test_refund_of_an_uncaptured_payment_is_refused(client, reader) -> None:
    intent = authorised(client, reader)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent.id})
    assert caught.value.code == "payment_intent_unexpected_state"


def test_events_follow_the_payment(client, reader, fake_stripe: FakeStripe) -> None:
    intent = authorised(client, reader)
    client.v1.payment_intents.capture(intent.id, {}, {"idempotency_key": "cap-key"})
    succeeded = fake_stripe.events_of("payment_intent.succeeded")
    assert len(succeeded) == 1
    event = succeeded[0]
    assert event["object"] == "event" and event["id"].startswith("evt_")
    assert event["data"]["object"]["id"] == intent.id
    assert event["request"]["idempotency_key"] == "cap-key"
    listed = client.v1.events.list({"type": "payment_intent.succeeded"})
    assert [e.id for e in listed.data] == [event["id"]]
    assert client.v1.events.retrieve(event["id"]).type == "payment_intent.succeeded"

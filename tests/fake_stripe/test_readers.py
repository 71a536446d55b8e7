"""Simulated readers through the real SDK: process, present (approve and every decline card),
busy, offline, cancel_action, automatic presentment."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.support.fake_stripe import DECLINING, TEST_CARDS, FakeStripe


def intent_for(client: stripe.StripeClient, capture_method: str = "manual"):
    return client.v1.payment_intents.create({
        "amount": 700, "currency": "gbp", "payment_method_types": ["card_present"],
        "capture_method": capture_method})


def present(client: stripe.StripeClient, reader: str, number: str):
    return client.v1.test_helpers.terminal.readers.present_payment_method(
        reader, {"type": "card_present", "card_present": {"number": number}})


def test_readers_list_and_retrieve(client, reader) -> None:
    listed = client.v1.terminal.readers.list()
    assert [r.id for r in listed.data] == [reader]
    one = client.v1.terminal.readers.retrieve(reader)
    assert (one.object, one.status, one.label, one.action) == ("terminal.reader", "online",
                                                              "Till 1", None)
    assert one.device_type == "simulated_wisepos_e"


def test_process_then_approve_keeps_the_action_succeeded(client, reader) -> None:
    intent = intent_for(client)
    handed = client.v1.terminal.readers.process_payment_intent(reader,
                                                               {"payment_intent": intent.id})
    assert (handed.action.type, handed.action.status) == ("process_payment_intent",
                                                          "in_progress")
    assert handed.action.process_payment_intent.payment_intent == intent.id
    done = present(client, reader, "5555555555554444")
    assert done.action.status == "succeeded" and done.action.failure_code is None
    again = client.v1.terminal.readers.retrieve(reader)
    assert again.action.status == "succeeded"  # stays until the next action
    paid = client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    assert paid.status == "requires_capture" and paid.last_payment_error is None
    card = paid.latest_charge.payment_method_details.card_present
    assert (card.brand, card.last4) == ("mastercard", "4444")


def test_automatic_capture_succeeds_at_once(client, reader, fake_stripe: FakeStripe) -> None:
    intent = intent_for(client, "automatic")
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    present(client, reader, "4242424242424242")
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert len(fake_stripe.events_of("payment_intent.succeeded")) == 1


@pytest.mark.parametrize("number", sorted(n for n, c in TEST_CARDS.items() if c.decline))
def test_each_decline_card(client, reader, fake_stripe: FakeStripe, number: str) -> None:
    card = TEST_CARDS[number]
    assert card.decline is not None
    intent = intent_for(client)
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    result = present(client, reader, number)
    assert result.action.status == "failed"
    assert result.action.failure_code == card.decline.code
    assert result.action.failure_message == card.decline.message
    after = client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    error = after.last_payment_error
    assert (error.type, error.code, error.decline_code) == ("card_error", card.decline.code,
                                                            card.decline.decline_code)
    assert fake_stripe.captured() == []
    assert len(fake_stripe.events_of("payment_intent.payment_failed")) == 1
    # the same PaymentIntent may go back on the reader for another card
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    present(client, reader, "4242424242424242")
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"


def test_the_decline_codes_stripe_documents_are_all_there() -> None:
    assert DECLINING == {"generic_decline": "4000000000000002",
                         "insufficient_funds": "4000000000009995",
                         "lost_card": "4000000000009987", "stolen_card": "4000000000009979",
                         "expired_card": "4000000000000069",
                         "processing_error": "4000000000000119"}


def test_a_busy_reader_refuses_a_second_payment(client, reader) -> None:
    first, second = intent_for(client), intent_for(client)
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": first.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": second.id})
    assert caught.value.code == "terminal_reader_busy"


def test_an_offline_reader(client, reader, fake_stripe: FakeStripe) -> None:
    fake_stripe.set_reader(reader, online=False)
    assert client.v1.terminal.readers.retrieve(reader).status == "offline"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.process_payment_intent(reader,
                                                          {"payment_intent": intent_for(client).id})
    assert (caught.value.http_status, caught.value.code) == (400, "terminal_reader_offline")


def test_only_a_fresh_payment_intent_can_be_processed(client, reader) -> None:
    intent = intent_for(client)
    client.v1.payment_intents.cancel(intent.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    assert caught.value.code == "intent_invalid_state"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": "pi_no"})
    assert caught.value.code == "resource_missing"


def test_cancel_action_frees_the_reader(client, reader, fake_stripe: FakeStripe) -> None:
    intent = intent_for(client)
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    cancelled = client.v1.terminal.readers.cancel_action(reader)
    assert cancelled.action is None  # Stripe's documented answer
    with pytest.raises(stripe.InvalidRequestError):
        present(client, reader, "4242424242424242")  # nothing to pay any more
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    assert fake_stripe.readers[reader]["action"]["status"] == "in_progress"


def test_canceling_the_intent_fails_the_readers_action(client, reader) -> None:
    intent = intent_for(client)
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    client.v1.payment_intents.cancel(intent.id)
    action = client.v1.terminal.readers.retrieve(reader).action
    assert action.status == "failed"


def test_auto_present_after_a_delay(client, reader, fake_stripe: FakeStripe) -> None:
    fake_stripe.set_reader(reader, auto_present="4000000000009995", auto_delay_s=0.05)
    intent = intent_for(client)
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    deadline = time.monotonic() + 5
    while fake_stripe.readers[reader]["action"]["status"] == "in_progress":
        assert time.monotonic() < deadline, "the customer never tapped"
        time.sleep(0.01)
    error = client.v1.payment_intents.retrieve(intent.id).last_payment_error
    assert error.decline_code == "insufficient_funds"


def test_present_card_from_the_test(client, reader, fake_stripe: FakeStripe) -> None:
    intent = intent_for(client)
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": intent.id})
    fake_stripe.present_card(reader, "378282246310005")
    paid = client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    assert paid.latest_charge.payment_method_details.card_present.brand == "amex"

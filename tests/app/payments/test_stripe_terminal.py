"""The Stripe Terminal provider through the real stripe SDK against the fake Stripe: approvals,
declines in words, the cashier cancelling, busy and offline readers, no internet, timeouts and
lost replies — and never a second PaymentIntent or a second capture for one attempt."""

from __future__ import annotations

import time

import pytest

from app.payments.base import AttemptState, PaymentRequest, ProviderUnavailable
from app.payments.stripe_client import KEY_REFUSED, NO_CONNECTION
from app.payments.stripe_state import NOT_ON_READER, PRESENT_CARD
from app.payments.stripe_terminal import NO_KEY, NO_READER, READER_OFFLINE, StripeTerminal
from tests.app.payments.conftest import READER
from tests.support.fake_stripe import DECLINING

SALE = "0190b7c4-0000-7000-8000-0000000000aa"
OTHER_SALE = "0190b7c4-0000-7000-8000-0000000000bb"
VISA = "4242424242424242"
PROCESS = f"/v1/terminal/readers/{READER}/process_payment_intent"


def request(amount: int = 1234, *, sale: str = SALE, tender: int = 0,
            attempt: int = 1) -> PaymentRequest:
    return PaymentRequest(sale, tender, attempt, amount, "EUR")


def handed_over(terminal: StripeTerminal, req: PaymentRequest):  # noqa: ANN201
    prepared = terminal.prepare(req)
    assert prepared.state is AttemptState.CREATED and prepared.reference.startswith("pi_")
    started = terminal.start(req)
    assert (started.state, started.message) == (AttemptState.PROCESSING, PRESENT_CARD)
    assert started.reference == prepared.reference
    return started


def test_an_approved_card_is_captured_once_with_its_brand_and_last_four(terminal, stripe_fake):
    req = request()
    started = handed_over(terminal, req)
    assert terminal.status(req, started.reference).state is AttemptState.PROCESSING
    stripe_fake.present_card(READER, VISA)
    done = terminal.status(req, started.reference)
    assert done.state is AttemptState.SUCCEEDED
    assert (done.card_brand, done.card_last4, done.message) == ("visa", "4242",
                                                                "approved (VISA ending 4242)")
    pi = stripe_fake.payment_intents[started.reference]
    assert (pi["status"], pi["amount_received"], pi["currency"]) == ("succeeded", 1234, "eur")
    assert pi["metadata"] == {"tillpoint_key": req.key, "sale_id": SALE, "tender_index": "0",
                              "attempt": "1"}
    assert pi["capture_method"] == "manual" and pi["payment_method_types"] == ["card_present"]
    assert terminal.status(req, started.reference).state is AttemptState.SUCCEEDED
    captures = stripe_fake.requests_to("POST", f"/v1/payment_intents/{pi['id']}/capture")
    assert [c.idempotency_key for c in captures] == [f"{req.key}:capture"]
    creates = stripe_fake.requests_to("POST", "/v1/payment_intents")
    assert creates[0].idempotency_key == req.key


@pytest.mark.parametrize(("decline_code", "words"), [
    ("generic_decline", "declined"),
    ("insufficient_funds", "declined: insufficient funds"),
    ("lost_card", "declined: card reported lost"),
    ("stolen_card", "declined: card reported stolen"),
    ("expired_card", "declined: card expired"),
    ("processing_error", "declined: processing error, try again"),
])
def test_each_decline_is_said_in_words_after_the_intent_is_canceled(terminal, stripe_fake,
                                                                     decline_code, words):
    req = request()
    started = handed_over(terminal, req)
    stripe_fake.present_card(READER, DECLINING[decline_code])
    failed = terminal.status(req, started.reference)
    assert (failed.state, failed.message, failed.error_code) == (AttemptState.FAILED, words,
                                                                 decline_code)
    assert failed.card_last4 is None
    assert stripe_fake.payment_intents[started.reference]["status"] == "canceled"
    assert terminal.status(req, started.reference).message == words  # asked again: the same
    assert stripe_fake.captured() == []


def test_the_cashier_cancels_while_the_reader_waits(terminal, stripe_fake):
    req = request()
    started = handed_over(terminal, req)
    cancelled = terminal.cancel(req, started.reference)
    assert (cancelled.state, cancelled.message) == (AttemptState.CANCELED,
                                                    "cancelled: nothing was taken")
    assert len(stripe_fake.requests_to("POST", f"/v1/terminal/readers/{READER}/cancel_action")) == 1
    assert stripe_fake.readers[READER]["action"] is None
    assert stripe_fake.payment_intents[started.reference]["status"] == "canceled"
    assert terminal.cancel(req, started.reference).state is AttemptState.CANCELED


def test_a_card_approved_as_the_cashier_cancels_is_released_not_taken(terminal, stripe_fake):
    req = request()
    started = handed_over(terminal, req)
    stripe_fake.present_card(READER, VISA)  # authorised, not captured yet
    cancelled = terminal.cancel(req, started.reference)
    assert (cancelled.state, cancelled.message) == (AttemptState.CANCELED,
                                                    "cancelled: the card's approval was released")
    assert stripe_fake.payment_intents[started.reference]["status"] == "canceled"
    assert terminal.status(req, started.reference).state is AttemptState.CANCELED
    assert stripe_fake.captured() == []


def test_cancel_of_a_captured_payment_says_it_was_taken(terminal, stripe_fake):
    req = request()
    started = handed_over(terminal, req)
    stripe_fake.present_card(READER, VISA)
    terminal.status(req, started.reference)
    assert terminal.cancel(req, started.reference).state is AttemptState.SUCCEEDED
    assert terminal.void(req, started.reference).state is AttemptState.SUCCEEDED
    assert len(stripe_fake.captured()) == 1


def test_void_releases_an_authorised_payment_and_never_captures(terminal, stripe_fake):
    req = request()
    started = handed_over(terminal, req)
    stripe_fake.present_card(READER, VISA)
    voided = terminal.void(req, started.reference)
    assert (voided.state, voided.message) == (AttemptState.CANCELED,
                                              "voided: the card's approval was released")
    assert stripe_fake.captured() == []
    assert stripe_fake.requests_to("POST", f"/v1/payment_intents/{started.reference}/capture") == []


def test_a_busy_reader_fails_the_attempt_and_leaves_the_other_payment_alone(terminal,
                                                                            stripe_fake):
    other = handed_over(terminal, request(sale=OTHER_SALE))
    req = request()
    prepared = terminal.prepare(req)
    busy = terminal.start(req)
    assert busy.state is AttemptState.FAILED and busy.error_code == "terminal_reader_busy"
    assert busy.message.startswith("card reader busy")
    assert stripe_fake.payment_intents[prepared.reference]["status"] == "canceled"
    action = stripe_fake.readers[READER]["action"]
    assert action["process_payment_intent"]["payment_intent"] == other.reference
    assert action["status"] == "in_progress"


def test_an_offline_reader_is_said_and_its_intent_canceled(terminal, stripe_fake):
    stripe_fake.set_reader(READER, online=False)
    req = request()
    prepared = terminal.prepare(req)
    with pytest.raises(ProviderUnavailable) as err:
        terminal.start(req)
    assert err.value.message == READER_OFFLINE
    assert stripe_fake.payment_intents[prepared.reference]["status"] == "canceled"
    assert terminal.available() == (False, READER_OFFLINE)
    stripe_fake.set_reader(READER, online=True)
    assert terminal.available() == (False, READER_OFFLINE)  # no network: the last known
    assert terminal.probe() == (True, "")


def test_no_connection_to_stripe_is_said_at_once_and_nothing_is_created(terminal, stripe_fake):
    stripe_fake.go_offline()
    began = time.monotonic()
    with pytest.raises(ProviderUnavailable) as err:
        terminal.prepare(request())
    took = time.monotonic() - began
    assert err.value.message == NO_CONNECTION and took < 1.0, took
    assert terminal.available() == (False, NO_CONNECTION)
    assert terminal.probe() == (False, NO_CONNECTION)
    stripe_fake.go_online()
    assert stripe_fake.payment_intents == {}
    assert terminal.probe() == (True, "")


def test_a_timeout_is_unknown_never_declined_and_the_card_then_succeeds(make_terminal,
                                                                        stripe_fake):
    terminal = make_terminal(read_timeout_s=0.4)
    req = request()
    prepared = terminal.prepare(req)
    stripe_fake.fail_next("POST", PROCESS, "slow_after:1.5")
    lost = terminal.start(req)
    assert lost.state is AttemptState.UNKNOWN and "declined" not in lost.message
    assert lost.reference == prepared.reference
    stripe_fake.present_card(READER, VISA)
    done = terminal.status(req, prepared.reference)
    assert done.state is AttemptState.SUCCEEDED and done.card_last4 == "4242"
    assert len(stripe_fake.payment_intents) == 1


def test_a_create_whose_reply_was_lost_is_replayed_not_repeated(terminal, stripe_fake):
    stripe_fake.fail_next("POST", "/v1/payment_intents", "drop_after")
    req = request()
    prepared = terminal.prepare(req)
    assert prepared.state is AttemptState.CREATED
    assert list(stripe_fake.payment_intents) == [prepared.reference]
    replays = [r.replayed for r in stripe_fake.requests_to("POST", "/v1/payment_intents")]
    assert replays == [False, True]


def test_after_a_lost_create_a_restarted_till_finds_the_same_intent(make_terminal, stripe_fake):
    stripe_fake.fail_next("POST", "/v1/payment_intents", "drop_after", times=2)
    req = request()
    with pytest.raises(ProviderUnavailable):
        make_terminal().prepare(req)
    assert len(stripe_fake.payment_intents) == 1
    restarted = make_terminal()
    found = restarted.status(req, None)
    assert (found.state, found.message) == (AttemptState.UNKNOWN, NOT_ON_READER)
    assert [found.reference] == list(stripe_fake.payment_intents)
    assert restarted.start(req).state is AttemptState.PROCESSING
    stripe_fake.present_card(READER, VISA)
    assert restarted.status(req, None).state is AttemptState.SUCCEEDED
    assert len(stripe_fake.payment_intents) == 1 and len(stripe_fake.captured()) == 1


def test_a_hand_over_whose_reply_was_lost_succeeds_exactly_once(terminal, stripe_fake):
    req = request()
    prepared = terminal.prepare(req)
    stripe_fake.fail_next("POST", PROCESS, "drop_after")
    lost = terminal.start(req)
    assert lost.state is AttemptState.UNKNOWN and "declined" not in lost.message
    assert terminal.status(req, prepared.reference).state is AttemptState.PROCESSING
    assert terminal.start(req).state is AttemptState.PROCESSING  # retried: it is on the reader
    stripe_fake.present_card(READER, VISA)
    for _ in range(2):
        assert terminal.status(req, prepared.reference).state is AttemptState.SUCCEEDED
    assert len(stripe_fake.captured()) == 1
    assert len(stripe_fake.requests_to("POST", f"/v1/payment_intents/{prepared.reference}"
                                               "/capture")) == 1


def test_start_again_on_an_unknown_attempt_hands_over_the_same_intent(make_terminal,
                                                                      stripe_fake):
    req = request()
    terminal = make_terminal()
    prepared = terminal.prepare(req)
    stripe_fake.fail_next("POST", PROCESS, "drop_before")
    assert terminal.start(req).state is AttemptState.UNKNOWN
    restarted = make_terminal()  # and after a restart, from the key alone
    assert restarted.status(req, prepared.reference).message == NOT_ON_READER
    again = restarted.start(req)
    assert (again.state, again.reference) == (AttemptState.PROCESSING, prepared.reference)
    stripe_fake.present_card(READER, VISA)
    assert restarted.status(req, prepared.reference).state is AttemptState.SUCCEEDED
    assert len(stripe_fake.payment_intents) == 1
    assert len(stripe_fake.requests_to("POST", PROCESS)) == 2


def test_an_amount_that_differs_at_capture_is_refused_and_released(terminal, stripe_fake):
    req = request(1000)
    started = handed_over(terminal, req)
    stripe_fake.present_card(READER, VISA)
    refused = terminal.status(request(900), started.reference)
    assert refused.state is AttemptState.FAILED and refused.error_code == "amount_mismatch"
    assert "10.00 EUR" in refused.message and "9.00 EUR" in refused.message
    assert stripe_fake.payment_intents[started.reference]["status"] == "canceled"
    assert stripe_fake.captured() == []


def test_an_intent_of_another_attempt_is_never_touched(terminal, stripe_fake):
    started = handed_over(terminal, request(sale=OTHER_SALE))
    stripe_fake.present_card(READER, VISA)
    seen = terminal.status(request(), started.reference)
    assert seen.state is AttemptState.UNKNOWN and seen.error_code == "reference_mismatch"
    assert terminal.cancel(request(), started.reference).state is AttemptState.UNKNOWN
    assert stripe_fake.payment_intents[started.reference]["status"] == "requires_capture"


def captured_payment(terminal: StripeTerminal, fake, amount: int = 1000) -> str:  # noqa: ANN001
    req = request(amount)
    started = handed_over(terminal, req)
    fake.present_card(READER, VISA)
    assert terminal.status(req, started.reference).state is AttemptState.SUCCEEDED
    return started.reference


def test_refunds_full_partial_repeated_and_never_more_than_taken(terminal, stripe_fake):
    ref = captured_payment(terminal, stripe_fake, 1000)
    part = terminal.refund(ref, 300, "EUR", "ret-1")
    assert part.succeeded and part.message == "refunded 3.00 to the card"
    again = terminal.refund(ref, 300, "EUR", "ret-1")  # a lost reply, sent again
    assert again.succeeded and again.reference == part.reference
    assert len(stripe_fake.refunds) == 1
    too_much = terminal.refund(ref, 800, "EUR", "ret-2")
    assert not too_much.succeeded and too_much.message == ("refund refused: only 7.00 is left "
                                                           "to refund")
    over = terminal.refund(ref, 1001, "EUR", "ret-3")
    assert not over.succeeded and "only 10.00 was taken" in over.message
    rest = terminal.refund(ref, 700, "EUR", "ret-4")
    assert rest.succeeded and len(stripe_fake.refunds) == 2
    assert terminal.refund(ref, 700, "EUR", "ret-4").reference == rest.reference
    done = terminal.refund(ref, 100, "EUR", "ret-5")
    assert not done.succeeded and done.error_code == "charge_already_refunded"
    assert len(stripe_fake.refunds) == 2
    assert sum(r["amount"] for r in stripe_fake.refunds.values()) == 1000


def test_a_full_refund_in_one_go_and_refusals_in_words(terminal, stripe_fake):
    ref = captured_payment(terminal, stripe_fake, 2500)
    full = terminal.refund(ref, 2500, "EUR", "ret-full")
    assert full.succeeded and full.message == "refunded 25.00 to the card"
    assert terminal.refund(ref, 2500, "eur", "ret-full").reference == full.reference
    assert not terminal.refund(ref, 100, "USD", "x").succeeded
    assert terminal.refund("terminal:abc", 100, "EUR", "y").error_code == "no_reference"
    prepared = terminal.prepare(request(sale=OTHER_SALE))
    nothing = terminal.refund(prepared.reference, 100, "EUR", "z")
    assert not nothing.succeeded and "nothing was taken" in nothing.message
    assert len(stripe_fake.refunds) == 1


def test_a_refused_key_is_said_in_words(make_terminal, stripe_fake):
    terminal = make_terminal(key="sk_live_not_this_one")
    with pytest.raises(ProviderUnavailable) as err:
        terminal.prepare(request())
    assert err.value.message == KEY_REFUSED
    assert terminal.available() == (False, KEY_REFUSED)
    assert stripe_fake.payment_intents == {}


def test_missing_setup_is_said_without_the_network(stripe_fake):
    no_key = StripeTerminal("", READER, stripe_fake.url)
    assert no_key.available() == (False, NO_KEY) and no_key.probe() == (False, NO_KEY)
    with pytest.raises(ProviderUnavailable, match="no Stripe key"):
        no_key.prepare(request())
    no_reader = StripeTerminal(stripe_fake.api_key, "", stripe_fake.url)
    assert no_reader.available() == (False, NO_READER)
    with pytest.raises(ProviderUnavailable):
        no_reader.start(request())
    assert stripe_fake.requests == []


def test_from_settings_reads_the_key_reader_and_address(stripe_fake, tmp_path, monkeypatch):
    from app.config.settings import Settings

    settings = Settings(tmp_path / "settings.toml")
    settings.set("stripe.reader_id", READER)
    monkeypatch.setenv("TILLPOINT_STRIPE_SECRET_KEY", stripe_fake.api_key)
    monkeypatch.setenv("TILLPOINT_STRIPE_API_BASE", stripe_fake.url)
    terminal = StripeTerminal.from_settings(settings)
    assert terminal.api_base == stripe_fake.url and terminal.probe() == (True, "")
    assert [(r.id, r.label, r.status) for r in terminal.readers()] == [(READER, "Till 1",
                                                                        "online")]


def test_nothing_listening_is_no_connection_without_a_second_try(stripe_fake):
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: connections are refused
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    terminal = StripeTerminal(stripe_fake.api_key, READER, dead)
    began = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="no connection to Stripe"):
        terminal.prepare(request())
    assert time.monotonic() - began < 1.0
    with pytest.raises(ProviderUnavailable, match="no connection to Stripe"):
        terminal.readers()
    assert terminal.status(request(), "pi_unknown").state is AttemptState.UNKNOWN


@pytest.mark.parametrize(("code", "decline_code", "words"), [
    ("card_declined", "insufficient_funds", "declined: insufficient funds"),
    ("card_declined", "fraudulent", "declined"),  # never told to the customer, as Stripe advises
    ("incorrect_pin", None, "declined: incorrect PIN"),
    ("card_declined", "brand_new_reason", "declined (brand_new_reason)"),
    ("Not A Code <b>", None, "declined"),
    ("terminal_reader_offline", None, "card reader offline"),
    ("terminal_reader_timeout", None, "card reader did not answer: try again"),
])
def test_decline_words_come_from_codes_only(code, decline_code, words):
    from app.payments.declines import decline_words

    assert decline_words(code, decline_code) == words

"""Stripe Terminal through ``CardPayments`` on a real local store and the real SDK against the
fake Stripe: each attempt's row holds its PaymentIntent id before a reader has it, so a crash,
a timeout or a retry always ends on that one intent — finished, voided or refunded, never
charged twice."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.payments.attempts import CardPayments
from app.payments.base import AttemptState, ProviderUnavailable
from app.payments.stripe_client import NO_CONNECTION
from app.payments.stripe_state import NOT_ON_READER
from app.payments.stripe_terminal import READER_OFFLINE
from db.models import PaymentAttempt
from tests.app.payments.conftest import READER
from tests.support.fake_stripe import DECLINING

SALE = "0190b7c4-0000-7000-8000-0000000000cc"
VISA = "4242424242424242"
PROCESS = f"/v1/terminal/readers/{READER}/process_payment_intent"


def rows(store) -> list[tuple[int, str, str | None, str | None, str | None]]:
    with store.read() as s:
        return [(r.attempt, r.status, r.reference, r.card_brand, r.card_last4)
                for r in s.scalars(select(PaymentAttempt).order_by(PaymentAttempt.attempt))]


@pytest.fixture
def payments(store, terminal) -> CardPayments:
    return CardPayments(store, terminal)


def test_an_approved_card_is_recorded_with_its_intent_brand_and_last_four(payments, store,
                                                                          stripe_fake):
    assert payments.available() == (True, "")
    view = payments.start(SALE, 0, 1234, "EUR")
    assert view.state is AttemptState.PROCESSING and view.reference.startswith("pi_")
    assert rows(store) == [(1, "processing", view.reference, None, None)]
    stripe_fake.present_card(READER, VISA)
    done = payments.status(view.attempt_id)
    assert (done.state, done.card_brand, done.card_last4) == (AttemptState.SUCCEEDED, "VISA",
                                                              "4242")
    assert rows(store) == [(1, "succeeded", view.reference, "VISA", "4242")]
    assert [pi["id"] for pi in stripe_fake.captured()] == [view.reference]


def test_a_decline_then_another_card_on_a_new_attempt(payments, store, stripe_fake):
    first = payments.start(SALE, 0, 500, "EUR")
    stripe_fake.present_card(READER, DECLINING["insufficient_funds"])
    declined = payments.status(first.attempt_id)
    assert (declined.state, declined.message) == (AttemptState.FAILED,
                                                  "declined: insufficient funds")
    second = payments.start(SALE, 0, 500, "EUR")
    assert second.attempt == 2 and second.reference != first.reference
    stripe_fake.present_card(READER, VISA)
    assert payments.status(second.attempt_id).state is AttemptState.SUCCEEDED
    assert [r[:2] for r in rows(store)] == [(1, "failed"), (2, "succeeded")]
    states = {pi["id"]: pi["status"] for pi in stripe_fake.payment_intents.values()}
    assert states == {first.reference: "canceled", second.reference: "succeeded"}


def test_no_connection_to_stripe_refuses_the_card_at_once(payments, store, stripe_fake):
    stripe_fake.go_offline()
    began = time.monotonic()
    with pytest.raises(ProviderUnavailable) as err:
        payments.start(SALE, 0, 1234, "EUR")
    assert err.value.message == NO_CONNECTION and time.monotonic() - began < 1.0
    assert payments.available() == (False, NO_CONNECTION)
    assert [r[:3] for r in rows(store)] == [(1, "failed", None)]
    stripe_fake.go_online()
    assert payments.probe() == (True, "")
    assert payments.start(SALE, 0, 1234, "EUR").attempt == 2  # a new key, a new intent
    assert len(stripe_fake.payment_intents) == 1


def test_an_offline_reader_refuses_the_card_and_cancels_its_intent(payments, store, stripe_fake):
    stripe_fake.set_reader(READER, online=False)
    with pytest.raises(ProviderUnavailable, match=READER_OFFLINE):
        payments.start(SALE, 0, 1234, "EUR")
    (attempt, status, reference, _, _), = rows(store)
    assert status == "failed" and stripe_fake.payment_intents[reference]["status"] == "canceled"
    assert payments.available() == (False, READER_OFFLINE)


def test_the_cashier_cancels_and_the_reader_stops(payments, store, stripe_fake):
    view = payments.start(SALE, 0, 1234, "EUR")
    cancelled = payments.cancel(view.attempt_id)
    assert cancelled.state is AttemptState.CANCELED
    assert stripe_fake.readers[READER]["action"] is None
    assert stripe_fake.payment_intents[view.reference]["status"] == "canceled"


def test_a_retry_after_a_lost_hand_over_is_the_same_intent(payments, store, stripe_fake):
    stripe_fake.fail_next("POST", PROCESS, "drop_before")
    view = payments.start(SALE, 0, 1234, "EUR")
    assert view.state is AttemptState.UNKNOWN and view.reference.startswith("pi_")
    assert payments.status(view.attempt_id).message == NOT_ON_READER
    again = payments.retry(view.attempt_id)
    assert (again.state, again.reference) == (AttemptState.PROCESSING, view.reference)
    stripe_fake.present_card(READER, VISA)
    assert payments.status(view.attempt_id).state is AttemptState.SUCCEEDED
    assert len(stripe_fake.payment_intents) == 1 and len(stripe_fake.captured()) == 1


def test_a_timeout_then_the_card_is_approved_never_declined(make_terminal, store, stripe_fake):
    payments = CardPayments(store, make_terminal(read_timeout_s=0.4))
    stripe_fake.fail_next("POST", PROCESS, "slow_after:1.5")
    view = payments.start(SALE, 0, 1234, "EUR")
    assert view.state is AttemptState.UNKNOWN and "declined" not in view.message
    stripe_fake.present_card(READER, VISA)
    assert payments.retry(view.attempt_id).state is AttemptState.SUCCEEDED
    assert len(stripe_fake.payment_intents) == 1 and len(stripe_fake.captured()) == 1


def test_a_lost_create_reply_is_one_intent(payments, store, stripe_fake):
    stripe_fake.fail_next("POST", "/v1/payment_intents", "drop_after")
    view = payments.start(SALE, 0, 1234, "EUR")
    assert view.state is AttemptState.PROCESSING
    assert list(stripe_fake.payment_intents) == [view.reference]


def test_a_till_killed_with_the_card_approved_voids_it_on_restart(make_terminal, store,
                                                                  stripe_fake):
    view = CardPayments(store, make_terminal()).start(SALE, 0, 1234, "EUR")
    stripe_fake.present_card(READER, VISA)  # approved; the till dies before asking
    restarted = CardPayments(store, make_terminal())
    [settled] = restarted.recover()
    assert settled.state is AttemptState.CANCELED  # the sale was never recorded: released
    assert stripe_fake.payment_intents[view.reference]["status"] == "canceled"
    assert stripe_fake.captured() == [] and restarted.taken_without_sale() == []


def test_money_taken_before_a_crash_is_found_once_and_refunded_once(make_terminal, store,
                                                                    stripe_fake):
    view = CardPayments(store, make_terminal()).start(SALE, 0, 1234, "EUR")
    stripe_fake.present_card(READER, VISA)
    # The till captured, then died before writing it down.
    captured = make_terminal().status(_request_of(store, view.attempt_id), view.reference)
    assert captured.state is AttemptState.SUCCEEDED
    restarted = CardPayments(store, make_terminal())
    [settled] = restarted.recover()
    assert settled.state is AttemptState.SUCCEEDED and settled.card_last4 == "4242"
    [owed] = restarted.taken_without_sale()
    now = datetime.now(timezone.utc)
    for _ in range(2):
        restarted.refund_without_sale(owed.attempt_id, staff_id="s", approved_by=None, now=now)
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [1234]
    assert len(stripe_fake.captured()) == 1


def _request_of(store, attempt_id: str):  # noqa: ANN202 - a PaymentRequest
    from app.payments.base import PaymentRequest

    with store.read() as s:
        row = s.get(PaymentAttempt, attempt_id)
        return PaymentRequest(row.sale_id, row.tender_index, row.attempt, row.amount,
                              row.currency)

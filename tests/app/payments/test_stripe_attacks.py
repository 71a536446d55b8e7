"""Attacks on the Stripe Terminal work (issue 8): the real SDK against the fake Stripe, a real
store, threads for the races. Each test names the failure shops report (a second charge, "declined"
or "cancelled" for money that was taken, money taken with no sale and not listed, a refund made
twice) and either proves it cannot happen or, marked ``xfail(strict=True)``, shows that it does.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
import stripe
from sqlalchemy import select

from app.cli.card_sale import CardShare, take_cards
from app.domain.errors import DomainError, RuleViolation
from app.domain.tenders import TenderMethod
from app.payments import attempts, card_refunds
from app.payments.attempts import AttemptView, CardPayments
from app.payments.base import AttemptState
from app.payments.stripe_client import Failure, classify
from app.payments.terminal import StandaloneTerminal
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.refunds import ReturnRequest, refund
from db.models import RefundPayment
from tests.app.payments.conftest import READER
from tests.support import catalog
from tests.support.fake_stripe.state import StripeError as FakeStripeError

VISA = "4242424242424242"
PROCESS = f"/v1/terminal/readers/{READER}/process_payment_intent"
S = AttemptState


def sale_id(n: int) -> str:
    return f"0190b7c4-0000-7000-8000-{n:012d}"


def approved(payments: CardPayments, fake, sale: str, amount: int = 1000) -> AttemptView:  # noqa: ANN001
    """Handed to the reader and the card tapped: authorised, not captured yet."""
    view = payments.start(sale, 0, amount, "EUR")
    assert view.state is S.PROCESSING
    fake.present_card(READER, VISA)
    return view


def forget_idempotency_keys(fake) -> None:  # noqa: ANN001
    """Stripe prunes idempotency keys after 24 hours ("we generate a new request if a key is
    reused after the original is pruned"); the fake has no clock, so its saved keys are dropped."""
    with fake._lock:  # noqa: SLF001 - the fake has no public knob for this yet
        fake._front._saved.clear()  # noqa: SLF001


def together(*calls) -> list:  # noqa: ANN002
    """Run the calls at the same instant on their own threads; each result or exception."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int, call) -> None:  # noqa: ANN001
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - judged by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    return results


@pytest.fixture
def sold_by_card(blank_shop, make_terminal, stripe_fake):  # noqa: ANN001, ANN201
    """A recorded sale of two pens (2 x 5.00) paid by one Stripe card, and a return of one pen
    whose 5.00 card share is recorded ``pending``: (provider, refund id, PaymentIntent id)."""
    terminal = make_terminal()
    payments = CardPayments(blank_shop, terminal)
    view = approved(payments, stripe_fake, sale_id(900), 1000)
    taken = payments.status(view.attempt_id)
    assert taken.state is S.SUCCEEDED
    with blank_shop.write() as s:
        cashier = catalog.staff(s)
        pen = catalog.product(s, "Pen", 500, stock_milli=10_000)
        cart = Cart()
        cart.add(pen.id, 2000)
        order = checkout(s, cart=cart, staff_id=cashier.id, order_id=view.sale_id,
                         tenders=[Tender(TenderMethod.CARD, 1000, taken.reference,
                                         taken.card_brand, taken.card_last4)])
        back = refund(s, order_ref=order.number, staff_id=cashier.id,
                      lines=[ReturnRequest(1, 1000)])
        refund_id = back.id
    assert payments.taken_without_sale() == []
    return terminal, refund_id, taken.reference


def share_states(store) -> list[str]:  # noqa: ANN001
    with store.read() as s:
        return list(s.scalars(select(RefundPayment.status).where(RefundPayment.method == "card")))


# -- races: the window's poll, Esc, F4, a second process and recovery, all at once ---------------
@pytest.mark.parametrize("round_no", range(9))
def test_racing_poll_cancel_retry_and_recovery_always_agree_with_stripe(round_no, blank_shop,
                                                                         make_terminal,
                                                                         stripe_fake):
    window = CardPayments(blank_shop, make_terminal())  # the window: poll, Esc, F4 share it
    command = CardPayments(blank_shop, make_terminal())  # another process on the same till
    card = round_no % 3  # 0: tapped before the race, 1: tapped during it, 2: never tapped
    view = window.start(sale_id(round_no), 0, 1000 + round_no, "EUR")
    if card == 0:
        stripe_fake.present_card(READER, VISA)
        if round_no % 2:  # the capture is applied, its answer late: the others run meanwhile
            stripe_fake.fail_next("POST", f"/v1/payment_intents/{view.reference}/capture",
                                  "slow_after:0.15")
    attempt = view.attempt_id
    calls = [lambda: window.status(attempt), lambda: window.status(attempt),
             lambda: window.cancel(attempt), lambda: window.retry(attempt),
             lambda: command.status(attempt), lambda: command.recover()]
    if card == 1:
        calls.append(lambda: stripe_fake.present_card(READER, VISA))
    results = together(*calls)

    final = window.status(attempt)
    pi = stripe_fake.payment_intents[view.reference]
    assert final.state.final, final
    taken = final.state is S.SUCCEEDED
    assert pi["status"] == ("succeeded" if taken else "canceled")
    seen = [r for r in results if isinstance(r, AttemptView)]
    seen += [v for r in results if isinstance(r, list) for v in r if isinstance(v, AttemptView)]
    for r in results:  # the only refusals: Esc after the money was taken, a tap too late
        assert not isinstance(r, Exception) or isinstance(r, (RuleViolation, FakeStripeError)), r
    for v in seen:
        assert "declined" not in v.message
        if v.state.final:  # every final answer any thread got is the money's real fate
            assert (v.state is S.SUCCEEDED) == taken, (v, pi["status"])
    captures = stripe_fake.requests_to("POST", f"/v1/payment_intents/{view.reference}/capture")
    assert len([c for c in captures if not c.replayed and c.status == 200]) == int(taken)
    listed = [a.attempt_id for a in window.taken_without_sale()]
    assert listed == ([attempt] if taken else [])  # taken with no sale: always listed


# -- a capture whose answer was lost -------------------------------------------------------------
@pytest.mark.parametrize("mode, applied", [("drop_after", True), ("slow_after:1.0", True),
                                           ("drop_before", False), ("http_500", False)])
@pytest.mark.parametrize("then", ["status", "cancel", "recover"])
def test_a_lost_capture_is_never_called_declined_or_cancelled_once_the_money_is_taken(
        mode, applied, then, blank_shop, make_terminal, stripe_fake):
    payments = CardPayments(blank_shop, make_terminal(read_timeout_s=0.4))
    view = approved(payments, stripe_fake, sale_id(1), 1234)
    stripe_fake.fail_next("POST", f"/v1/payment_intents/{view.reference}/capture", mode)
    lost = payments.status(view.attempt_id)
    assert lost.state is S.UNKNOWN
    assert "declined" not in lost.message and "cancel" not in lost.message
    if then == "status":  # the next poll
        after = payments.status(view.attempt_id)
    elif then == "cancel":  # the cashier gives up: Esc
        after = payments.cancel(view.attempt_id)
    else:  # the till died here; on restart the sale was never recorded
        [after] = CardPayments(blank_shop, make_terminal()).recover()
    taken = applied or then == "status"
    assert after.state is (S.SUCCEEDED if taken else S.CANCELED), after
    assert "declined" not in after.message
    pi = stripe_fake.payment_intents[view.reference]
    assert pi["status"] == ("succeeded" if taken else "canceled")
    assert [a.attempt_id for a in payments.taken_without_sale()] == (
        [view.attempt_id] if taken else [])


def test_a_cancel_whose_answer_was_lost_is_not_undone_by_the_next_poll(blank_shop, make_terminal,
                                                                       stripe_fake):
    payments = CardPayments(blank_shop, make_terminal())
    view = approved(payments, stripe_fake, sale_id(2), 1234)  # tapped as the cashier hits Esc
    stripe_fake.fail_next("POST", f"/v1/payment_intents/{view.reference}/cancel", "drop_before")
    cancelled = payments.cancel(view.attempt_id)
    assert cancelled.state is S.UNKNOWN
    polled = payments.status(view.attempt_id)  # the window polls every 0.5 s
    assert polled.state is not S.SUCCEEDED
    assert stripe_fake.payment_intents[view.reference]["status"] != "succeeded"


def test_a_command_that_lost_its_capture_then_is_run_again_charges_once(blank_shop,
                                                                        make_terminal,
                                                                        stripe_fake):
    stripe_fake.set_reader(READER, auto_present=VISA, auto_delay_s=0.05)
    stripe_fake.fail_next("POST", "/v1/payment_intents/", "drop_after")  # the first capture

    def flaky_sleep(_s: float) -> None:
        if stripe_fake.captured():  # right after the capture landed, the line goes down
            stripe_fake.go_offline()
        time.sleep(0.05)

    first = CardPayments(blank_shop, make_terminal())
    with pytest.raises(RuleViolation, match="MAY HAVE BEEN CHARGED.*no sale was recorded"):
        take_cards(first, sale_id(3), [CardShare(0, 1500)], "EUR", staff_id="s", wait_s=0.6,
                   out=io.StringIO(), sleep=flaky_sleep)
    assert len(stripe_fake.captured()) == 1  # the customer has paid
    stripe_fake.go_online()
    again = CardPayments(blank_shop, make_terminal())  # the script (or cashier) tries again
    with contextlib.suppress(DomainError):
        take_cards(again, sale_id(4), [CardShare(0, 1500)], "EUR", staff_id="s", wait_s=5,
                   out=io.StringIO(), sleep=lambda _s: time.sleep(0.05))
    taken = sum(pi["amount_received"] for pi in stripe_fake.payment_intents.values())
    given_back = sum(r["amount"] for r in stripe_fake.refunds.values())
    assert taken - given_back <= 1500  # one purchase, one charge


def test_recovery_beside_the_window_spares_a_polled_payment_and_settles_an_abandoned_one(
        blank_shop, make_terminal, stripe_fake, monkeypatch):
    monkeypatch.setattr(attempts, "HEARTBEAT", timedelta(seconds=0.1))  # 30 s in the till
    live = timedelta(seconds=0.4)  # LIVE_WINDOW: twice the heartbeat (margin for a slow box)
    window = CardPayments(blank_shop, make_terminal())
    view = window.start(sale_id(5), 0, 1234, "EUR")
    command = CardPayments(blank_shop, make_terminal())
    for _ in range(8):  # the customer takes their time; the window keeps polling
        time.sleep(0.05)
        assert window.status(view.attempt_id).state is S.PROCESSING
        command.recover(idle_for=live)
    assert stripe_fake.payment_intents[view.reference]["status"] == "requires_payment_method"
    time.sleep(0.6)  # the window died: nobody polls any more
    [settled] = command.recover(idle_for=live)
    assert settled.state is S.CANCELED
    assert stripe_fake.payment_intents[view.reference]["status"] == "canceled"


def test_an_intent_captured_for_less_is_not_recorded_as_the_full_amount(blank_shop,
                                                                        make_terminal,
                                                                        stripe_fake):
    payments = CardPayments(blank_shop, make_terminal())
    view = approved(payments, stripe_fake, sale_id(6), 1234)
    elsewhere = stripe.StripeClient(stripe_fake.api_key, base_addresses={"api": stripe_fake.url})
    elsewhere.v1.payment_intents.capture(view.reference, params={"amount_to_capture": 500})
    seen = payments.status(view.attempt_id)
    # the books say what the card paid (5.00), so the rest stays due at the till
    assert seen.state is S.SUCCEEDED and seen.amount == 500, f"recorded {seen.amount_text}"
    assert "only 5.00 was taken" in seen.message


# -- another payment on the reader ---------------------------------------------------------------
def test_cancel_and_retry_never_touch_another_payment_on_the_reader(blank_shop, make_terminal,
                                                                    stripe_fake):
    payments = CardPayments(blank_shop, make_terminal())
    stripe_fake.fail_next("POST", PROCESS, "drop_before", times=2)
    lost_a = payments.start(sale_id(7), 0, 1000, "EUR")
    lost_c = payments.start(sale_id(8), 0, 1100, "EUR")
    assert (lost_a.state, lost_c.state) == (S.UNKNOWN, S.UNKNOWN)
    other = CardPayments(blank_shop, make_terminal())  # meanwhile the reader took another sale
    b = other.start(sale_id(9), 0, 2000, "EUR")
    assert payments.cancel(lost_a.attempt_id).state is S.CANCELED
    retried = payments.retry(lost_c.attempt_id)
    assert retried.state is S.FAILED and retried.message.startswith("card reader busy")
    action = stripe_fake.readers[READER]["action"]
    assert action["status"] == "in_progress"
    assert action["process_payment_intent"]["payment_intent"] == b.reference
    stripe_fake.present_card(READER, VISA)
    assert other.status(b.attempt_id).state is S.SUCCEEDED
    states = {pi["id"]: pi["status"] for pi in stripe_fake.payment_intents.values()}
    assert states == {lost_a.reference: "canceled", lost_c.reference: "canceled",
                      b.reference: "succeeded"}


# -- refunds -------------------------------------------------------------------------------------
def test_a_refund_whose_answer_was_lost_is_sent_again_once(sold_by_card, blank_shop, stripe_fake):
    terminal, refund_id, _ = sold_by_card
    stripe_fake.fail_next("POST", "/v1/refunds", "drop_after")
    [lost] = card_refunds.send(blank_shop, terminal, refund_id).values()
    assert not lost.succeeded and share_states(blank_shop) == ["pending"]
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [500]  # it did land
    for _ in range(2):  # tillpoint refund --retry-cards, twice
        card_refunds.send_pending(blank_shop, terminal)
    assert share_states(blank_shop) == ["done"]
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [500]


def test_a_refund_retried_after_stripe_forgot_its_key_is_not_made_twice(sold_by_card, blank_shop,
                                                                        stripe_fake):
    terminal, refund_id, _ = sold_by_card
    stripe_fake.fail_next("POST", "/v1/refunds", "drop_after")
    card_refunds.send(blank_shop, terminal, refund_id)
    assert share_states(blank_shop) == ["pending"]
    forget_idempotency_keys(stripe_fake)  # the next day
    card_refunds.send_pending(blank_shop, terminal)
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [500]


def test_a_stripe_payment_is_never_marked_refunded_by_another_provider(sold_by_card, blank_shop,
                                                                       stripe_fake):
    _, refund_id, _ = sold_by_card
    [outcome] = card_refunds.send(blank_shop, StandaloneTerminal(), refund_id).values()
    assert stripe_fake.refunds == {}
    assert not outcome.succeeded and share_states(blank_shop) == ["pending"]


# -- what is stored, and who waits on Stripe -----------------------------------------------------
def test_nothing_about_the_card_but_brand_and_last_four_is_stored(sold_by_card, blank_shop,
                                                                  stripe_fake):
    terminal, refund_id, pi_id = sold_by_card
    card_refunds.send(blank_shop, terminal, refund_id)
    pi = stripe_fake.payment_intents[pi_id]
    charge = stripe_fake.charges[pi["latest_charge"]]
    card = charge["payment_method_details"]["card_present"]
    forbidden = [VISA, card["fingerprint"], pi["payment_method"], card["read_method"],
                 card["receipt"]["dedicated_file_name"], pi["client_secret"], charge["id"]]
    with contextlib.closing(sqlite3.connect(blank_shop.path)) as conn:
        dump = "\n".join(conn.iterdump())
    assert pi_id in dump and "4242" in dump  # what is kept: the intent, the last four digits
    assert [f for f in forbidden if f and f in dump] == []


def test_a_slow_stripe_never_holds_the_store(sold_by_card, blank_shop, make_terminal,
                                             stripe_fake):
    terminal, refund_id, _ = sold_by_card
    payments = CardPayments(blank_shop, terminal)
    view = payments.start(sale_id(10), 0, 700, "EUR")

    def write_while(call, method: str, path: str) -> float:  # noqa: ANN001
        stripe_fake.fail_next(method, path, "slow_after:0.6")
        worker = threading.Thread(target=call)
        worker.start()
        time.sleep(0.2)
        assert worker.is_alive()  # it is waiting on Stripe now
        began = time.monotonic()
        with blank_shop.write():
            pass
        took = time.monotonic() - began
        worker.join(5)
        return took

    waits = [write_while(lambda: payments.status(view.attempt_id), "GET",
                         f"/v1/payment_intents/{view.reference}")]
    stripe_fake.present_card(READER, VISA)
    waits.append(write_while(lambda: payments.status(view.attempt_id), "POST",
                             f"/v1/payment_intents/{view.reference}/capture"))
    waits.append(write_while(lambda: card_refunds.send(blank_shop, terminal, refund_id), "POST",
                             "/v1/refunds"))
    assert max(waits) < 0.25, waits
    assert payments.status(view.attempt_id).state is S.SUCCEEDED
    assert share_states(blank_shop) == ["done"]


# -- decisions on codes, never on Stripe's message text ------------------------------------------
def _invalid(message: str, code: str) -> stripe.InvalidRequestError:
    return stripe.InvalidRequestError(message, None, code=code, http_status=400)


@pytest.mark.parametrize(("error", "kind", "words"), [
    (_invalid("Reader is currently offline", "terminal_reader_busy"), Failure.READER_BUSY,
     "card reader busy: finish or cancel what it shows"),
    (_invalid("The reader is busy", "terminal_reader_offline"), Failure.READER_OFFLINE,
     "card reader offline"),
    (_invalid("This PaymentIntent succeeded", "payment_intent_unexpected_state"), Failure.STATE,
     "this payment cannot be changed in its state"),
    (stripe.CardError("Approved", None, "card_declined", http_status=402, json_body={"error": {
        "type": "card_error", "code": "card_declined", "decline_code": "lost_card",
        "message": "Your card was approved."}}), Failure.CARD, "declined: card reported lost"),
])
def test_failures_are_classified_by_code_whatever_the_message_says(error, kind, words):
    failure = classify(error)
    assert (failure.kind, failure.words) == (kind, words)

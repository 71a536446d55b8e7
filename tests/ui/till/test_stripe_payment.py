"""The payment page on a Stripe Terminal reader (the fake Stripe server, the real SDK, a real
register session, real widgets): what the cashier sees while the reader waits, a decline in
words then a second card approved, Esc cancelling at the reader, an unreachable Stripe said
before Card is pressed while cash still sells (and the Card button back with the
connection), and a lost reply answered by F4 with the same PaymentIntent — never a second."""

from __future__ import annotations

import pytest

from app.payments.attempts import CardPayments
from app.payments.stripe_terminal import StripeTerminal
from tests.ui.till.conftest import WAIT_MS
from tests.ui.till.payment_support import (money, order_count, panel,  # noqa: F401 - fixtures
                                           receipt_dir, two_items_total)
from tests.ui.till.u2_support import OFFSCREEN_SIZE_HINTS, key

pytestmark = OFFSCREEN_SIZE_HINTS
READER = "tmr_window_till"


@pytest.fixture
def till_payments(shop, fake_stripe):  # noqa: ANN001, ANN201
    fake_stripe.add_reader(READER, label="Window till")
    return CardPayments(shop, StripeTerminal(fake_stripe.api_key, READER, fake_stripe.url,
                                             connect_timeout_s=1, read_timeout_s=1.5))


def card_text(panel) -> str:  # noqa: ANN001
    return panel.card_status.text() if panel.card_status.isVisible() else ""


def test_present_card_declined_in_words_then_another_card_approved(qtbot, panel, till, shop,
                                                                   fake_stripe, demo_items):
    total = two_items_total(demo_items)
    key(qtbot, panel.amount_field, "F2")
    qtbot.waitUntil(lambda: "present card" in card_text(panel), timeout=WAIT_MS)
    assert panel.card_cancel.isVisible() and not panel.card_approved.isVisible()
    assert not panel.cash_button.isEnabled()  # one tender at a time while the reader waits

    fake_stripe.present_card(READER, "4000000000009995")
    qtbot.waitUntil(lambda: "insufficient funds" in card_text(panel), timeout=WAIT_MS)
    assert panel.view.due == total and panel.cash_button.isEnabled()

    key(qtbot, panel.amount_field, "F2")  # the customer tries another card
    qtbot.waitUntil(lambda: "present card" in card_text(panel), timeout=WAIT_MS)
    fake_stripe.present_card(READER, "5555555555554444")
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    [tender] = panel.view.tenders
    assert "4444" in tender.label
    key(qtbot, panel.amount_field, "F12")
    qtbot.waitUntil(lambda: order_count(shop) == 1, timeout=WAIT_MS)
    [captured] = fake_stripe.captured()
    assert captured["amount"] == total
    others = [pi for pi in fake_stripe.payment_intents.values() if pi["id"] != captured["id"]]
    assert [pi["status"] for pi in others] == ["canceled"]  # the declined one, voided


def test_esc_cancels_at_the_reader_and_nothing_is_taken(qtbot, panel, fake_stripe):
    key(qtbot, panel.amount_field, "F2")
    qtbot.waitUntil(lambda: "present card" in card_text(panel), timeout=WAIT_MS)
    key(qtbot, panel.amount_field, "Escape")
    qtbot.waitUntil(lambda: panel.view.card is not None
                    and panel.view.card.state == "canceled", timeout=WAIT_MS)
    assert fake_stripe.readers[READER]["action"] is None or (
        fake_stripe.readers[READER]["action"]["status"] != "in_progress")
    assert [pi["status"] for pi in fake_stripe.payment_intents.values()] == ["canceled"]
    assert fake_stripe.captured() == [] and panel.cash_button.isEnabled()


def test_stripe_out_of_reach_is_said_before_card_is_pressed_and_cash_still_sells(
        qtbot, till, till_controller, shop, fake_stripe, demo_items, receipt_dir):
    from ui.till.payment_panel import PaymentPanel
    from tests.ui.till.u2_support import show

    fake_stripe.go_offline()
    widget = show(qtbot, PaymentPanel(till_controller), (1024, 700))
    till.sign_in()
    till.open_shift("100.00")
    till.call("scan", demo_items[0].barcode)
    till.call("begin_payment")
    qtbot.waitUntil(lambda: widget.view is not None and not widget.view.card_available,
                    timeout=WAIT_MS)
    assert "no connection to stripe" in widget.view.card_unavailable_reason.lower()
    assert not widget.card_button.isEnabled()
    assert "no connection to Stripe" in widget.card_button.toolTip()
    qtbot.keyClicks(widget.amount_field, "1.00")
    key(qtbot, widget.amount_field, "Return")  # cash meanwhile: the till keeps selling
    qtbot.waitUntil(lambda: len(widget.view.tenders) == 1, timeout=WAIT_MS)
    widget._recheck.setInterval(50)  # the page asks again every few seconds: faster here
    fake_stripe.go_online()  # the connection comes back while the customer waits
    qtbot.waitUntil(lambda: widget.view.card_available and widget.card_button.isEnabled(),
                    timeout=WAIT_MS)
    assert widget.view.due > 0
    key(qtbot, widget.amount_field, "F1")  # the rest in cash after all
    qtbot.waitUntil(lambda: widget.view.due == 0, timeout=WAIT_MS)
    key(qtbot, widget.amount_field, "F12")
    qtbot.waitUntil(lambda: order_count(shop) == 1, timeout=WAIT_MS)
    fake_stripe.go_online()


def test_a_lost_reply_is_retried_with_the_same_payment_intent(qtbot, panel, fake_stripe,
                                                              demo_items, shop):
    # the hand-over reaches the reader, its reply is lost: the outcome is unknown
    fake_stripe.fail_next("POST", f"/v1/terminal/readers/{READER}/process_payment_intent",
                          mode="drop_after")
    fake_stripe.fail_next("GET", "/v1/payment_intents", mode="drop_before", times=2)
    key(qtbot, panel.amount_field, "F2")
    qtbot.waitUntil(lambda: panel.card_retry.isVisible() or "present card" in card_text(panel),
                    timeout=WAIT_MS)
    # whatever the poll learned meanwhile, the customer's tap decides — and only once
    fake_stripe.present_card(READER, "4242424242424242")
    if panel.card_retry.isVisible():
        key(qtbot, panel.amount_field, "F4")
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    assert len(fake_stripe.payment_intents) == 1 and len(fake_stripe.captured()) == 1
    key(qtbot, panel.amount_field, "F12")
    qtbot.waitUntil(lambda: order_count(shop) == 1, timeout=WAIT_MS)


def test_a_hand_over_that_never_reached_the_reader_is_retried_by_f4_on_the_same_intent(
        qtbot, panel, fake_stripe, shop):
    fake_stripe.fail_next("POST", f"/v1/terminal/readers/{READER}/process_payment_intent",
                          mode="drop_before")
    key(qtbot, panel.amount_field, "F2")
    qtbot.waitUntil(panel.card_retry.isVisible, timeout=WAIT_MS)
    assert panel.view.card.state == "unknown" and panel.view.due > 0
    [first] = fake_stripe.payment_intents
    key(qtbot, panel.amount_field, "F4")
    qtbot.waitUntil(lambda: "present card" in card_text(panel), timeout=WAIT_MS)
    assert not panel.card_retry.isVisible()
    fake_stripe.present_card(READER, "4242424242424242")
    qtbot.waitUntil(lambda: panel.view.due == 0, timeout=WAIT_MS)
    assert list(fake_stripe.payment_intents) == [first]  # retried, not created again
    assert [pi["id"] for pi in fake_stripe.captured()] == [first]

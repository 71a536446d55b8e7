"""End to end: a till's provider takes a card payment on a fake Stripe reader through the real
SDK (a decline first, then another card, then two refunds), and the events the fake Stripe
made are delivered to the server newest first, before and after the sale is pushed, each
twice: the order ends as Stripe's figures say, nothing counted twice."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.payments.base import AttemptState, PaymentRequest
from app.payments.stripe_terminal import StripeTerminal
from server.config import ServerSettings
from tests.server.stripe_webhook_support import SECRET, URL, card_sale, push_sale
from tests.server.sync.test_push_helpers import pair
from tests.support.fake_stripe.webhooks import delivery

AMOUNT = 2598
READER = "tmr_webhook"


@pytest.fixture
def settings(settings: ServerSettings) -> ServerSettings:
    return replace(settings, stripe_webhook_secret=SECRET)


def _pay(fake) -> str:
    """A declined card, then an approved one on a second attempt; the captured intent."""
    fake.add_reader(READER)
    provider = StripeTerminal(fake.api_key, READER, fake.url)
    declined = PaymentRequest("sale-1", 0, 1, AMOUNT, "eur")
    provider.prepare(declined)
    provider.start(declined)
    fake.present_card(READER, "4000000000009995")  # insufficient funds
    assert provider.status(declined, None).state is AttemptState.FAILED
    paid = PaymentRequest("sale-1", 0, 2, AMOUNT, "eur")
    pi = provider.prepare(paid).reference
    provider.start(paid)
    fake.present_card(READER, "4242424242424242")
    assert provider.status(paid, pi).state is AttemptState.SUCCEEDED
    for part in (1000, AMOUNT - 1000):
        assert provider.refund(pi, part, "eur", f"r{part}").succeeded
    assert pi is not None
    return pi


def _deliver(client, events) -> list[dict]:
    answers = []
    for event in events:
        body, headers = delivery(event, SECRET)
        response = client.post(URL, content=body, headers=headers)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


def test_the_fake_stripes_events_bring_the_sale_to_stripes_figures(client, mongo, fake_stripe):
    db = mongo.db
    pi = _pay(fake_stripe)
    made = fake_stripe.events
    kinds = {e["type"] for e in made}
    assert {"payment_intent.payment_failed", "payment_intent.canceled",
            "payment_intent.succeeded", "charge.refunded"} <= kinds
    newest_first = list(reversed(made))
    half = len(newest_first) // 2
    till = pair(db)
    sale = card_sale(db, till, pi)
    _deliver(client, newest_first[:half])  # Stripe is quicker than the till's push
    push_sale(client, till, sale)
    _deliver(client, newest_first[half:])
    again = _deliver(client, made)
    assert all(a.get("duplicate") or a.get("ignored") for a in again)
    order = db.orders.find_one({"_id": sale["id"]})
    card = order["payments"][0]["stripe"]
    assert (card["status"], card["amount_received"], card["amount_refunded"]) == \
        ("succeeded", AMOUNT, AMOUNT)
    assert order["payment_state"] == "refunded"
    declined = [d for d in db.card_payments.find({}) if d["_id"] != pi]
    assert [(d["status"], d["decline_code"]) for d in declined] == \
        [("canceled", "insufficient_funds")]  # no sale of its own: kept, on no order
    assert declined[0].get("order_id") is None

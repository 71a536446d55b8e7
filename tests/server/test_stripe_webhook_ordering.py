"""Stripe delivers events out of order and more than once: every order of arrival gives the
same state (an older event never undoes a newer one, a refund is never counted twice), and a
webhook racing the sale's push never loses its state."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from itertools import permutations

import pytest

from server.config import ServerSettings
from server.payments.card_state import merge
from server.payments.events import parse
from tests.server.stripe_webhook_support import (SECRET, T0, body_of, canceled, card_sale,
                                                 delivered, failed, new_pi, push_sale,
                                                 refunded, succeeded)
from tests.server.sync.test_push_helpers import mutation, pair, push

AMOUNT = 2598
RACES = int(os.environ.get("TILLPOINT_WEBHOOK_RACES", "6"))


@pytest.fixture
def settings(settings: ServerSettings) -> ServerSettings:
    return replace(settings, stripe_webhook_secret=SECRET)


def _final(events: list[dict]) -> dict:
    state: dict = {"_id": "pi"}
    for event in events:
        parsed = parse(body_of(event))
        assert parsed.fact is not None
        state = {**state, **merge(state, parsed.fact, parsed.created)}
    return {name: value for name, value in state.items() if value is not None}  # None: unset


@pytest.mark.parametrize("story", [
    # declined, retried on the same PaymentIntent, paid, refunded in two parts
    [failed("pi", AMOUNT, T0), succeeded("pi", AMOUNT, T0 + 5),
     refunded("pi", AMOUNT, 1000, T0 + 50), refunded("pi", AMOUNT, AMOUNT, T0 + 80)],
    # all in one second: the figures that can follow the others win
    [failed("pi", AMOUNT, T0), succeeded("pi", AMOUNT, T0), refunded("pi", AMOUNT, 500, T0),
     refunded("pi", AMOUNT, 700, T0)],
    # declined, then the till voided it
    [failed("pi", AMOUNT, T0), canceled("pi", AMOUNT, T0), failed("pi", AMOUNT, T0 - 3)],
])
def test_every_order_of_arrival_gives_the_same_state(story):
    expected = _final(story)
    for order in permutations(story):
        assert _final(list(order)) == expected
    assert _final(story + story) == expected  # repeats change nothing either


def test_older_events_arriving_late_do_not_undo_newer_ones(client, mongo):
    db = mongo.db
    till, pi = pair(db), new_pi()
    sale = card_sale(db, till, pi)
    push_sale(client, till, sale)
    assert delivered(client, refunded(pi, AMOUNT, AMOUNT, T0 + 60))["changed"] is True
    for late in (refunded(pi, AMOUNT, 1000, T0 + 30), succeeded(pi, AMOUNT, T0 + 10),
                 failed(pi, AMOUNT, T0)):
        assert delivered(client, late)["duplicate"] is False  # new, but older than what is known
    order = db.orders.find_one({"_id": sale["id"]})
    card = order["payments"][0]["stripe"]
    assert (card["status"], card["amount_received"], card["amount_refunded"]) == \
        ("succeeded", AMOUNT, AMOUNT)
    assert order["payment_state"] == "refunded" and order["version"] == 2
    assert db.stripe_events.count_documents({}) == 4  # each one seen, kept out on its merits


def test_a_webhook_racing_the_sales_push_never_loses_its_state(client, mongo):
    """Both write the PaymentIntent's document, so one of them retries and sees the other;
    with the sale only reading it, each missed the other's write in every run of six races
    (8 runs of 6, on the embedded database)."""
    db = mongo.db
    till = pair(db)
    for _ in range(RACES):
        pi = new_pi()
        sale = card_sale(db, till, pi)
        start = threading.Barrier(2)
        answers: dict[str, object] = {}

        def webhook() -> None:
            start.wait()
            answers["webhook"] = delivered(client, refunded(pi, AMOUNT, 1000, T0))

        def sale_push() -> None:
            start.wait()
            answers["push"] = push(client, till, [mutation(till, "order.created", sale)])

        threads = [threading.Thread(target=webhook), threading.Thread(target=sale_push)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert answers["push"].status_code == 200  # type: ignore[attr-defined]
        order = db.orders.find_one({"_id": sale["id"]})
        assert order["payment_state"] == "partially_refunded", answers
        assert order["payments"][0]["stripe"]["amount_refunded"] == 1000

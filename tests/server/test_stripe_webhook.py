"""``POST /api/v1/webhooks/stripe`` in-process over the real database: signed events update the
till sale's card payment and the order's payment state; bad, missing and stale signatures,
bodies that are not events, and a server without a secret change nothing; a replayed event
(also two deliveries at once) is a duplicate; a refund reported before the sale is pushed
reaches the order when it arrives."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import stripe
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import ServerSettings
from server.database import Mongo
from server.security.webhooks import sign
from tests.server.stripe_webhook_support import (SECRET, T0, URL, body_of, canceled,
                                                 card_sale, deliver, delivered, failed, new_pi,
                                                 push_sale, refunded, snapshot, succeeded)
from tests.server.sync.test_push_helpers import pair

AMOUNT = 2598  # what ``card_sale`` rings up: two teas at 12.99


@pytest.fixture
def settings(settings: ServerSettings) -> ServerSettings:
    return replace(settings, stripe_webhook_secret=SECRET)


def _order(db, sale):
    return db.orders.find_one({"_id": sale["id"]})


def test_a_signed_capture_marks_the_sales_card_payment_and_the_order(client, mongo):
    db = mongo.db
    till, pi = pair(db), new_pi()
    sale = card_sale(db, till, pi)
    push_sale(client, till, sale)
    assert _order(db, sale)["payment_state"] == "unconfirmed"
    body = body_of(succeeded(pi, AMOUNT))
    # the header Stripe's own SDK makes for a test payload verifies
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)
    response = deliver(client, body, header=header)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False, "payment_intent": pi,
                               "order_id": sale["id"], "changed": True}
    order = _order(db, sale)
    assert order["version"] == 2 and order["payment_state"] == "captured"
    assert order["payments"][0]["stripe"]["status"] == "succeeded"
    assert order["payments"][0]["stripe"]["amount_received"] == AMOUNT
    assert order["payments"][0]["refunded"] == 0  # the till's figure is the till's
    assert db.audit_log.find_one({"action": "order.card_payment"})["actor"] == "stripe:webhook"
    feed = db.change_log.find_one({"entity_id": sale["id"], "version": 2})
    assert feed["data"]["payment_state"] == "captured"  # tills see it on the store feed


def test_bad_missing_and_stale_signatures_are_refused_and_change_nothing(client, mongo):
    db = mongo.db
    till, pi = pair(db), new_pi()
    sale = card_sale(db, till, pi)
    push_sale(client, till, sale)
    before = snapshot(db)
    event = succeeded(pi, AMOUNT)
    now = time.time()
    cases = {
        "wrong secret": (deliver(client, event, secret="whsec_someone_else"),
                         "no signature matches"),
        "altered body": (deliver(client, body_of(event).replace(b"2598", b"9999"),
                                 header=sign(SECRET, body_of(event), int(now))),
                         "no signature matches"),
        "missing": (deliver(client, event, header=""), "no signature header"),
        "malformed": (deliver(client, event, header="v1=abc"), "exactly one numeric timestamp"),
        "stale": (deliver(client, event, at=now - 301), "stale"),
        "future": (deliver(client, event, at=now + 3600), "in the future"),
    }
    for name, (response, reason) in cases.items():
        assert response.status_code == 400, name
        error = response.json()["error"]
        assert error["code"] == "bad_signature" and reason in error["message"], (name, error)
        assert error["details"] == {"field": "Stripe-Signature"}
    assert snapshot(db) == before
    assert deliver(client, event, at=now - 290).status_code == 200  # inside the 300 s


def test_without_a_secret_every_event_is_refused_with_words(settings, mongo):
    app = create_app(replace(settings, stripe_webhook_secret=""),
                     Mongo.open(settings.mongodb_uri, settings.database))
    with TestClient(app) as bare:
        response = deliver(bare, succeeded(new_pi(), AMOUNT))
        unsigned = bare.post(URL, content=body_of(succeeded(new_pi(), AMOUNT)))
    app.state.mongo.close()
    for answer in (response, unsigned):
        assert answer.status_code == 503
        assert "TILLPOINT_STRIPE_WEBHOOK_SECRET" in answer.json()["error"]["message"]
    assert mongo.db.stripe_events.count_documents({}) == 0


@pytest.mark.parametrize("body, field", [
    (b"not json", ""), (b"[1, 2]", ""), (json.dumps({"object": "charge"}).encode(), "object"),
    (body_of({**succeeded("pi_x", 1), "id": None}), "id"),
    (body_of({**succeeded("pi_x", 1), "created": "yesterday"}), "created"),
    (body_of({**succeeded("pi_x", 1), "data": {}}), "data.object"),
    (body_of({**succeeded("pi_x", 1), "data": {"object": {"id": "pi_x"}}}),
     "data.object.amount_received"),
    (body_of({**refunded("pi_x", 5, 5), "data": {"object": {"payment_intent": "pi_x",
                                                             "amount_refunded": -5}}}),
     "data.object.amount_refunded"),
])
def test_a_signed_body_that_is_not_an_event_is_refused_naming_the_field(client, mongo, body,
                                                                         field):
    response = deliver(client, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_event" and error["details"] == {"field": field}
    assert mongo.db.stripe_events.count_documents({}) == 0


def test_other_event_types_and_charges_without_a_payment_intent_are_ignored(client, mongo):
    other = {**succeeded(new_pi(), AMOUNT), "type": "customer.created"}
    assert delivered(client, other) == {"received": True, "ignored": True,
                                        "type": "customer.created"}
    loose = refunded(new_pi(), AMOUNT, AMOUNT)
    loose["data"]["object"]["payment_intent"] = None
    assert delivered(client, loose)["ignored"] is True
    assert mongo.db.stripe_events.count_documents({}) == 0
    assert mongo.db.card_payments.count_documents({}) == 0


def test_a_replayed_refund_is_a_duplicate_and_counts_once(client, mongo):
    db = mongo.db
    till, pi = pair(db), new_pi()
    sale = card_sale(db, till, pi)
    push_sale(client, till, sale)
    delivered(client, succeeded(pi, AMOUNT, T0))
    refund = refunded(pi, AMOUNT, 1000, T0 + 60)
    assert delivered(client, refund)["changed"] is True
    before = snapshot(db)
    for _ in range(2):  # Stripe re-signs each retry: only the event id tells it is the same
        assert delivered(client, refund) == {"received": True, "duplicate": True}
    assert snapshot(db) == before
    order = _order(db, sale)
    assert order["payments"][0]["stripe"]["amount_refunded"] == 1000
    assert order["payment_state"] == "partially_refunded" and order["version"] == 3


def test_two_deliveries_of_one_event_at_once_apply_it_once(client, mongo):
    db = mongo.db
    till, pi = pair(db), new_pi()
    sale = card_sale(db, till, pi)
    push_sale(client, till, sale)
    event = refunded(pi, AMOUNT, AMOUNT, T0)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: delivered(client, event), range(4)))
    assert sorted(a["duplicate"] for a in answers) == [False, True, True, True]
    assert db.stripe_events.count_documents({}) == 1
    order = _order(db, sale)
    assert order["version"] == 2 and order["payment_state"] == "refunded"
    assert db.audit_log.count_documents({"action": "order.card_payment"}) == 1


def test_a_refund_reported_before_the_sale_is_pushed_reaches_it_when_it_arrives(client, mongo):
    db = mongo.db
    till, pi = pair(db), new_pi()
    sale = card_sale(db, till, pi)
    first = delivered(client, succeeded(pi, AMOUNT, T0))
    assert first["order_id"] is None and first["changed"] is True
    delivered(client, refunded(pi, AMOUNT, 598, T0 + 30))
    kept = db.card_payments.find_one({"_id": pi})
    assert (kept["status"], kept["amount_refunded"], kept.get("order_id")) == \
        ("succeeded", 598, None)
    push_sale(client, till, sale)
    order = _order(db, sale)
    assert order["version"] == 1 and order["payment_state"] == "partially_refunded"
    assert order["payments"][0]["stripe"]["amount_refunded"] == 598
    assert db.card_payments.find_one({"_id": pi})["order_id"] == sale["id"]
    # and the rest, after the push
    delivered(client, refunded(pi, AMOUNT, AMOUNT, T0 + 90))
    order = _order(db, sale)
    assert order["payment_state"] == "refunded" and order["version"] == 2
    assert order["payments"][0]["stripe"]["amount_refunded"] == AMOUNT


def test_declines_and_cancels_say_so_with_stripes_codes(client, mongo):
    db = mongo.db
    till = pair(db)
    declined_pi, canceled_pi = new_pi(), new_pi()
    declined, voided = card_sale(db, till, declined_pi), card_sale(db, till, canceled_pi)
    push_sale(client, till, declined)
    push_sale(client, till, voided)
    delivered(client, failed(declined_pi, AMOUNT, code="card_declined",
                             decline_code="insufficient_funds"))
    delivered(client, canceled(canceled_pi, AMOUNT))
    card = _order(db, declined)["payments"][0]["stripe"]
    assert (card["status"], card["failure_code"], card["decline_code"]) == \
        ("failed", "card_declined", "insufficient_funds")
    assert _order(db, declined)["payment_state"] == "failed"  # a recorded sale: for review
    card = _order(db, voided)["payments"][0]["stripe"]
    assert (card["status"], card["cancellation_reason"]) == ("canceled", "requested_by_customer")
    assert _order(db, voided)["payment_state"] == "failed"


def test_a_capture_of_another_amount_than_the_till_recorded_is_shown(client, mongo):
    db = mongo.db
    till, pi = pair(db), new_pi()
    sale = card_sale(db, till, pi)
    push_sale(client, till, sale)
    delivered(client, succeeded(pi, AMOUNT, received=AMOUNT - 100))
    assert _order(db, sale)["payment_state"] == "amount_differs"


def test_the_secret_and_tolerance_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TILLPOINT_STRIPE_WEBHOOK_SECRET", " whsec_from_env ")
    monkeypatch.setenv("TILLPOINT_STRIPE_WEBHOOK_TOLERANCE_S", "120")
    settings = ServerSettings.from_env()
    assert (settings.stripe_webhook_secret, settings.stripe_webhook_tolerance_s) == \
        ("whsec_from_env", 120)
    monkeypatch.delenv("TILLPOINT_STRIPE_WEBHOOK_SECRET")
    monkeypatch.delenv("TILLPOINT_STRIPE_WEBHOOK_TOLERANCE_S")
    assert ServerSettings.from_env().stripe_webhook_tolerance_s == 300

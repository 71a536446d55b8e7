"""Helpers for the Stripe webhook tests (no tests of their own): Stripe-shaped events, signed
deliveries, and a paid till sale pushed the way a till pushes it."""

from __future__ import annotations

import json
import time
import uuid
from itertools import count
from typing import Any

from server.security.webhooks import sign
from tests.server.sync.test_push_helpers import (Till, mutation, pushed, stocked_product,
                                                 till_order)

SECRET = "whsec_test_tillpoint_0123456789abcdef"
URL = "/api/v1/webhooks/stripe"
T0 = 1_770_000_000  # Stripe's clock for the events (the signatures use the real one)
_EVENTS = count(1)

Doc = dict[str, Any]


def new_pi() -> str:
    return f"pi_{uuid.uuid4().hex[:24]}"


def _event(kind: str, obj: Doc, created: int, event_id: str | None) -> Doc:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
            "api_version": "2024-06-20", "created": created, "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
            "type": kind, "data": {"object": obj}}


def intent(pi: str, status: str, *, amount: int, received: int = 0,
           error: Doc | None = None, reason: str | None = None) -> Doc:
    """A PaymentIntent object as Stripe sends it in an event."""
    return {"id": pi, "object": "payment_intent", "amount": amount,
            "amount_capturable": 0, "amount_received": received, "currency": "eur",
            "capture_method": "manual", "payment_method_types": ["card_present"],
            "status": status, "latest_charge": f"ch_{pi[3:]}", "last_payment_error": error,
            "cancellation_reason": reason, "livemode": False,
            "metadata": {"tillpoint_key": "sale:0:1", "sale_id": "sale", "tender_index": "0",
                         "attempt": "1"}}


def succeeded(pi: str, amount: int, created: int = T0, *, received: int | None = None,
              event_id: str | None = None) -> Doc:
    obj = intent(pi, "succeeded", amount=amount,
                 received=amount if received is None else received)
    return _event("payment_intent.succeeded", obj, created, event_id)


def failed(pi: str, amount: int, created: int = T0, *, code: str = "card_declined",
           decline_code: str | None = "insufficient_funds") -> Doc:
    error = {"type": "card_error", "code": code, "decline_code": decline_code,
             "message": "Your card has insufficient funds."}
    return _event("payment_intent.payment_failed",
                  intent(pi, "requires_payment_method", amount=amount, error=error), created,
                  None)


def canceled(pi: str, amount: int, created: int = T0) -> Doc:
    return _event("payment_intent.canceled",
                  intent(pi, "canceled", amount=amount, reason="requested_by_customer"),
                  created, None)


def refunded(pi: str, amount: int, refunded_total: int, created: int = T0, *,
             event_id: str | None = None) -> Doc:
    """``charge.refunded``: the charge with Stripe's running refunded total."""
    charge = {"id": f"ch_{pi[3:]}", "object": "charge", "amount": amount,
              "amount_captured": amount, "amount_refunded": refunded_total, "captured": True,
              "currency": "eur", "payment_intent": pi, "paid": True,
              "refunded": refunded_total >= amount, "status": "succeeded",
              "metadata": {}}
    return _event("charge.refunded", charge, created, event_id)


def body_of(event: Doc) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def deliver(client, event: Doc | bytes, *, secret: str = SECRET, at: float | None = None,
            header: str | None = None):
    """POST ``event`` signed as Stripe signs it (``header`` replaces the signature)."""
    body = event if isinstance(event, bytes) else body_of(event)
    signature = sign(secret, body, int(time.time() if at is None else at)) \
        if header is None else header
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["Stripe-Signature"] = signature
    return client.post(URL, content=body, headers=headers)


def delivered(client, event: Doc) -> Doc:
    response = deliver(client, event)
    assert response.status_code == 200, response.text
    return response.json()


def card_sale(db, till: Till, pi: str) -> Doc:
    """A till sale paid by card on ``pi`` (not pushed yet)."""
    sale = till_order(till, [(stocked_product(db, till.store_id, name="Tea"), 2)])
    sale["payments"][0]["reference"] = pi
    return sale


def push_sale(client, till: Till, sale: Doc) -> None:
    assert pushed(client, till, [mutation(till, "order.created", sale)])[0]["status"] \
        == "applied"


def snapshot(db) -> dict[str, list[str]]:
    """What a webhook may write, to compare before and after one that must change nothing."""
    return {name: sorted(map(repr, db[name].find({})))
            for name in ("orders", "card_payments", "stripe_events", "audit_log", "change_log")}

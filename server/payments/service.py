"""Applying a verified Stripe event: once per event id, in one transaction with its effects.

``stripe_events``: ``{_id: event id, type, created, payment_intent, livemode, received_at,
expires_at}``, kept 30 days (Stripe retries a delivery for up to three; an event seen again
after that would change nothing anyway: ``card_state.merge`` keeps only newer figures)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from server import audit
from server.common.versioning import now_ms
from server.database import in_transaction
from server.orders import repository as repo
from server.orders.lifecycle import load, publish
from server.payments.card_state import merge, order_payment_state, with_states
from server.payments.events import Event

Doc = dict[str, Any]
KEEP_EVENTS = timedelta(days=30)
ACTOR = "stripe:webhook"
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    duplicate: bool
    payment_intent: str | None = None
    order_id: str | None = None
    changed: bool = False  # False: an older or repeated figure, kept out

    def body(self) -> Doc:
        if self.duplicate:
            return {"received": True, "duplicate": True}
        return {"received": True, "duplicate": False, "payment_intent": self.payment_intent,
                "order_id": self.order_id, "changed": self.changed}


def record_event(db: Database, event: Event) -> Outcome:
    """Record ``event`` (whose ``fact`` is set) and apply it; a repeat is a duplicate.

    Two deliveries of one event at once both try to insert its id: one conflicts and, on its
    retry, finds the other's. A unique-key error reaches here only when the insert lost to a
    commit the transaction could not see; the event is looked up again to tell which."""
    audit_id = str(uuid.uuid4())
    for attempt in range(_ATTEMPTS):
        try:
            return in_transaction(db, lambda session: _apply(db, session, event, audit_id))
        except DuplicateKeyError:
            if db.stripe_events.find_one({"_id": event.id}, {"_id": 1}) is not None:
                return Outcome(duplicate=True)
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _apply(db: Database, session: ClientSession, event: Event, audit_id: str) -> Outcome:
    if db.stripe_events.find_one({"_id": event.id}, {"_id": 1}, session=session) is not None:
        return Outcome(duplicate=True)
    fact = event.fact
    assert fact is not None, "only handled events are recorded"
    now = now_ms()
    db.stripe_events.insert_one({"_id": event.id, "type": event.type, "created": event.created,
                                 "payment_intent": fact.payment_intent,
                                 "livemode": event.livemode, "received_at": now,
                                 "expires_at": now + KEEP_EVENTS}, session=session)
    pi = fact.payment_intent
    state: Doc = db.card_payments.find_one({"_id": pi}, session=session) or {"_id": pi}
    changes = merge(state, fact, event.created)
    order = _order_of(db, session, state)
    if order is not None and state.get("order_id") != order["_id"]:
        changes.update(order_id=order["_id"], payment_id=_payment_id(order, pi))
    if not changes:
        return Outcome(False, pi, order["_id"] if order else None, changed=False)
    db.card_payments.update_one({"_id": pi}, {"$set": {**changes, "updated_at": now},
                                              "$setOnInsert": {"created_at": now}},
                                upsert=True, session=session)
    if order is not None:
        _update_order(db, session, order, {**state, **changes}, event, audit_id)
    return Outcome(False, pi, order["_id"] if order else None, changed=True)


def _order_of(db: Database, session: ClientSession, state: Doc) -> Doc | None:
    """The sale this PaymentIntent paid, by the link its push made (``till_link``: every push
    of a sale with a Stripe card payment writes it, in the push's transaction); none yet when
    Stripe's event came first."""
    if state.get("order_id"):
        return repo.get(db, state["order_id"], session)
    return None


def _payment_id(order: Doc, pi: str) -> str | None:
    return next((p["id"] for p in order["payments"] if p.get("provider_ref") == pi), None)


def _update_order(db: Database, session: ClientSession, order: Doc, state: Doc, event: Event,
                  audit_id: str) -> None:
    payments = with_states(order["payments"], {state["_id"]: state})
    payment_state = order_payment_state(payments)
    if payments == order["payments"] and payment_state == order.get("payment_state"):
        return
    update = {"$set": {"payments": payments, "payment_state": payment_state,
                       "updated_at": now_ms()}}
    if not repo.update_if_version(db, order["_id"], order["version"], update, session):
        raise RuntimeError(f"order {order['_id']} moved inside its own transaction")
    audit.record(db, actor=ACTOR, action="order.card_payment", target=order["_id"],
                 details={"event_id": event.id, "type": event.type,
                          "payment_intent": state["_id"], "payment_state": payment_state},
                 session=session, audit_id=audit_id)
    publish(db, load(db, order["_id"], session), session)

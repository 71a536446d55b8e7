"""The hook a till sale passes through before it is stored: each Stripe card payment is linked
to its PaymentIntent's ``card_payments`` document, and what Stripe already reported (an event
that arrived before the sale was pushed) is on the order from its first version.

Why the sale writes the document even when Stripe has said nothing yet: the webhook reads the
link to find the order, and the sale reads the state to fill it in. Were both only reads, a
webhook and a push running at the same moment could each miss the other's write and the state
would never reach the order. Both writing the one document makes them conflict instead, and
the one that retries sees the other."""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database

from server.common.versioning import now_ms
from server.payments.card_state import is_payment_intent, order_payment_state, with_states

Doc = dict[str, Any]


def link_till_sales(db: Database, *, session: ClientSession, orders: list[Doc]) -> None:
    """Link and fill in ``orders`` (normalised, not yet stored) in the caller's transaction:
    two round trips for the whole batch, none when it has no Stripe card payment."""
    links = {payment["provider_ref"]: (order["_id"], payment["id"])
             for order in orders for payment in order["payments"]
             if is_payment_intent(payment.get("provider_ref"))}
    if not links:
        return
    now = now_ms()
    db.card_payments.bulk_write([
        UpdateOne({"_id": pi}, {"$set": {"order_id": order_id, "payment_id": payment_id,
                                         "linked_at": now},
                                "$setOnInsert": {"created_at": now}}, upsert=True)
        for pi, (order_id, payment_id) in sorted(links.items())], ordered=True, session=session)
    states = {d["_id"]: d for d in db.card_payments.find({"_id": {"$in": sorted(links)}},
                                                         session=session)}
    for order in orders:
        order["payments"] = with_states(order["payments"], states)
        state = order_payment_state(order["payments"])
        if state is not None:
            order["payment_state"] = state

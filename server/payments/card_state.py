"""What Stripe last said about each PaymentIntent, and what that makes of an order's payments.
Pure functions: the webhook and the till-sale hook do the reads and writes.

``card_payments`` documents: ``{_id: PaymentIntent id, status: "succeeded" | "failed" |
"canceled", status_at, amount, amount_received, currency, failure_code, decline_code,
cancellation_reason, charge_id, sale_id, amount_refunded, refunded_at, order_id, payment_id,
linked_at, created_at, updated_at}`` (``status_at``/``refunded_at``: the ``created`` second of
the event each figure came from).

Stripe does not deliver events in order, and delivers some more than once, so each of the two
figures (the status, the refunded total) keeps the event it came from and only a newer event
replaces it. Within one second the status that can follow the other wins (a decline, then the
same PaymentIntent canceled or paid); a larger refunded total wins (refunds only add up)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from server.payments.events import CANCELED, FAILED, SUCCEEDED, CardFact

Doc = dict[str, Any]
_RANK = {FAILED: 1, CANCELED: 2, SUCCEEDED: 3}
#: figures that never change once Stripe has said them: any event, old or new, may fill them
_FIXED = ("amount", "currency", "charge_id", "sale_id")

# order-level ``payment_state`` (only on orders with a Stripe card payment)
UNCONFIRMED = "unconfirmed"  # a card payment Stripe has not reported on yet
CAPTURED = "captured"
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"
NOT_TAKEN = "failed"  # Stripe says a card payment of this recorded sale failed or was canceled
AMOUNT_DIFFERS = "amount_differs"  # Stripe captured another amount than the till recorded


def is_payment_intent(reference: Any) -> bool:
    """Stripe's ids name their kind; the till's other providers' references never start so."""
    return isinstance(reference, str) and reference.startswith("pi_")


def merge(state: Doc, fact: CardFact, created: int) -> Doc:
    """The fields of ``state`` that ``fact`` (from an event made at ``created``) changes."""
    changes: Doc = {}
    current = (state.get("status_at", -1), _RANK.get(state.get("status") or "", 0))
    if (created, _RANK[fact.status]) > current:
        changes.update(status=fact.status, status_at=created, failure_code=fact.failure_code,
                       decline_code=fact.decline_code,
                       cancellation_reason=fact.cancellation_reason)
        if fact.amount_received is not None:
            changes["amount_received"] = fact.amount_received
    elif fact.status == state.get("status") == SUCCEEDED and \
            state.get("amount_received") is None:
        changes["amount_received"] = fact.amount_received
    if fact.amount_refunded is not None and (created, fact.amount_refunded) > (
            state.get("refunded_at", -1), state.get("amount_refunded", 0)):
        changes.update(amount_refunded=fact.amount_refunded, refunded_at=created)
    for name in _FIXED:
        value = getattr(fact, name)
        if value is not None and state.get(name) is None:
            changes[name] = value
    return {name: value for name, value in changes.items() if state.get(name) != value}


def _as_of(state: Doc) -> datetime:
    return datetime.fromtimestamp(max(state.get("status_at", 0), state.get("refunded_at", 0)),
                                  timezone.utc)


def payment_view(state: Doc) -> Doc:
    """What an order's payment keeps of its PaymentIntent's state (``payment["stripe"]``)."""
    return {"status": state["status"], "amount_received": state.get("amount_received"),
            "amount_refunded": state.get("amount_refunded", 0),
            "failure_code": state.get("failure_code"),
            "decline_code": state.get("decline_code"),
            "cancellation_reason": state.get("cancellation_reason"), "as_of": _as_of(state)}


def with_states(payments: list[Doc], states: dict[str, Doc]) -> list[Doc]:
    """``payments`` with the known state of each one's PaymentIntent (copies)."""
    updated = []
    for payment in payments:
        state = states.get(payment.get("provider_ref") or "")
        if state is not None and state.get("status"):
            payment = {**payment, "stripe": payment_view(state)}
        updated.append(payment)
    return updated


def order_payment_state(payments: list[Doc]) -> str | None:
    """One word for an order's Stripe card payments together; None when it has none.
    The till's own ``refunded`` figures are left alone: Stripe's are kept beside them, so a
    refund the till recorded and Stripe reported is never counted twice."""
    cards = [p for p in payments if is_payment_intent(p.get("provider_ref"))]
    if not cards:
        return None
    known = [p.get("stripe") for p in cards]
    if any(s and s["status"] in (FAILED, CANCELED) for s in known):
        return NOT_TAKEN
    if any(not s for s in known):
        return UNCONFIRMED
    if any(s["amount_received"] not in (None, p["amount"]) for p, s in zip(cards, known)):
        return AMOUNT_DIFFERS
    captured = sum(s["amount_received"] or p["amount"] for p, s in zip(cards, known))
    refunded = sum(s["amount_refunded"] for s in known)
    if refunded == 0:
        return CAPTURED
    return REFUNDED if refunded >= captured else PARTIALLY_REFUNDED

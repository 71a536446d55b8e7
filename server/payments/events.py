"""Stripe events as the webhook takes them: the verified raw body parsed and checked field by
field, and the handled types reduced to one ``CardFact`` about one PaymentIntent.

Parsed here rather than by ``stripe.Webhook.construct_event``: that would check the signature
against the SDK's own clock and build SDK objects the server has no use for; the signature
is checked by ``server.security.webhooks`` before this runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Doc = dict[str, Any]
SUCCEEDED, FAILED, CANCELED = "succeeded", "failed", "canceled"
_PI_EVENTS = {"payment_intent.succeeded": SUCCEEDED, "payment_intent.payment_failed": FAILED,
              "payment_intent.canceled": CANCELED}
REFUNDED = "charge.refunded"
HANDLED = frozenset({*_PI_EVENTS, REFUNDED})
_MAX_ID = 255


class EventError(ValueError):
    """The body is not a Stripe event this endpoint can read; ``field`` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field


@dataclass(frozen=True, slots=True)
class CardFact:
    """What one event says about one PaymentIntent. ``status`` is what the PaymentIntent
    became (a refunded charge was captured, so ``charge.refunded`` says ``succeeded`` too);
    ``amount_refunded`` is Stripe's running total, not this refund's part, so applying an
    older or repeated event can never count a refund twice."""

    payment_intent: str
    status: str
    amount: int | None = None
    amount_received: int | None = None
    currency: str | None = None
    failure_code: str | None = None
    decline_code: str | None = None
    cancellation_reason: str | None = None
    amount_refunded: int | None = None
    charge_id: str | None = None
    sale_id: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    created: int  # Unix seconds, Stripe's clock: the order events are applied in
    livemode: bool
    fact: CardFact | None  # None: a type this endpoint does not handle


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _field(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _text(obj: Doc, name: str, where: str, *, required: bool = False) -> str | None:
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise EventError(_field(where, name), "missing or not a short string")
    return value


def _amount(obj: Doc, name: str, where: str, *, required: bool = False) -> int | None:
    value = obj.get(name)
    if value is None and not required:
        return None
    if not _whole(value) or value < 0:
        raise EventError(_field(where, name), "missing or not a whole number of minor units ≥ 0")
    return value


def _ref(value: Any, field: str) -> str | None:
    """An id that Stripe sends either as a string or, expanded, as the object."""
    if isinstance(value, dict):
        value = value.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise EventError(field, "not an id")
    return value


def _sale_id(obj: Doc) -> str | None:
    metadata = obj.get("metadata")
    sale = metadata.get("sale_id") if isinstance(metadata, dict) else None
    return sale[:_MAX_ID] if isinstance(sale, str) and sale else None


def _intent_fact(status: str, pi: Doc) -> CardFact:
    where = "data.object"
    error = pi.get("last_payment_error")
    error = error if isinstance(error, dict) else {}
    return CardFact(
        payment_intent=_text(pi, "id", where, required=True) or "", status=status,
        amount=_amount(pi, "amount", where),
        amount_received=_amount(pi, "amount_received", where, required=status == SUCCEEDED),
        currency=_text(pi, "currency", where),
        failure_code=_text(error, "code", f"{where}.last_payment_error"),
        decline_code=_text(error, "decline_code", f"{where}.last_payment_error"),
        cancellation_reason=_text(pi, "cancellation_reason", where),
        charge_id=_ref(pi.get("latest_charge"), f"{where}.latest_charge"),
        sale_id=_sale_id(pi))


def _refund_fact(charge: Doc) -> CardFact | None:
    where = "data.object"
    pi = _ref(charge.get("payment_intent"), f"{where}.payment_intent")
    if pi is None:  # a charge made without a PaymentIntent is none of the till's
        return None
    return CardFact(
        payment_intent=pi, status=SUCCEEDED, amount=_amount(charge, "amount", where),
        amount_received=_amount(charge, "amount_captured", where),
        currency=_text(charge, "currency", where),
        amount_refunded=_amount(charge, "amount_refunded", where, required=True),
        charge_id=_text(charge, "id", where), sale_id=_sale_id(charge))


def parse(body: bytes) -> Event:
    """The event in ``body``; raises ``EventError`` naming the first field that is wrong."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventError("", f"the body is not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise EventError("", "the body is not a JSON object")
    if raw.get("object", "event") != "event":
        raise EventError("object", f"is {str(raw.get('object'))[:40]!r}, not 'event'")
    event_id = _text(raw, "id", "", required=True) or ""
    event_type = _text(raw, "type", "", required=True) or ""
    created = raw.get("created")
    if not _whole(created) or created <= 0:
        raise EventError("created", "missing or not a Unix time in whole seconds")
    data = raw.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if event_type in HANDLED and not isinstance(obj, dict):
        raise EventError("data.object", "missing or not an object")
    fact = None
    if event_type in _PI_EVENTS:
        fact = _intent_fact(_PI_EVENTS[event_type], obj)  # type: ignore[arg-type]
    elif event_type == REFUNDED:
        fact = _refund_fact(obj)  # type: ignore[arg-type]
    return Event(event_id, event_type, created, bool(raw.get("livemode")), fact)

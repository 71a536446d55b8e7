"""The official Stripe SDK as the till uses it: one ``StripeClient`` with short timeouts, no
retries of its own, and every error turned into a :class:`StripeFailure` decided on the error's
class and code (never its message).

Why ``max_network_retries = 0``: the provider retries itself, by asking Stripe about the same
PaymentIntent (or replaying its create under the same idempotency key) — which is what a lost
reply needs. The SDK's own retries would be safe (it resends POSTs with the same key) but would
sleep 0.5 s and more between tries and double a 20 s read timeout while the cashier waits, and
"no connection to Stripe" must be said at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Callable

import stripe
from urllib3.exceptions import ConnectTimeoutError

from app.payments.declines import decline_words, error_words

MAX_NETWORK_RETRIES = 0
NO_CONNECTION = "card payments unavailable: no connection to Stripe"
KEY_REFUSED = "card payments unavailable: Stripe refused the key (set the right one)"
KEY_NOT_ALLOWED = ("card payments unavailable: the Stripe key lacks a permission "
                   "(see the README for the restricted key's permissions)")
STRIPE_TROUBLE = "card payments unavailable: Stripe had a problem, try again"


class Failure(StrEnum):
    CONNECTION = "connection"  # no reply: the request may or may not have been applied
    AUTH = "auth"  # the key was refused or may not do this
    CARD = "card"  # a decline
    READER_OFFLINE = "reader_offline"
    READER_BUSY = "reader_busy"
    STATE = "state"  # the object is not in a state that allows this
    IDEMPOTENCY = "idempotency"  # the same key was used with other parameters
    MISSING = "missing"
    TRANSIENT = "transient"  # rate limited or a Stripe server error: nothing to decide on
    INVALID = "invalid"  # Stripe refused the request (amount too small, …)


_STATE_CODES = frozenset({"payment_intent_unexpected_state", "intent_invalid_state"})


class StripeFailure(Exception):
    """A Stripe call that did not succeed, classified; ``words`` are for the cashier."""

    def __init__(self, kind: Failure, words: str, *, code: str | None = None,
                 decline_code: str | None = None, sent: bool = True) -> None:
        super().__init__(f"{kind}: {code or ''} {words}".strip())
        self.kind, self.words, self.code, self.decline_code = kind, words, code, decline_code
        #: False only when the connection was never made: the request cannot have been applied
        self.sent = sent


def make_client(api_key: str, api_base: str | None, connect_timeout_s: float,
                read_timeout_s: float) -> stripe.StripeClient:
    http = stripe.RequestsClient(timeout=(connect_timeout_s, read_timeout_s))
    return stripe.StripeClient(api_key,
                               base_addresses={"api": api_base or stripe.DEFAULT_API_BASE},
                               max_network_retries=MAX_NETWORK_RETRIES, http_client=http)


def call_replayed(fn: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> tuple[dict[str, Any], bool]:
    """One SDK call: the Stripe object it returns as a plain dict (nested ones too), and
    whether Stripe replayed a stored reply for the request's idempotency key."""
    try:
        result = fn(*args, **kwargs)
    except stripe.StripeError as exc:
        raise classify(exc) from exc
    response = result.last_response
    headers = {k.lower(): v for k, v in (response.headers if response else {}).items()}
    return result.to_dict(), headers.get("idempotent-replayed") == "true"


def classify(exc: stripe.StripeError) -> StripeFailure:
    if isinstance(exc, stripe.APIConnectionError):
        return StripeFailure(Failure.CONNECTION, NO_CONNECTION, sent=not _never_connected(exc))
    if isinstance(exc, stripe.AuthenticationError):
        return StripeFailure(Failure.AUTH, KEY_REFUSED, code=exc.code)
    if isinstance(exc, stripe.PermissionError):
        return StripeFailure(Failure.AUTH, KEY_NOT_ALLOWED, code=exc.code)
    if isinstance(exc, stripe.RateLimitError):
        return StripeFailure(Failure.TRANSIENT, error_words("rate_limit"), code=exc.code)
    if isinstance(exc, stripe.IdempotencyError):
        return StripeFailure(Failure.IDEMPOTENCY,
                             "this payment's key was already used for another amount",
                             code=exc.code or "idempotency_error")
    if isinstance(exc, stripe.CardError):
        decline = getattr(exc.error, "decline_code", None) if exc.error else None
        return StripeFailure(Failure.CARD, decline_words(exc.code, decline), code=exc.code,
                             decline_code=decline)
    if isinstance(exc, stripe.APIError):
        return StripeFailure(Failure.TRANSIENT, STRIPE_TROUBLE, code=exc.code)
    code = exc.code
    kind = {"terminal_reader_offline": Failure.READER_OFFLINE,
            "terminal_reader_busy": Failure.READER_BUSY,
            "resource_missing": Failure.MISSING}.get(code or "")
    if kind is None:
        kind = Failure.STATE if code in _STATE_CODES else Failure.INVALID
    if kind is Failure.INVALID and (exc.http_status or 0) >= 500:
        kind = Failure.TRANSIENT
    return StripeFailure(kind, error_words(code), code=code)


def _never_connected(exc: BaseException) -> bool:
    """Whether the connection itself failed (refused, no route, DNS, connect timeout): then the
    request never left the till. A reply lost after the request was sent is not this."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, ConnectTimeoutError):  # NewConnectionError and DNS errors too
            return True
        linked = (err.__cause__, err.__context__, getattr(err, "reason", None), *err.args)
        todo.extend(e for e in linked if isinstance(e, BaseException))
    return False

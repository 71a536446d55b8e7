"""The payments interface every provider implements: start, status, cancel, refund.

A *provider* talks to one way of taking money that the till does not hold itself (a standalone
card terminal the cashier keys the amount into; Stripe Terminal's server-driven readers). It
knows nothing of the local store: :mod:`app.payments.attempts` writes each attempt's state to
``payment_attempts`` before and after every call, so a crash mid-payment is resolved on restart
by asking the provider about *that* attempt (``status``) — never by starting another one.

Rules every provider keeps (the tests of each provider check them):
- ``start`` is idempotent per ``PaymentRequest.key``: a second call with the same key after a
  lost reply refers to the same payment, never a second charge.
- Outcomes are decided on codes and states, never on message text; ``message`` is only for
  the cashier's eyes, in plain words ("present card", "declined: insufficient funds").
- ``UNKNOWN`` means "the provider could not say": the caller asks ``status`` again later and
  must not start a new attempt for the same tender line while one may still succeed.
- A provider that cannot be reached raises :class:`ProviderUnavailable` from ``start`` before
  anything was created, so the till can offer the other tenders at once.
- Nothing about the card is kept but its brand and last four digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.domain.errors import DomainError


class AttemptState(StrEnum):
    CREATED = "created"  # recorded locally, not yet handed to the provider
    PROCESSING = "processing"  # with the reader / the cashier; not decided yet
    SUCCEEDED = "succeeded"  # the money is taken: the tender line is paid
    FAILED = "failed"  # declined or errored: nothing was taken
    CANCELED = "canceled"  # stopped by the cashier (or the provider) before it was taken
    UNKNOWN = "unknown"  # the outcome could not be learned (timeout): ask ``status`` again

    @property
    def final(self) -> bool:
        return self in (AttemptState.SUCCEEDED, AttemptState.FAILED, AttemptState.CANCELED)


class ProviderUnavailable(DomainError):
    """The provider cannot be reached or is not set up: no payment was started."""

    code = "payment_unavailable"


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """What one attempt asks for. ``key`` is ``"{sale_id}:{tender_index}:{attempt}"`` and is
    the provider's idempotency key."""

    sale_id: str
    tender_index: int
    attempt: int
    amount: int  # minor units, > 0
    currency: str
    description: str = ""

    @property
    def key(self) -> str:
        return f"{self.sale_id}:{self.tender_index}:{self.attempt}"


@dataclass(frozen=True, slots=True)
class AttemptStatus:
    state: AttemptState
    message: str  # for the cashier, in words
    reference: str | None = None  # the provider's id of this payment (PaymentIntent id)
    card_brand: str | None = None
    card_last4: str | None = None
    error_code: str | None = None  # the provider's code for a failure ("card_declined")
    #: the cashier must say what the provider showed (a standalone terminal has no link to us)
    needs_cashier: bool = False
    #: SUCCEEDED for less than was asked (captured in part outside the till): what was taken
    amount_taken: int | None = None


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    succeeded: bool
    message: str
    reference: str | None = None  # the provider's id of the refund
    error_code: str | None = None


class PaymentProvider(Protocol):
    """One way of taking card money; see the module docstring for the rules."""

    name: str  # stored in payment_attempts.provider: "terminal", "stripe_terminal"

    def start(self, request: PaymentRequest) -> AttemptStatus: ...

    def status(self, request: PaymentRequest, reference: str | None) -> AttemptStatus: ...

    def cancel(self, request: PaymentRequest, reference: str | None) -> AttemptStatus: ...

    def refund(self, reference: str, amount: int, currency: str, key: str) -> RefundOutcome: ...

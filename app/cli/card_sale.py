"""The card shares of ``tillpoint sale … --pay card``: taken on the configured reader before the
sale is recorded, through the same :class:`~app.payments.attempts.CardPayments` as the window.

A decline, an offline reader, Stripe out of reach or a wait that runs out records no sale and
leaves no money taken: cards already taken for the sale (a split over two cards, the second
declined) are refunded, and an attempt whose outcome could not be learned is cancelled — or, if
even that cannot be done, settled by the next start of this till (``recover``), which voids what
a sale never recorded left authorised.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, TextIO

from app.config.settings import Settings
from app.domain.errors import DomainError, InvalidInput, RuleViolation
from app.payments.attempts import LIVE_WINDOW, AttemptView, CardPayments, ConfirmedByCashier
from app.payments.base import AttemptState, ProviderUnavailable
from app.payments.terminal import provider_for
from db.base import utcnow
from db.engine import LocalStore

#: how long the command waits for the customer at the reader (TILLPOINT_CARD_WAIT_S)
DEFAULT_WAIT_S = 120.0
POLL_S = 0.5
STANDALONE = ("card payments unavailable here: this till's card terminal is a standalone one "
              "the cashier keys amounts into; set stripe.reader_id to take cards on a Stripe "
              "Terminal reader")


@dataclass(frozen=True, slots=True)
class CardShare:
    tender_index: int  # the --pay position
    amount: int


def wait_seconds() -> float:
    raw = os.environ.get("TILLPOINT_CARD_WAIT_S", "").strip()
    if not raw:
        return DEFAULT_WAIT_S
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a number of seconds",
                           field="TILLPOINT_CARD_WAIT_S") from None
    if not 1 <= value <= 3600:
        raise InvalidInput("must be between 1 and 3600 seconds", field="TILLPOINT_CARD_WAIT_S")
    return value


def card_payments(store: LocalStore, settings: Settings) -> CardPayments:
    """The till's card payments for a headless command, or why there are none."""
    provider = provider_for(settings)
    if provider is None:
        raise ProviderUnavailable("card payments unavailable: payments.card_provider is none",
                                  field="pay")
    if isinstance(provider, ConfirmedByCashier):
        raise ProviderUnavailable(STANDALONE, field="pay")
    return CardPayments(store, provider)


def take_cards(payments: CardPayments, sale_id: str, shares: list[CardShare], currency: str, *,
               staff_id: str, wait_s: float, out: TextIO | None = None,
               sleep: Callable[[float], None] = time.sleep) -> list[AttemptView]:
    """Take every card share of the sale, in order; all of them or none."""
    available, reason = payments.probe()
    if not available:
        raise ProviderUnavailable(reason, field="pay")
    # what an earlier run that died left open is settled first — not a payment the window
    # (or another command) on this till may be taking right now
    payments.recover(idle_for=LIVE_WINDOW)
    for open_attempt in payments.undecided():
        # one reader, one payment at a time; and an earlier card whose outcome was lost may
        # have been charged: another card for the same purchase could charge twice
        raise RuleViolation(f"a card payment of {open_attempt.amount_text} is still "
                            f"undecided ({open_attempt.message}): wait for it, or run "
                            "`tillpoint stripe recover` before taking another card",
                            field="pay")
    taken: list[AttemptView] = []
    try:
        for share in shares:
            attempt = payments.start(sale_id, share.tender_index, share.amount, currency)
            attempt = _follow(payments, attempt, wait_s, out or sys.stderr, sleep)
            if attempt.state is not AttemptState.SUCCEEDED:
                raise RuleViolation(f"card {attempt.amount_text}: {attempt.message}; no sale "
                                    "was recorded", field="pay")
            taken.append(attempt)
    except BaseException as exc:
        refunded = give_back(payments, taken, staff_id=staff_id)
        if refunded and isinstance(exc, DomainError):
            raise type(exc)(f"{exc.message} ({refunded})", field=exc.field) from None
        raise
    return taken


def give_back(payments: CardPayments, taken: list[AttemptView], *, staff_id: str) -> str:
    """Refund cards taken for a sale that will not be recorded; says what happened."""
    said = []
    for attempt in taken:
        try:
            payments.refund_without_sale(attempt.attempt_id, staff_id=staff_id,
                                         approved_by=staff_id, now=utcnow())
            said.append(f"card {attempt.amount_text} refunded")
        except DomainError as exc:
            said.append(f"card {attempt.amount_text} NOT refunded ({exc.message}): a manager "
                        "must refund it — it is listed as card money taken without a sale")
    return "; ".join(said)


def _follow(payments: CardPayments, attempt: AttemptView, wait_s: float, out: TextIO,
            sleep: Callable[[float], None]) -> AttemptView:
    deadline = time.monotonic() + wait_s
    said = ""
    try:
        while not attempt.state.final:
            if attempt.message and attempt.message != said:
                said = attempt.message
                print(f"tillpoint: card {attempt.amount_text}: {said}", file=out, flush=True)
            if time.monotonic() >= deadline:
                return _give_up(payments, attempt, f"no answer within {wait_s:g} s")
            sleep(POLL_S)
            attempt = payments.status(attempt.attempt_id)
    except KeyboardInterrupt:
        _give_up(payments, attempt, "interrupted")
        raise
    return attempt


class CardOutcomeUnknown(RuleViolation):
    """The card may have been charged, and the till could not learn whether: not a decline.
    The command exits with its own code (5) so a script never rings the sale up again."""

    code = "card_outcome_unknown"


def _give_up(payments: CardPayments, attempt: AttemptView, why: str) -> AttemptView:
    cancelled = payments.cancel(attempt.attempt_id)
    if cancelled.state.final:
        return cancelled
    raise CardOutcomeUnknown(
        f"card {attempt.amount_text}: {why}, and Stripe could not be asked to stop it "
        f"({cancelled.message}). The card MAY HAVE BEEN CHARGED: do not ring the sale up again; "
        "no sale was recorded — run `tillpoint stripe recover` once Stripe can be reached "
        "(it voids the payment, or lists card money taken for a manager to refund)",
        field="pay")

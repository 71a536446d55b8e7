"""A standalone card terminal: a card machine with no link to the till (very common).

The till cannot talk to it, so "starting" a payment means telling the cashier what to key in,
and the outcome is whatever the cashier reports the terminal showed (:meth:`confirm`). The
provider keeps nothing itself: the attempt's state lives in ``payment_attempts``, so asking
``status`` after a crash honestly answers "still with the cashier" — the cashier looks at the
terminal's last slip and confirms or cancels; nothing is ever keyed in twice by the till.
"""

from __future__ import annotations

from typing import Callable

from app.config.settings import Settings
from app.domain.errors import InvalidInput
from app.domain.money import format_amount
from app.payments.base import (AttemptState, AttemptStatus, PaymentProvider, PaymentRequest,
                               RefundOutcome)

DECLINED_MESSAGE = "declined on the terminal"


class StandaloneTerminal:
    """:class:`~app.payments.base.PaymentProvider` for a card terminal the cashier keys."""

    name = "terminal"

    def start(self, request: PaymentRequest) -> AttemptStatus:
        return self._with_cashier(request)

    def status(self, request: PaymentRequest, reference: str | None) -> AttemptStatus:
        # The terminal cannot be asked: until the cashier says, it is still with them.
        return self._with_cashier(request)

    def cancel(self, request: PaymentRequest, reference: str | None) -> AttemptStatus:
        return AttemptStatus(AttemptState.CANCELED, "cancelled: nothing was taken",
                             reference=self._reference(request))

    def confirm(self, request: PaymentRequest, approved: bool, last4: str | None = None,
                brand: str | None = None) -> AttemptStatus:
        """What the cashier read off the terminal: approved (with the slip's brand and last
        four digits when they typed them) or declined."""
        if not approved:
            return AttemptStatus(AttemptState.FAILED, DECLINED_MESSAGE,
                                 reference=self._reference(request), error_code="declined")
        return AttemptStatus(AttemptState.SUCCEEDED, "approved on the terminal",
                             reference=self._reference(request), card_brand=brand,
                             card_last4=last4)

    def refund(self, reference: str, amount: int, currency: str, key: str) -> RefundOutcome:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise InvalidInput("a refund must be a positive whole number of minor units",
                               field="amount")
        if provider_of_reference(reference) not in (None, self.name):
            return RefundOutcome(False, "this card was not taken on the standalone terminal: "
                                 "refund it through the provider that took it",
                                 error_code="other_provider")
        # The money goes back on the terminal itself: the till records it as done and tells
        # the cashier what to key in there.
        return RefundOutcome(True, f"refund {format_amount(amount, currency)} on the card terminal")

    def _with_cashier(self, request: PaymentRequest) -> AttemptStatus:
        amount = format_amount(request.amount, request.currency)
        return AttemptStatus(
            AttemptState.PROCESSING,
            f"Key {amount} into the card terminal, then confirm what it shows",
            reference=self._reference(request), needs_cashier=True)

    @staticmethod
    def _reference(request: PaymentRequest) -> str:
        # The terminal gives the till no id of its own: the attempt's key stands in, so a
        # refund later can name the payment it belongs to.
        return f"terminal:{request.key}"


def _stripe_terminal(settings: Settings) -> PaymentProvider:
    # Imported on first use: the stripe SDK costs start-up time a till without it should not pay.
    from app.payments.stripe_terminal import StripeTerminal

    return StripeTerminal.from_settings(settings)


#: card providers by the name ``payments.card_provider`` holds
PROVIDERS: dict[str, Callable[[Settings], PaymentProvider]] = {
    "terminal": lambda settings: StandaloneTerminal(),
    "stripe_terminal": _stripe_terminal,
}


#: how each provider's references begin, so money goes back through the one that took it
REFERENCE_PREFIXES = {"pi_": "stripe_terminal", "terminal:": "terminal"}
PROVIDER_LABELS = {"stripe_terminal": "Stripe Terminal", "terminal": "the standalone card terminal"}


def provider_of_reference(reference: str | None) -> str | None:
    """The provider whose payment ``reference`` names, or None when no provider's format fits."""
    for prefix, name in REFERENCE_PREFIXES.items():
        if isinstance(reference, str) and reference.startswith(prefix):
            return name
    return None


def provider_name(settings: Settings) -> str:
    """The provider ``payments.card_provider`` picks; ``auto`` means Stripe Terminal once a
    reader is set (``tillpoint config set stripe.reader_id …``), the standalone terminal
    before."""
    name = settings.get("payments.card_provider")
    if name == "auto":
        return "stripe_terminal" if settings.get("stripe.reader_id") else "terminal"
    return name


def provider_for(settings: Settings) -> PaymentProvider | None:
    """The card provider this till is set up with, or ``None`` when it takes no cards."""
    factory = PROVIDERS.get(provider_name(settings))
    return None if factory is None else factory(settings)

"""Stripe's simulated-reader test cards (``card_present``) and what each one does.

Numbers from Stripe's Terminal testing guide ("Simulated test cards") and the Terminal SDKs'
``SimulatedCardType``: the approving brands, and the six declines the simulated reader knows —
generic ``card_declined``, ``insufficient_funds``, ``lost_card``, ``stolen_card`` (all with code
``card_declined`` and that ``decline_code``), ``expired_card`` and ``processing_error``.
Messages are Stripe's own wording for those codes; callers must decide on the codes only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decline:
    code: str  # the error's ``code`` ("card_declined", "expired_card", "processing_error")
    decline_code: str  # the issuer's reason ("insufficient_funds", "generic_decline", …)
    message: str


@dataclass(frozen=True, slots=True)
class TestCard:
    __test__ = False  # not a pytest test class, whatever its name says

    number: str
    brand: str  # Stripe's lower-case brand: visa, mastercard, amex, discover, diners, jcb, unionpay
    funding: str = "credit"
    decline: Decline | None = None

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def approves(self) -> bool:
        return self.decline is None


def _approving(number: str, brand: str, funding: str = "credit") -> TestCard:
    return TestCard(number, brand, funding)


def _declining(number: str, code: str, decline_code: str, message: str) -> TestCard:
    return TestCard(number, "visa", "credit", Decline(code, decline_code, message))


_CARDS = [
    _approving("4242424242424242", "visa"),
    _approving("4000056655665556", "visa", "debit"),
    _approving("5555555555554444", "mastercard"),
    _approving("2223003122003222", "mastercard"),
    _approving("5200828282828210", "mastercard", "debit"),
    _approving("5105105105105100", "mastercard", "prepaid"),
    _approving("378282246310005", "amex"),
    _approving("371449635398431", "amex"),
    _approving("6011111111111117", "discover"),
    _approving("6011000990139424", "discover"),
    _approving("3056930009020004", "diners"),
    _approving("36227206271667", "diners"),
    _approving("3566002020360505", "jcb"),
    _approving("6200000000000005", "unionpay"),
    _declining("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
    _declining("4000000000009995", "card_declined", "insufficient_funds",
               "Your card has insufficient funds."),
    _declining("4000000000009987", "card_declined", "lost_card", "Your card was declined."),
    _declining("4000000000009979", "card_declined", "stolen_card", "Your card was declined."),
    _declining("4000000000000069", "expired_card", "expired_card", "Your card has expired."),
    _declining("4000000000000119", "processing_error", "processing_error",
               "An error occurred while processing your card. Try again in a little bit."),
]

#: number -> card, every test card the fake's simulated readers accept
TEST_CARDS: dict[str, TestCard] = {card.number: card for card in _CARDS}

#: the card a simulated reader uses when ``present_payment_method`` names none (as Stripe's)
DEFAULT_CARD = TEST_CARDS["4242424242424242"]

#: decline_code -> number, for tests that want "the insufficient-funds card"
DECLINING: dict[str, str] = {c.decline.decline_code: c.number for c in _CARDS if c.decline}

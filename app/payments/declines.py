"""Stripe's decline and error codes in the few words a cashier reads aloud to a customer.

Decided on ``code`` and ``decline_code`` only, never on Stripe's message text (it is written for
developers, changes without notice and may name things a customer should not hear). Codes that
mean "the bank suspects fraud" are shown as a plain "declined", as Stripe advises.
"""

from __future__ import annotations

import re

#: decline reasons by Stripe decline code (or card error code); "" = no reason shown
DECLINE_REASONS: dict[str, str] = {
    "generic_decline": "",
    "card_declined": "",
    "do_not_honor": "",
    "fraudulent": "",
    "merchant_blacklist": "",
    "stop_payment_order": "",
    "revocation_of_authorization": "",
    "revocation_of_all_authorizations": "",
    "security_violation": "",
    "no_action_taken": "",
    "not_permitted": "",
    "testmode_decline": "test card",
    "insufficient_funds": "insufficient funds",
    "card_velocity_exceeded": "card limit reached",
    "withdrawal_count_limit_exceeded": "card limit reached",
    "lost_card": "card reported lost",
    "stolen_card": "card reported stolen",
    "pickup_card": "card reported lost or stolen",
    "restricted_card": "card restricted",
    "expired_card": "card expired",
    "incorrect_pin": "incorrect PIN",
    "invalid_pin": "incorrect PIN",
    "pin_try_exceeded": "too many PIN tries",
    "offline_pin_required": "PIN needed: insert the card",
    "online_or_offline_pin_required": "PIN needed: insert the card",
    "processing_error": "processing error, try again",
    "issuer_not_available": "card issuer not reachable, try again",
    "try_again_later": "try again",
    "reenter_transaction": "try again",
    "call_issuer": "customer must call their bank",
    "card_not_supported": "card not supported",
    "currency_not_supported": "card does not take this currency",
    "transaction_not_allowed": "card does not allow this purchase",
    "service_not_allowed": "card does not allow this purchase",
    "invalid_account": "card account closed",
    "new_account_information_available": "card account changed",
    "incorrect_number": "card number invalid",
    "invalid_number": "card number invalid",
    "invalid_amount": "amount refused by the card",
    "duplicate_transaction": "same payment just made with this card",
    "approve_with_id": "try again",
}

#: Stripe error codes that are not declines (the reader, the payment's state, the account)
ERROR_WORDS: dict[str, str] = {
    "terminal_reader_offline": "card reader offline",
    "terminal_reader_busy": "card reader busy: finish or cancel what it shows",
    "terminal_reader_timeout": "card reader did not answer: try again",
    "terminal_reader_hardware_fault": "card reader fault: restart it",
    "terminal_reader_invalid_location_for_payment": "card reader not set up for this shop",
    "customer_canceled": "cancelled on the reader",
    "intent_invalid_state": "this payment cannot be taken in its state",
    "payment_intent_unexpected_state": "this payment cannot be changed in its state",
    "resource_missing": "not found at Stripe",
    "amount_too_small": "amount too small for a card payment",
    "amount_too_large": "amount too large for a card payment",
    "charge_already_refunded": "already refunded in full",
    "charge_not_refundable": "this card payment cannot be refunded",
    "charge_disputed": "the customer disputed this payment: refund through the dispute",
    "idempotency_key_in_use": "still being handled: try again",
    "rate_limit": "Stripe is busy: try again",
}

_SAFE_CODE = re.compile(r"[a-z0-9_]{1,40}")


def _shown(code: str | None) -> str | None:
    """A code as it may appear in words: Stripe's codes are snake_case; anything else is not
    echoed to a screen."""
    return code if code and _SAFE_CODE.fullmatch(code) else None


def decline_words(code: str | None, decline_code: str | None = None) -> str:
    """"declined: insufficient funds"; "declined" for a generic or suspicious decline;
    "declined (code)" for a code Tillpoint does not know yet."""
    for candidate in (decline_code, code):
        reason = DECLINE_REASONS.get(candidate or "")
        if reason is not None:
            if reason == "" and candidate != decline_code and decline_code:
                break  # card_declined with a decline code we do not know: show that code
            return f"declined: {reason}" if reason else "declined"
    if code in ERROR_WORDS and not decline_code:
        return ERROR_WORDS[code]
    unknown = _shown(decline_code) or _shown(code)
    return f"declined ({unknown})" if unknown else "declined"


def error_words(code: str | None, fallback: str = "card payment failed") -> str:
    """Words for a Stripe error code that is not a decline ("card reader offline")."""
    if code in ERROR_WORDS:
        return ERROR_WORDS[code]
    if code in DECLINE_REASONS:
        return decline_words(code)
    shown = _shown(code)
    return f"{fallback} ({shown})" if shown else fallback

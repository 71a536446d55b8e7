"""What a PaymentIntent and the reader's action mean for one attempt: pure decisions over the
objects Stripe returned (plain dicts), no calls. The PaymentIntent is asked first — its state is
the truth about money — and the reader second, only while the intent still waits for a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.domain.money import format_amount
from app.payments.base import PaymentRequest
from app.payments.declines import decline_words, error_words

PRESENT_CARD = "present card on the reader"
BEING_PROCESSED = "the card is being processed"
NOT_ON_READER = "the reader is not taking this payment: try again or cancel"


class Next(StrEnum):
    SUCCEEDED = "succeeded"  # the money is taken
    CAPTURE = "capture"  # authorised and checked: take it
    VOID = "void"  # authorised but it must not be taken (amount, currency differ)
    DECLINED = "declined"  # the card was declined: cancel the intent, then say so
    CANCELED = "canceled"  # already canceled at Stripe
    PROCESSING = "processing"  # Stripe is confirming it: wait
    ASK_READER = "ask_reader"  # waiting for a card: the reader knows whether it is on it
    FOREIGN = "foreign"  # the intent is not this attempt's: never touch it


@dataclass(frozen=True, slots=True)
class Decision:
    next: Next
    words: str = ""
    code: str | None = None


def on_intent(pi: dict[str, Any], request: PaymentRequest) -> Decision:
    metadata = pi.get("metadata") or {}
    if metadata.get("tillpoint_key") != request.key:
        return Decision(Next.FOREIGN, "this Stripe payment belongs to another sale or attempt: "
                                      "a manager must look at it", "reference_mismatch")
    status = pi.get("status")
    error = pi.get("last_payment_error") or None
    if status == "succeeded":
        return Decision(Next.SUCCEEDED, "approved")
    if status == "requires_capture":
        problem = capture_problem(pi, request)
        if problem:
            return Decision(Next.VOID, problem, "amount_mismatch")
        return Decision(Next.CAPTURE, "approved")
    if status == "canceled":
        if error:
            return Decision(Next.CANCELED, _decline(error), _code(error))
        return Decision(Next.CANCELED, "cancelled: nothing was taken")
    if status == "processing":
        return Decision(Next.PROCESSING, BEING_PROCESSED)
    if error:  # requires_payment_method again after a failed try: a decline
        return Decision(Next.DECLINED, _decline(error), _code(error))
    if status in ("requires_payment_method", "requires_confirmation", "requires_action"):
        return Decision(Next.ASK_READER)
    return Decision(Next.PROCESSING, BEING_PROCESSED)  # a state Stripe added later: wait


def capture_problem(pi: dict[str, Any], request: PaymentRequest) -> str | None:
    """Why this authorised intent must not be captured for the request, or None."""
    currency = request.currency.lower()
    if pi.get("currency") != currency or pi.get("amount") != request.amount:
        return (f"card payment refused: the reader authorised "
                f"{_money(pi.get('amount'), pi.get('currency'))}, the sale asks "
                f"{format_amount(request.amount, request.currency)} {request.currency}")
    if (pi.get("amount_capturable") or 0) < request.amount:
        return "card payment refused: less was authorised than the sale asks"
    if pi.get("amount_received"):
        return "card payment refused: money was already taken on this payment"
    return None


def action_for(reader: dict[str, Any], pi_id: str) -> dict[str, Any] | None:
    """The reader's action when it is about this intent."""
    action = reader.get("action") or None
    if not action or action.get("type") != "process_payment_intent":
        return None
    target = (action.get("process_payment_intent") or {}).get("payment_intent")
    if isinstance(target, dict):
        target = target.get("id")
    return action if target == pi_id else None


@dataclass(frozen=True, slots=True)
class ReaderView:
    waiting: bool  # the reader is on this intent, waiting for (or reading) the card
    words: str
    code: str | None = None
    settled: bool = False  # its action on this intent ended: the intent may have changed


def on_reader(reader: dict[str, Any], pi_id: str) -> ReaderView:
    action = action_for(reader, pi_id)
    offline = reader.get("status") == "offline"
    if action is None:
        words = "card reader offline" if offline else NOT_ON_READER
        return ReaderView(False, words, "terminal_reader_offline" if offline else None)
    if action.get("status") == "in_progress":
        if offline:
            return ReaderView(False, "card reader offline: wait for it or cancel",
                              "terminal_reader_offline")
        return ReaderView(True, PRESENT_CARD)
    if action.get("status") == "failed":
        code = action.get("failure_code")
        return ReaderView(False, f"{error_words(code, 'not taken on the reader')}: try again "
                                 "or cancel", code, settled=True)
    return ReaderView(False, BEING_PROCESSED, settled=True)  # succeeded: the intent moved on


def card_of(pi: dict[str, Any]) -> tuple[str | None, str | None]:
    """Brand and last four digits from the intent's charge — nothing else about the card."""
    charge = pi.get("latest_charge")
    if not isinstance(charge, dict):
        return None, None
    details = charge.get("payment_method_details") or {}
    card = details.get("card_present") or details.get("interac_present") or {}
    return card.get("brand"), card.get("last4")


def left_to_refund(pi: dict[str, Any]) -> tuple[int, int]:
    """(captured, still refundable) in minor units, from the intent's charge."""
    charge = pi.get("latest_charge")
    if not isinstance(charge, dict):
        return int(pi.get("amount_received") or 0), 0
    captured = int(charge.get("amount_captured") or 0)
    return captured, max(0, captured - int(charge.get("amount_refunded") or 0))


def intent_params(request: PaymentRequest) -> dict[str, Any]:
    # Only what the attempt's key determines: a replay under the same key must send exactly
    # these (the request's free-text description is not kept with the attempt, so not sent).
    return {"amount": request.amount, "currency": request.currency.lower(),
            "payment_method_types": ["card_present"], "capture_method": "manual",
            "description": f"Tillpoint sale {request.sale_id}, tender line "
                           f"{request.tender_index + 1}",
            "metadata": {"tillpoint_key": request.key, "sale_id": request.sale_id,
                         "tender_index": str(request.tender_index),
                         "attempt": str(request.attempt)}}


def handable(pi: dict[str, Any], request: PaymentRequest) -> bool:
    return (pi.get("status") == "requires_payment_method" and not pi.get("last_payment_error")
            and (pi.get("metadata") or {}).get("tillpoint_key") == request.key)


def refund_problem(pi: dict[str, Any], amount: int, currency: str) -> str | None:
    if pi.get("status") != "succeeded":
        return "nothing was taken on this card payment: there is nothing to refund"
    if (pi.get("currency") or "").upper() != currency:
        return f"this card payment was in {(pi.get('currency') or '?').upper()}, not {currency}"
    captured, _ = left_to_refund(pi)
    if amount > captured:
        # More than is left (but not more than captured) still goes to Stripe under the key:
        # it is either the reply to a refund already made under it, or refused there.
        return (f"refund refused: only {format_amount(captured, currency)} was taken on this "
                "card payment")
    return None


def _decline(error: dict[str, Any]) -> str:
    return decline_words(error.get("code"), error.get("decline_code"))


def _code(error: dict[str, Any]) -> str | None:
    return error.get("decline_code") or error.get("code")


def _money(amount: Any, currency: Any) -> str:
    if not isinstance(amount, int) or not isinstance(currency, str) or len(currency) != 3:
        return "another amount"
    return f"{format_amount(amount, currency.upper())} {currency.upper()}"

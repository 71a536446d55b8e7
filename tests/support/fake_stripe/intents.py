"""PaymentIntents, their charges and refunds: creation, the reader's verdict, capture,
cancel and refund, with Stripe's states, shapes and error codes. Callers hold the store lock."""

from __future__ import annotations

import secrets
from typing import Any

from . import params as p
from .cards import TestCard
from .state import Store, StripeError, invalid, missing, now

CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
              "requires_action", "processing")
CREATE_PARAMS = {"amount", "currency", "payment_method_types", "capture_method", "description",
                 "metadata", "statement_descriptor", "statement_descriptor_suffix",
                 "receipt_email", "customer", "payment_method_options", "on_behalf_of",
                 "application_fee_amount", "transfer_data"}


def create(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    p.only(params, CREATE_PARAMS)
    p.required(params, "amount")
    amount = p.integer(params, "amount", minimum=1)
    currency = str(p.required(params, "currency")).lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid(f"Invalid currency: {currency}", code="parameter_invalid_string",
                      param="currency", saved=False)
    capture_method = p.choice(params, "capture_method", ("automatic", "automatic_async", "manual"),
                              "automatic_async")
    intent_id = store.new_id("pi")
    intent = {
        "id": intent_id, "object": "payment_intent",
        "amount": amount, "amount_capturable": 0, "amount_received": 0,
        "amount_details": {"tip": {}},
        "application": None, "application_fee_amount": None,
        "canceled_at": None, "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
        "confirmation_method": "automatic", "created": now(), "currency": currency,
        "customer": params.get("customer"), "description": params.get("description"),
        "last_payment_error": None, "latest_charge": None, "livemode": False,
        "metadata": p.metadata(params), "next_action": None, "on_behalf_of": None,
        "payment_method": None,
        "payment_method_options": {"card_present": {"request_extended_authorization": False,
                                                    "request_incremental_authorization_support":
                                                        False}},
        "payment_method_types": p.string_list(params, "payment_method_types", ["card"]),
        "processing": None, "receipt_email": params.get("receipt_email"),
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
    }
    store.payment_intents[intent_id] = intent
    store.emit("payment_intent.created", intent)
    return intent


def get(store: Store, intent_id: str, param: str = "intent") -> dict[str, Any]:
    intent = store.payment_intents.get(intent_id)
    if intent is None:
        raise missing("payment_intent", intent_id, param)
    return intent


def unexpected_state(intent: dict[str, Any], action: str, allowed: tuple[str, ...]) -> StripeError:
    return invalid(
        f"You cannot {action} this PaymentIntent because it has a status of {intent['status']}. "
        f"Only a PaymentIntent with one of the following statuses may be {action}ed: "
        f"{', '.join(allowed)}.",
        code="payment_intent_unexpected_state", payment_intent=intent)


def authorise(store: Store, intent: dict[str, Any], card: TestCard) -> None:
    """The reader read an approving card: a charge exists; manual capture waits for us."""
    method = _payment_method(store, card)
    manual = intent["capture_method"] == "manual"
    charge = _charge(store, intent, method, card, captured=not manual)
    intent.update(payment_method=method["id"], latest_charge=charge["id"],
                  last_payment_error=None)
    store.emit("charge.succeeded", charge)
    if manual:
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        store.emit("payment_intent.amount_capturable_updated", intent)
    else:
        intent.update(status="succeeded", amount_received=intent["amount"])
        store.emit("payment_intent.succeeded", intent)


def decline(store: Store, intent: dict[str, Any], card: TestCard) -> None:
    """The issuer said no: a failed charge, the reason on the intent, ready for another card."""
    assert card.decline is not None
    method = _payment_method(store, card)
    charge = _charge(store, intent, method, card, captured=False)
    intent.update(status="requires_payment_method", payment_method=None,
                  latest_charge=charge["id"], last_payment_error={
                      "type": "card_error", "code": card.decline.code,
                      "decline_code": card.decline.decline_code,
                      "message": card.decline.message, "charge": charge["id"],
                      "doc_url": "https://stripe.com/docs/error-codes/"
                                 + card.decline.code.replace("_", "-"),
                      "payment_method": dict(method)})
    store.emit("charge.failed", charge)
    store.emit("payment_intent.payment_failed", intent)


def capture(store: Store, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    p.only(params, {"amount_to_capture", "metadata", "statement_descriptor",
                    "statement_descriptor_suffix", "application_fee_amount", "final_capture"})
    intent = get(store, intent_id)
    amount = p.integer(params, "amount_to_capture", minimum=1)
    if intent["status"] != "requires_capture":
        raise unexpected_state(intent, "capture", ("requires_capture",))
    if amount is None:
        amount = intent["amount_capturable"]
    if amount > intent["amount_capturable"]:
        raise invalid(f"The amount_to_capture ({amount}) must be less than or equal to the "
                      f"amount_capturable ({intent['amount_capturable']}).",
                      code="amount_too_large", param="amount_to_capture")
    charge = store.charges[intent["latest_charge"]]
    charge.update(captured=True, amount_captured=amount)
    intent.update(status="succeeded", amount_capturable=0, amount_received=amount,
                  metadata=p.metadata(params, intent["metadata"]))
    store.emit("charge.captured", charge)
    store.emit("payment_intent.succeeded", intent)
    return intent


def cancel(store: Store, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    p.only(params, {"cancellation_reason"})
    intent = get(store, intent_id)
    reason = params.get("cancellation_reason")
    if reason not in (None, "duplicate", "fraudulent", "requested_by_customer", "abandoned"):
        raise invalid(f"Invalid cancellation_reason: {reason}", param="cancellation_reason",
                      code="parameter_invalid_string", saved=False)
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(intent, "cancel", CANCELABLE)
    intent.update(status="canceled", canceled_at=now(), cancellation_reason=reason,
                  amount_capturable=0)
    for reader in store.readers.values():  # a reader still collecting for it gives up
        action = reader.get("action")
        if (action and action["status"] == "in_progress"
                and action["process_payment_intent"]["payment_intent"] == intent_id):
            action.update(status="failed", failure_code="intent_invalid_state",
                          failure_message="The PaymentIntent was canceled.")
    store.emit("payment_intent.canceled", intent)
    return intent


def refund(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    p.only(params, {"payment_intent", "charge", "amount", "reason", "metadata",
                    "refund_application_fee", "reverse_transfer", "instructions_email"})
    charge = _refundable_charge(store, params)
    amount = p.integer(params, "amount", minimum=1)
    left = charge["amount_captured"] - charge["amount_refunded"]
    if left <= 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.",
                      code="charge_already_refunded")
    if amount is None:
        amount = left
    if amount > left:
        raise invalid(f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                      f"({left})", code="amount_too_large", param="amount")
    refund_id = store.new_id("re")
    record = {
        "id": refund_id, "object": "refund", "amount": amount, "balance_transaction": None,
        "charge": charge["id"], "created": now(), "currency": charge["currency"],
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "metadata": p.metadata(params), "payment_intent": charge["payment_intent"],
        "reason": params.get("reason"), "receipt_number": None,
        "source_transfer_reversal": None, "status": "succeeded", "transfer_reversal": None,
    }
    store.refunds[refund_id] = record
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    store.emit("refund.created", record)
    store.emit("charge.refunded", charge)
    return record


def get_refund(store: Store, refund_id: str) -> dict[str, Any]:
    record = store.refunds.get(refund_id)
    if record is None:
        raise missing("refund", refund_id)
    return record


def _refundable_charge(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    if "payment_intent" in params:
        intent = get(store, params["payment_intent"], "payment_intent")
        if intent["status"] != "succeeded":
            raise invalid(f"This PaymentIntent ({intent['id']}) does not have a successful "
                          "charge to refund.", code="payment_intent_unexpected_state",
                          param="payment_intent", payment_intent=intent)
        return store.charges[intent["latest_charge"]]
    if "charge" in params:
        charge = store.charges.get(params["charge"])
        if charge is None:
            raise missing("charge", params["charge"], "charge")
        if not charge["captured"]:
            raise invalid(f"Charge {charge['id']} has not been captured.",
                          code="charge_not_refundable", param="charge")
        return charge
    raise invalid("One of the following params should be provided for this request: "
                  "payment_intent or charge.", code="parameter_missing", saved=False)


def _payment_method(store: Store, card: TestCard) -> dict[str, Any]:
    method_id = store.new_id("pm")
    method = {"id": method_id, "object": "payment_method", "type": "card_present",
              "card_present": _card_details(card), "created": now(),
              "customer": None, "livemode": False, "metadata": {}}
    store.payment_methods[method_id] = method
    return method


def _charge(store: Store, intent: dict[str, Any], method: dict[str, Any], card: TestCard,
            *, captured: bool) -> dict[str, Any]:
    declined = card.decline is not None
    charge_id = store.new_id("ch")
    charge = {
        "id": charge_id, "object": "charge", "amount": intent["amount"],
        "amount_captured": intent["amount"] if captured else 0, "amount_refunded": 0,
        "balance_transaction": None, "captured": captured, "created": now(),
        "currency": intent["currency"], "description": intent["description"],
        "failure_code": card.decline.code if declined else None,
        "failure_message": card.decline.message if declined else None,
        "livemode": False, "metadata": dict(intent["metadata"]),
        "outcome": _outcome(card), "paid": not declined,
        "payment_intent": intent["id"], "payment_method": method["id"],
        "payment_method_details": {"type": "card_present",
                                   "card_present": method["card_present"]},
        "refunded": False, "status": "failed" if declined else "succeeded",
    }
    store.charges[charge_id] = charge
    return charge


def _outcome(card: TestCard) -> dict[str, Any]:
    if card.decline is None:
        return {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized"}
    return {"network_status": "declined_by_network", "reason": card.decline.decline_code,
            "risk_level": "normal", "seller_message": "The bank did not return any further "
            "details with this decline.", "type": "issuer_declined"}


def _card_details(card: TestCard) -> dict[str, Any]:
    return {"brand": card.brand, "cardholder_name": None, "country": "US",
            "exp_month": 12, "exp_year": 2030, "fingerprint": f"fp{card.number[-8:]}",
            "funding": card.funding, "last4": card.last4, "network": card.brand,
            "read_method": "contactless_emv", "generated_card": None,
            "receipt": {"application_preferred_name": card.brand.title(),
                        "dedicated_file_name": "A0000000031010", "account_type": card.funding,
                        "authorization_response_code": None if card.decline else "3030"}}

"""Simulated Terminal readers: handing a PaymentIntent to one, the customer presenting a card
(the ``present_payment_method`` test helper), and ``cancel_action``. Callers hold the lock.

As on Stripe, a finished action stays on the reader (``succeeded`` / ``failed``) until the
next one replaces it; ``cancel_action`` clears it (the documented response has
``action: null``).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from . import intents
from . import params as p
from .cards import DEFAULT_CARD, TEST_CARDS, TestCard
from .state import Store, invalid, missing


def add(store: Store, reader_id: str, label: str, *, online: bool = True,
        device_type: str = "simulated_wisepos_e") -> dict[str, Any]:
    reader = {
        "id": reader_id, "object": "terminal.reader", "action": None,
        "device_sw_version": "2.37.2.0", "device_type": device_type,
        "ip_address": "0.0.0.0", "label": label,
        "last_seen_at": int(time.time() * 1000), "livemode": False,
        "location": "tml_fakelocation", "metadata": {},
        "serial_number": secrets.token_hex(8),
        "status": "online" if online else "offline",
    }
    store.readers[reader_id] = reader
    return reader


def get(store: Store, reader_id: str) -> dict[str, Any]:
    reader = store.readers.get(reader_id)
    if reader is None:
        raise missing("terminal.reader", reader_id)
    return reader


def listing(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    p.only(params, {"limit", "status", "location", "device_type", "serial_number",
                    "starting_after", "ending_before"})
    limit = p.integer(params, "limit", minimum=1) or 10
    readers = [r for r in store.readers.values()
               if all(params.get(k) in (None, r[k]) for k in ("status", "device_type"))]
    return {"object": "list", "data": readers[:limit], "has_more": len(readers) > limit,
            "url": "/v1/terminal/readers"}


def process(store: Store, reader_id: str, params: dict[str, Any]) -> dict[str, Any]:
    p.only(params, {"payment_intent", "process_config"})
    intent_id = p.required(params, "payment_intent")
    reader = get(store, reader_id)
    intent = intents.get(store, intent_id, "payment_intent")
    _require_online(reader)
    action = reader["action"]
    if action is not None and action["status"] == "in_progress":
        raise invalid("Reader is currently busy processing another request. Please reference "
                      "the docs for more information on how to handle this error.",
                      code="terminal_reader_busy")
    if intent["status"] != "requires_payment_method":
        raise invalid(f"PaymentIntent {intent_id} has a status of {intent['status']}; a reader "
                      "can only process a PaymentIntent in requires_payment_method.",
                      code="intent_invalid_state", param="payment_intent")
    if "card_present" not in intent["payment_method_types"]:
        raise invalid(f"PaymentIntent {intent_id} does not accept card_present payments.",
                      code="intent_invalid_state", param="payment_intent")
    reader["action"] = {"type": "process_payment_intent", "status": "in_progress",
                        "failure_code": None, "failure_message": None,
                        "process_payment_intent": {"payment_intent": intent_id}}
    return reader


def cancel_action(store: Store, reader_id: str, params: dict[str, Any]) -> dict[str, Any]:
    p.only(params, set())
    reader = get(store, reader_id)
    _require_online(reader)
    reader["action"] = None
    return reader


def present(store: Store, reader_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """The customer taps a card: the reader's PaymentIntent is authorised or declined."""
    p.only(params, {"type", "card_present", "amount_tip", "interac_present", "card"})
    reader = get(store, reader_id)
    kind = params.get("type", "card_present")
    if kind != "card_present":
        raise invalid(f"The fake simulates card_present only, not {kind}.", param="type",
                      code="parameter_invalid_string", saved=False)
    card = _card(params)
    _require_online(reader)
    action = reader["action"]
    if action is None or action["status"] != "in_progress":
        raise invalid("This reader has no action in progress to present a payment method to.")
    intent = store.payment_intents[action["process_payment_intent"]["payment_intent"]]
    if card.approves:
        intents.authorise(store, intent, card)
        action.update(status="succeeded")
    else:
        assert card.decline is not None
        intents.decline(store, intent, card)
        action.update(status="failed", failure_code=card.decline.code,
                      failure_message=card.decline.message)
    return reader


def _card(params: dict[str, Any]) -> TestCard:
    details = params.get("card_present") or {}
    number = details.get("number") if isinstance(details, dict) else None
    if number is None:
        return DEFAULT_CARD
    card = TEST_CARDS.get(str(number).replace(" ", ""))
    if card is None:
        raise invalid("Your card number is not one of Stripe's Terminal test cards.",
                      code="invalid_number", param="card_present[number]", saved=False)
    return card


def _require_online(reader: dict[str, Any]) -> None:
    if reader["status"] != "online":
        raise invalid("Reader is currently offline, please ensure the reader is powered on "
                      "and connected to the internet before retrying your request. Reference "
                      "the integration guide for more information.",
                      code="terminal_reader_offline")

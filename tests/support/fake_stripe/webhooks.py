"""Stripe's webhook signatures, made the way Stripe makes them, so a test can deliver one of
the fake's events to the central server: ``Stripe-Signature: t=<unix>,v1=<hmac-sha256>`` over
``"<t>.<body>"`` with the endpoint's signing secret (``whsec_…``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def delivery(event: dict[str, Any], secret: str,
             timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers Stripe would POST to a webhook endpoint for ``event``."""
    payload = json.dumps(event, indent=2).encode()
    return payload, {"Content-Type": "application/json; charset=utf-8",
                     "Stripe-Signature": signature_header(payload, secret, timestamp)}

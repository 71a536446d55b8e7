"""Signed webhooks, in the style of Stripe's ``Stripe-Signature`` header.

The header is ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">``; several ``v1``
entries may appear (a sender rotating its secret signs with both), unknown schemes are ignored.
The secret is used as given (for Stripe, the whole ``whsec_…`` string), so the same check works
for Stripe's events and for webhooks Tillpoint sends itself.

Replay protection here is only the tolerance window: a captured request is refused once its
timestamp is more than ``tolerance_s`` away from now. Within the window a replay verifies, so
the *caller* must make handling idempotent by the event id (record processed ids).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300
_MAX_HEADER = 4096  # a real header is ~100 bytes; refuse to parse megabytes of commas


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or does not match; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def _mac(secret: str | bytes, payload: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(_key(secret), signed, hashlib.sha256).hexdigest()


def sign(secret: str | bytes, payload: bytes, timestamp: int) -> str:
    """The header value for ``payload`` sent at ``timestamp``."""
    if not secret:
        raise ValueError("a webhook secret must not be empty")
    return f"t={int(timestamp)},{SCHEME}={_mac(secret, payload, int(timestamp))}"


def _parse(header: str) -> tuple[int, list[str]]:
    if not header or not header.strip():
        raise SignatureError("no signature header")
    if len(header) > _MAX_HEADER:
        raise SignatureError("the signature header is too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError(f"malformed signature header element {item.strip()[:20]!r}")
        if name == "t":
            timestamps.append(value)
        elif name == SCHEME:
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit() or len(timestamps[0]) > 12:
        raise SignatureError("the signature header needs exactly one numeric timestamp t=")
    if not signatures:
        raise SignatureError(f"the signature header has no {SCHEME}= signature")
    return int(timestamps[0]), signatures


def verify(secret: str | bytes, payload: bytes, header: str, tolerance_s: int = DEFAULT_TOLERANCE_S,
           now: float | None = None) -> int:
    """Check ``header`` against ``payload``; return the signed timestamp, or raise
    ``SignatureError``. The payload must be the raw request body, byte for byte."""
    if not secret:
        raise SignatureError("no webhook secret is configured")
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if timestamp < current - tolerance_s:
        raise SignatureError(f"the signature is stale (older than {tolerance_s} s): "
                             "a replay or a badly delayed delivery")
    if timestamp > current + tolerance_s:
        raise SignatureError(f"the signature timestamp is more than {tolerance_s} s in the future")
    expected = _mac(secret, payload, timestamp)
    # Compare against every candidate without stopping early: constant time per candidate.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected.encode("ascii"),
                                       candidate.encode("utf-8", "replace"))
    if not matched:
        raise SignatureError("no signature matches the payload (wrong secret or altered body)")
    return timestamp

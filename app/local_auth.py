"""Staff PINs at the till: salted PBKDF2 hashes (synced from the server), checked offline."""

from __future__ import annotations

import hashlib
import hmac
import os

from app.domain.errors import InvalidInput

ITERATIONS = 120_000
_SCHEME = "pbkdf2_sha256"


def check_pin_format(pin: object, *, field: str = "pin") -> str:
    if not isinstance(pin, str) or not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise InvalidInput("a PIN is 4 to 8 digits", field=field)
    return pin


def hash_pin(pin: str, *, iterations: int = ITERATIONS) -> str:
    check_pin_format(pin)
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{_SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str | None) -> bool:
    if not stored or not isinstance(pin, str):
        return False
    try:
        scheme, iterations, salt_hex, digest_hex = stored.split("$")
        if scheme != _SCHEME:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt_hex), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)

"""Till PIN hashes, made on the server and verified offline by the tills.

The format is exactly the desktop's (``app.local_auth``): ``pbkdf2_sha256$iterations$salt_hex$
digest_hex``. It is re-implemented here because the server may import only ``app.domain``; a
test checks that ``app.local_auth.verify_pin`` accepts what this module makes.
"""

from __future__ import annotations

import hashlib
import os

SCHEME = "pbkdf2_sha256"
ITERATIONS = 120_000  # the desktop's default: a till checks a PIN in well under a second
MIN_DIGITS, MAX_DIGITS = 4, 8


def pin_problem(pin: object) -> str | None:
    """Why ``pin`` is not acceptable, or ``None``."""
    # isascii: str.isdigit() also accepts digits of other scripts, which a till keypad cannot type
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit() \
            or not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        return f"a PIN is {MIN_DIGITS} to {MAX_DIGITS} digits"
    return None


def hash_pin(pin: str, *, iterations: int = ITERATIONS) -> str:
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"

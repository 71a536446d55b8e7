"""Password hashing with bcrypt (cost 12 by default, as the original design asks)."""

from __future__ import annotations

import bcrypt

MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt ignores anything after 72 bytes: refuse rather than truncate silently
DEFAULT_ROUNDS = 12
# Dummy hashes by cost. Process-local on purpose: it is a constant per cost, not shared state.
_DUMMIES: dict[int, bytes] = {}


def password_problem(password: str) -> str | None:
    """Why a new password is unacceptable, or ``None``."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password.encode("utf-8")) > MAX_BYTES:
        return f"must be at most {MAX_BYTES} bytes"
    if password.strip() != password or not password.strip():
        return "must not start or end with spaces"
    return None


def hash_password(password: str, *, rounds: int = DEFAULT_ROUNDS) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def dummy_hash(rounds: int = DEFAULT_ROUNDS) -> bytes:
    """A throwaway hash of the given cost, made once per cost and kept: checking against it
    takes as long as checking a real password hashed with that cost."""
    cached = _DUMMIES.get(rounds)
    if cached is None:
        cached = _DUMMIES.setdefault(rounds, bcrypt.hashpw(b"dummy", bcrypt.gensalt(rounds)))
    return cached


def verify_password(password: str, hashed: str | None, *, rounds: int = DEFAULT_ROUNDS) -> bool:
    """``rounds`` is the configured cost: an unknown account (``hashed`` empty) is checked
    against a dummy hash of that cost, so that timing does not reveal which accounts exist."""
    if not hashed:
        bcrypt.checkpw(b"not-the-password", dummy_hash(rounds))
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8")[:MAX_BYTES], hashed.encode("ascii"))
    except ValueError:
        return False


"""Password hashing with bcrypt (cost 12 by default, as the original design asks)."""

from __future__ import annotations

import bcrypt

MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt ignores anything after 72 bytes: refuse rather than truncate silently


def password_problem(password: str) -> str | None:
    """Why a new password is unacceptable, or ``None``."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password.encode("utf-8")) > MAX_BYTES:
        return f"must be at most {MAX_BYTES} bytes"
    if password.strip() != password or not password.strip():
        return "must not start or end with spaces"
    return None


def hash_password(password: str, *, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        # Spend the same time as a real check so timing does not reveal unknown accounts.
        bcrypt.checkpw(b"not-the-password", _DUMMY)
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8")[:MAX_BYTES], hashed.encode("ascii"))
    except ValueError:
        return False


_DUMMY = bcrypt.hashpw(b"dummy", bcrypt.gensalt(4))

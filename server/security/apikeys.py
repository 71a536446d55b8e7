"""API keys for server-to-server clients: ``tpk_<prefix>_<secret>``.

The 8-character prefix is stored in the clear (unique index) so a key can be found by an
indexed equality lookup; of the whole key only its SHA-256 digest is kept, so a database dump
reveals no usable key. ``server.security.deps`` authenticates them; this module makes them.
Neither part contains ``_``, which separates the three parts.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from server.security.tokens import digest

SCHEME = "tpk"
PREFIX_LENGTH = 8
SECRET_LENGTH = 40  # 40 base-62 characters: about 238 bits
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly generated key: ``value`` is shown once, ``prefix`` and ``hash`` are stored."""

    value: str
    prefix: str
    hash: str


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generate() -> NewKey:
    prefix = _random(_PREFIX_ALPHABET, PREFIX_LENGTH)
    value = f"{SCHEME}_{prefix}_{_random(_SECRET_ALPHABET, SECRET_LENGTH)}"
    return NewKey(value, prefix, digest(value))


def prefix_of(value: str) -> str | None:
    """The lookup prefix of a well-formed key, else ``None`` (``deps`` authenticates with it)."""
    parts = value.split("_")
    if len(parts) != 3 or parts[0] != SCHEME or not parts[1] or not parts[2]:
        return None
    return parts[1]

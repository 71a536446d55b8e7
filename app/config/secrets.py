"""Secrets (device credential, Stripe key, SMTP passwords) in the OS keyring, never on disk.

Where no keyring backend exists (a headless CI box, a minimal Linux), reading or writing a
secret raises :class:`SecretStoreUnavailable` with what to do, instead of a traceback.
"""

from __future__ import annotations

import os

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

SERVICE = "tillpoint"

#: Environment variables that override a keyring entry (headless tills, tests).
ENV_OVERRIDES = {"stripe.secret_key": "TILLPOINT_STRIPE_SECRET_KEY",
                 "sync.device_key": "TILLPOINT_DEVICE_KEY"}


class SecretStoreUnavailable(Exception):
    """No usable keyring backend: the message says what to install or set."""


def _scoped(name: str, scope: str) -> str:
    return f"{scope}:{name}" if scope else name


def _explain(exc: Exception) -> SecretStoreUnavailable:
    return SecretStoreUnavailable(
        "no secure keyring is available on this machine "
        f"({type(exc).__name__}: {exc}). Install and unlock a keyring (GNOME Keyring, KWallet, "
        "macOS Keychain, Windows Credential Manager), or for a headless till set the "
        "environment variable named in the README.")


def get_secret(name: str, *, scope: str = "") -> str | None:
    env = ENV_OVERRIDES.get(name)
    if env and os.environ.get(env):
        return os.environ[env]
    try:
        return keyring.get_password(SERVICE, _scoped(name, scope))
    except (NoKeyringError, KeyringError, RuntimeError) as exc:
        raise _explain(exc) from exc


def set_secret(name: str, value: str, *, scope: str = "") -> None:
    try:
        keyring.set_password(SERVICE, _scoped(name, scope), value)
    except (NoKeyringError, KeyringError, RuntimeError) as exc:
        raise _explain(exc) from exc


def delete_secret(name: str, *, scope: str = "") -> None:
    """Forget a secret; one that is not there is no error."""
    try:
        keyring.delete_password(SERVICE, _scoped(name, scope))
    except PasswordDeleteError:
        pass
    except (NoKeyringError, KeyringError, RuntimeError) as exc:
        raise _explain(exc) from exc


def keyring_available() -> tuple[bool, str]:
    """Whether secrets can be stored here, and the backend's name or the reason not."""
    backend = keyring.get_keyring()
    priority = getattr(backend, "priority", 0)
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if priority <= 0 or "fail" in name.lower() or "null" in name.lower():
        return False, f"no keyring backend ({name})"
    return True, name

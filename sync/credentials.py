"""Who this till is to its server (``sync.*`` local settings) and its device key.

The key lives in the OS keyring (through :mod:`app.config.secrets`), one entry per device
id, so a re-paired till never reads a revoked key. ``TILLPOINT_DEVICE_KEY`` overrides it for
headless tills and CI, which have no keyring."""

from __future__ import annotations

import secrets as random_tokens
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.config import secrets
from app.config.secrets import SecretStoreUnavailable
from app.sales.identity import (SYNC_DEVICE_ID_KEY, SYNC_SERVER_URL_KEY, SYNC_STORE_ID_KEY,
                                 get_local, set_local)
from sync.errors import NotPaired

SECRET_NAME = "sync.device_key"
ENV_VAR = secrets.ENV_OVERRIDES[SECRET_NAME]


def device_key(device_id: str) -> str:
    """The key of ``device_id``; NotPaired when neither the keyring nor the environment has it."""
    key = secrets.get_secret(SECRET_NAME, scope=device_id)
    if not key:
        raise NotPaired(f"this till's device key is not in the keyring (device {device_id}): "
                        f"pair it again, or set {ENV_VAR} on a headless till")
    return key


def save_device_key(device_id: str, key: str) -> None:
    secrets.set_secret(SECRET_NAME, key, scope=device_id)


def forget_device_key(device_id: str) -> None:
    secrets.delete_secret(SECRET_NAME, scope=device_id)


def check_keyring() -> None:
    """Write, read back and delete a throw-away secret: ``SecretStoreUnavailable`` unless the
    keyring really keeps what it is given (a backend can exist and still refuse, or be locked)."""
    scope = f"probe-{random_tokens.token_hex(8)}"
    token = random_tokens.token_hex(16)
    secrets.set_secret("sync.keyring_probe", token, scope=scope)
    try:
        if secrets.get_secret("sync.keyring_probe", scope=scope) != token:
            raise SecretStoreUnavailable("the keyring did not give back what was stored in it")
    finally:
        secrets.delete_secret("sync.keyring_probe", scope=scope)


# who this till is to the server (local settings, kept with the store's data) -----------------

SERVER_URL_KEY, DEVICE_ID_KEY, STORE_ID_KEY = SYNC_SERVER_URL_KEY, SYNC_DEVICE_ID_KEY, \
    SYNC_STORE_ID_KEY


@dataclass(frozen=True, slots=True)
class Pairing:
    server_url: str
    device_id: str
    store_id: str


def paired_with(session: Session) -> Pairing | None:
    """This till's server and device, or None for a local-only shop."""
    values = [get_local(session, key) for key in (SERVER_URL_KEY, DEVICE_ID_KEY, STORE_ID_KEY)]
    if not all(values):
        return None
    return Pairing(*values)  # type: ignore[arg-type]


def remember_pairing(session: Session, pairing: Pairing) -> None:
    set_local(session, SERVER_URL_KEY, pairing.server_url)
    set_local(session, DEVICE_ID_KEY, pairing.device_id)
    set_local(session, STORE_ID_KEY, pairing.store_id)

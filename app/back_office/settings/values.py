"""This installation's settings and the Stripe key as the Settings page changes them: every
field checked first (each refusal names its field and says why), nothing kept when one is
wrong, the member of staff checked (``settings:manage``) and the change audited in the same
local transaction. The key goes to the OS keyring and never into settings, the audit journal
or the screen."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app import audit
from app.config.secrets import SecretStoreUnavailable, get_secret, keyring_available, set_secret
from app.back_office.settings.errors import FieldErrors
from app.config.settings import Settings, coerce, spec_for
from app.domain.errors import InvalidInput
from app.domain.permissions import Permission
from app.staff import active_staff
from db.engine import LocalStore

STRIPE_SECRET = "stripe.secret_key"
KEY_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_")
#: the settings this page edits (printers are saved by their own section, as at the till).
#: Not ``server.url``: sync talks to the address kept at pairing (``sync.credentials``), so
#: the page shows it read-only beside the pairing and only pairing again changes it.
PAGE_KEYS = ("receipt.footer", "payments.card_provider", "stripe.reader_id",
             "backup.dir", "backup.keep")
MAX_BACKUPS = 3650


def check_backup_dir(value: str) -> str:
    """Empty (the data directory's backups/), or an absolute folder that exists and can be
    written, or that can be made inside one that does."""
    text = value.strip()
    if not text:
        return ""
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise InvalidInput(f"{text[:80]!r} is not a full path (start it at / or a drive)",
                           field="backup.dir")
    if path.exists():
        if not path.is_dir():
            raise InvalidInput(f"{path} is a file, not a folder", field="backup.dir")
        if not os.access(path, os.W_OK | os.X_OK):
            raise InvalidInput(f"{path} cannot be written here", field="backup.dir")
        return str(path)
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidInput(f"{path} does not exist and cannot be made", field="backup.dir")
    return str(path)


def check_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the values as they would be kept, each refused key's reason)."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        try:
            if key not in PAGE_KEYS:
                raise InvalidInput("is not a setting of this page", field=key)
            value = coerce(spec_for(key), raw)
            if key == "backup.dir":
                value = check_backup_dir(value)
            elif key == "backup.keep" and not 1 <= value <= MAX_BACKUPS:
                raise InvalidInput(f"keep 1 to {MAX_BACKUPS} backups", field=key)
            clean[key] = value
        except InvalidInput as exc:
            errors[key] = exc.message
    return clean, errors


def save_values(store: LocalStore, settings: Settings, *, staff_id: str,
                values: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the values that differ from what is set; ``FieldErrors`` (nothing kept) when any
    is refused. Returns what changed."""
    clean, errors = check_values(values)
    if errors:
        raise FieldErrors(errors)
    changed = {key: value for key, value in clean.items() if settings.get(key) != value}
    with store.write() as session:
        active_staff(session, staff_id, Permission.SETTINGS_MANAGE)
        if not changed:
            return {}
        before = {key: settings.get(key) for key in changed}
        audit.append(session, action="settings.changed", entity="settings", entity_id=None,
                     actor_id=staff_id, details={"from": before, "to": changed})
        session.flush()
        settings.update(changed)  # last: a file that cannot be written rolls the audit back
    return changed


def key_state() -> tuple[bool | None, str]:
    """Whether a Stripe key is kept (None: cannot tell, no keyring) and what to say about it;
    the key itself is never returned."""
    usable, backend = keyring_available()
    from_env = bool(os.environ.get("TILLPOINT_STRIPE_SECRET_KEY"))
    if from_env:
        return True, "A Stripe key is set by TILLPOINT_STRIPE_SECRET_KEY on this till."
    if not usable:
        return None, (f"No keyring is available on this machine ({backend}): the Stripe key "
                      "cannot be kept here. Install and unlock one, or set "
                      "TILLPOINT_STRIPE_SECRET_KEY for a headless till.")
    try:
        kept = bool(get_secret(STRIPE_SECRET))
    except SecretStoreUnavailable as exc:
        return None, str(exc)
    return kept, ("A Stripe key is kept in the keyring." if kept
                  else "No Stripe key yet: card payments on a Stripe reader need one.")


def check_key(key: str) -> str:
    text = key.strip()
    if not text.startswith(KEY_PREFIXES) or len(text) <= 8 or not text.isascii() \
            or any(c.isspace() for c in text):
        raise InvalidInput("is not a Stripe secret or restricted key (sk_live_…, sk_test_…, "
                           "rk_live_…, rk_test_…)", field="stripe.secret_key")
    return text


def replace_stripe_key(store: LocalStore, *, staff_id: str, key: str) -> None:
    """Put ``key`` in the keyring in place of any kept before (``SecretStoreUnavailable``
    when there is no keyring: nothing is kept anywhere else)."""
    text = check_key(key)
    with store.write() as session:
        active_staff(session, staff_id, Permission.SETTINGS_MANAGE)
        audit.append(session, action="settings.stripe_key_replaced", entity="settings",
                     entity_id=None, actor_id=staff_id,
                     details={"key": text[:8] + "…"})  # the kind of key, never the key
        session.flush()
        set_secret(STRIPE_SECRET, text)

"""Settings of this installation, each declared once (type, default, description), kept in a
TOML file in the data directory. Secrets never go here: see :mod:`app.config.secrets`."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from app.domain.errors import InvalidInput
from app.domain.rates import parse_percent


@dataclass(frozen=True, slots=True)
class SettingSpec:
    key: str
    kind: type
    default: Any
    description: str
    choices: tuple[str, ...] = ()


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("server.url", str, "", "Address of the central server this till syncs with"),
    SettingSpec("printer.receipt", str, "", "Printer for receipts (empty: the system default)"),
    SettingSpec("printer.invoice", str, "", "Printer for invoices (empty: the system default)"),
    SettingSpec("printer.label", str, "", "Printer for shipping and shelf labels"),
    SettingSpec("printer.receipt_dir", str, "",
                "Save receipts as PDF files in this directory instead of printing them "
                "(TILLPOINT_RECEIPT_DIR overrides it)"),
    SettingSpec("receipt.width", str, "80mm", "Receipt roll width", ("80mm", "58mm")),
    SettingSpec("receipt.footer", str, "Returns within 30 days with this receipt.",
                "Text printed at the foot of every receipt"),
    SettingSpec("invoice.paper", str, "A4", "Invoice paper size", ("A4", "Letter")),
    SettingSpec("stripe.reader_id", str, "",
                "Stripe Terminal reader used for card payments (`tillpoint stripe readers` "
                "lists the account's readers)"),
    SettingSpec("stripe.api_base", str, "",
                "Stripe's API address (empty: Stripe's own; TILLPOINT_STRIPE_API_BASE "
                "overrides it), for a test double or stripe-mock"),
    SettingSpec("till.lock_after_seconds", int, 300, "Lock the till after this much inactivity"),
    SettingSpec("back_office.lock_after_seconds", int, 300,
                "Sign the back office out after this much inactivity (0: only on leaving it)"),
    SettingSpec("till.approval_discount_percent", str, "10",
                "Discounts above this percentage need a manager's PIN"),
    SettingSpec("till.high_contrast", bool, False, "Use the high-contrast theme"),
    SettingSpec("till.cash_drawer", bool, False, "A cash drawer is connected to the receipt printer"),
    SettingSpec("till.cash_drawer_device", str, "",
                "Device (or file) the cash drawer's ESC/POS pulse is written to, e.g. /dev/usb/lp0"),
    SettingSpec("payments.card_provider", str, "auto",
                "How cards are taken: stripe_terminal (the reader stripe.reader_id names), a "
                "standalone card terminal the cashier keys amounts into, none, or auto "
                "(Stripe Terminal once a reader is set, else the standalone terminal)",
                ("auto", "stripe_terminal", "terminal", "none")),
    SettingSpec("backup.dir", str, "", "Where daily backups go (empty: backups/ in the data directory)"),
    SettingSpec("backup.keep", int, 14, "How many daily backups to keep"),
)

_BY_KEY = {spec.key: spec for spec in SPECS}
_READER_ID = re.compile(r"tmr_[A-Za-z0-9_]{1,64}")
_API_BASE = re.compile(r"(https?)://([^\s/?#:]+|\[[0-9a-fA-F:]+\])(:\d+)?(/[^\s?#]*)?")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def check_api_base(value: str, *, field: str) -> str:
    """An address for Stripe's API: https anywhere, plain http only on this machine (a test
    double) — a live key must never travel unencrypted."""
    match = _API_BASE.fullmatch(value.strip())
    if match is None:
        raise InvalidInput(f"{value[:80]!r} is not an http(s) address such as "
                           "https://api.stripe.com", field=field)
    if match.group(1) == "http" and match.group(2) not in _LOOPBACK:
        raise InvalidInput(f"{value[:80]!r}: plain http is only for a test double on this "
                           "machine (127.0.0.1, localhost); use https", field=field)
    return value.strip().rstrip("/")
SECRET_HINTS = ("key", "secret", "password", "token")


def spec_for(key: str) -> SettingSpec:
    spec = _BY_KEY.get(key)
    if spec is None:
        if any(h in key.lower() for h in SECRET_HINTS):
            raise InvalidInput(f"{key} looks like a secret: secrets are kept in the keyring, "
                               "never in settings", field="key")
        raise InvalidInput(f"unknown setting {key!r}; `tillpoint config list` shows them all",
                           field="key")
    return spec


def coerce(spec: SettingSpec, raw: Any) -> Any:
    """Turn a value from the command line or the file into the setting's type, or refuse it."""
    if spec.kind is bool:
        if isinstance(raw, bool):
            value: Any = raw
        elif str(raw).strip().lower() in ("1", "true", "yes", "on"):
            value = True
        elif str(raw).strip().lower() in ("0", "false", "no", "off"):
            value = False
        else:
            raise InvalidInput(f"{raw!r} is not true or false", field=spec.key)
    elif spec.kind is int:
        if isinstance(raw, bool):
            raise InvalidInput(f"{raw!r} is not a whole number", field=spec.key)
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise InvalidInput(f"{raw!r} is not a whole number", field=spec.key) from None
        if value < 0:
            raise InvalidInput("must not be negative", field=spec.key)
    else:
        value = str(raw)
        if len(value) > 2000:
            raise InvalidInput("is too long", field=spec.key)
    if spec.choices and value not in spec.choices:
        raise InvalidInput(f"{value!r} is not one of {', '.join(spec.choices)}", field=spec.key)
    if spec.key == "till.approval_discount_percent":
        parse_percent(value, field=spec.key)
    if spec.key == "stripe.reader_id" and value and not _READER_ID.fullmatch(value):
        raise InvalidInput(f"{value[:80]!r} is not a Stripe Terminal reader id (tmr_…)",
                           field=spec.key)
    if spec.key == "stripe.api_base" and value:
        value = check_api_base(value, field=spec.key)
    return value


class Settings:
    """Read and change the TOML settings file; writes are atomic (temp file, then rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: values in the file that were refused (and are replaced by defaults until set again)
        self.problems: list[str] = []
        self._values = self._load()

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            with self.path.open("rb") as fh:
                raw = tomllib.load(fh)
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise InvalidInput(f"{self.path} cannot be read: {exc}", field="settings") from exc
        flat: dict[str, Any] = {}
        for section, table in raw.items():
            if not isinstance(table, dict):
                continue
            for name, value in table.items():
                key = f"{section}.{name}"
                if key in _BY_KEY:
                    # One bad value must not lock every other setting (or its own fix) away.
                    try:
                        flat[key] = coerce(_BY_KEY[key], value)
                    except InvalidInput as exc:
                        self.problems.append(f"{self.path}: {exc}; using the default")
        return flat

    def get(self, key: str) -> Any:
        spec = spec_for(key)
        return self._values.get(key, spec.default)

    def set(self, key: str, raw: Any) -> Any:
        spec = spec_for(key)
        value = coerce(spec, raw)
        self._commit({**self._values, key: value})
        return value

    def update(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Set several settings at once: every value is checked before any is kept, and the
        file is written once, so a form with one bad field changes nothing."""
        values = {key: coerce(spec_for(key), value) for key, value in raw.items()}
        self._commit({**self._values, **values})
        return values

    def items(self) -> list[tuple[SettingSpec, Any]]:
        return [(spec, self._values.get(spec.key, spec.default)) for spec in SPECS]

    def _commit(self, values: dict[str, Any]) -> None:
        """Keep ``values`` only once they are in the file: a file that cannot be written leaves
        the settings in memory as they were (the caller's audit rolls back; nothing disagrees)."""
        self._save(values)
        self._values = values

    def _save(self, values: dict[str, Any]) -> None:
        nested: dict[str, dict[str, Any]] = {}
        for key, value in sorted(values.items()):
            section, name = key.split(".", 1)
            nested.setdefault(section, {})[name] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".settings-", suffix=".toml")
        try:
            with os.fdopen(fd, "wb") as fh:
                tomli_w.dump(nested, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

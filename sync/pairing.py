"""``tillpoint pair``: this till becomes a register of a store on the central server.

Order matters, because a pairing code works once: everything that can be checked here (the
address, the code's form, the data directory, the keyring) is checked *before* the code is
sent. Then the code is exchanged, the server's identity read with the new credential, the key
stored, and the local store created with the server's ids (so both sides name the store and
register alike) in one transaction with the ``sync.*`` settings.

Re-pairing a till already paired with that store (its credential was revoked, or the keyring
lost) keeps all its data and only replaces the credential.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy.orm import Session

from app.config.secrets import SecretStoreUnavailable
from app.domain.errors import InvalidInput, RuleViolation
from app.sales.identity import REGISTER_KEY, STORE_KEY, get_local, this_register
from app.setup import initialise, is_initialised
from db.engine import LocalStore
from db.models import Register
from sync import credentials
from sync.client import SyncClient, normalise_server_url, pair_device
from sync.credentials import Pairing, paired_with, remember_pairing
from sync.errors import SyncError

log = logging.getLogger(__name__)

#: what a pairing code looks like once dashes and spaces are dropped (the server's own check
#: decides the rest: its alphabet leaves out look-alike letters)
_CODE = re.compile(r"[A-Z0-9]{10}")


@dataclass(frozen=True, slots=True)
class Paired:
    server_url: str
    device_id: str
    store_id: str
    register_id: str
    store_code: str
    store_name: str
    register_code: str
    repaired: bool  # an existing till of this store got a new credential; its data stayed
    key_saved: bool  # the key is in the keyring (else only printed, for TILLPOINT_DEVICE_KEY)
    device_key: str | None  # given only when asked for (``--print-key``)


def check_code(code: str) -> str:
    typed = re.sub(r"[\s-]", "", code or "").upper()
    if not _CODE.fullmatch(typed):
        raise InvalidInput("is not a pairing code: 10 letters and digits, like ABCD-EFGH-JK "
                           "(dashes and spaces may be left out)", field="code")
    return typed


@dataclass(frozen=True, slots=True)
class _Here:
    """What the data directory holds before pairing."""

    initialised: bool
    pairing: Pairing | None
    store_id: str | None
    register_id: str | None
    describe: str  # "S01 My Shop, register R01" for messages


def _look(session: Session) -> _Here:
    if not is_initialised(session):
        return _Here(False, None, None, None, "")
    shop, register = this_register(session)
    return _Here(True, paired_with(session), get_local(session, STORE_KEY),
                 get_local(session, REGISTER_KEY),
                 f"{shop.code} {shop.name}, register {register.code}")


def _refuse_foreign_data(here: _Here, server_url: str) -> None:
    if not here.initialised:
        return
    if here.pairing is None:
        raise RuleViolation(f"this data directory holds a local-only shop ({here.describe}) "
                            "that no server knows: pair a new till with a new --data-dir "
                            "instead", field="data_dir")
    if here.pairing.server_url != server_url:
        raise RuleViolation(f"this till ({here.describe}) is paired with "
                            f"{here.pairing.server_url}, not {server_url}: to pair with another "
                            "server use a new --data-dir", field="data_dir")


def _keyring_usable(print_key: bool) -> bool:
    try:
        credentials.check_keyring()
        return True
    except SecretStoreUnavailable as exc:
        if print_key:
            log.warning("no keyring: the device key is printed instead (%s)", exc)
            return False
        raise SecretStoreUnavailable(
            f"{exc} Nothing was sent to the server: the pairing code is still unused. On a "
            f"headless till, pair with --print-key and set {credentials.ENV_VAR} to the key it "
            "prints.") from None


def _check_same_till(here: _Here, me: dict[str, Any]) -> None:
    if not here.initialised:
        return
    if (here.store_id, here.register_id) != (me["store_id"], me["register_id"]):
        raise RuleViolation(
            f"the code paired register {me.get('register_code')} of store {me.get('store_code')}"
            f", but this data directory is {here.describe}: nothing was changed here. Ask for "
            "a code for this till's own register (and revoke the device just created on the "
            f"server, {me['device_id']}), or use a new --data-dir", field="code")


def pair(store: LocalStore, *, server: str, code: str, print_key: bool = False,
         http: requests.Session | None = None) -> Paired:
    """Pair the till of ``store`` with ``server`` using a one-time ``code``."""
    server_url = normalise_server_url(server)
    typed = check_code(code)
    with store.read() as session:
        here = _look(session)
    _refuse_foreign_data(here, server_url)
    keyring_ok = _keyring_usable(print_key)

    exchanged = pair_device(server_url, typed, session=http)
    device_id, key = exchanged["device_id"], exchanged["device_key"]
    try:
        with SyncClient(server_url, device_id=device_id, device_key=key, session=http) as client:
            me = client.whoami()
    except SyncError as exc:
        raise SyncError(f"the server paired device {device_id} but its details could not be "
                        f"read ({exc}); nothing was changed here: ask for a new code and pair "
                        "again") from exc
    _check_same_till(here, me)
    if keyring_ok:
        credentials.save_device_key(device_id, key)
    _adopt(store, here, server_url, me)
    if here.pairing is not None and here.pairing.device_id != device_id and keyring_ok:
        _forget_old_key(here.pairing.device_id)
    return Paired(server_url=server_url, device_id=device_id, store_id=me["store_id"],
                  register_id=me["register_id"], store_code=me.get("store_code") or "",
                  store_name=me.get("store_name") or "",
                  register_code=me.get("register_code") or "", repaired=here.initialised,
                  key_saved=keyring_ok, device_key=key if print_key else None)


def _adopt(store: LocalStore, here: _Here, server_url: str, me: dict[str, Any]) -> None:
    with store.write() as session:
        if not here.initialised:
            initialise(session, store_id=me["store_id"], register_id=me["register_id"],
                       store_code=me.get("store_code") or "S01",
                       store_name=me.get("store_name") or "Store",
                       currency=me.get("currency") or "EUR",
                       prices_include_tax=bool(me.get("prices_include_tax", True)),
                       timezone=me.get("timezone") or "UTC",
                       register_code=me.get("register_code") or "R01",
                       register_name=me.get("register_name") or me.get("register_code") or "")
        _continue_numbering(session, me)
        remember_pairing(session, Pairing(server_url=server_url, device_id=me["device_id"],
                                          store_id=me["store_id"]))


def _continue_numbering(session: Session, me: dict[str, Any]) -> None:
    """A till replacing another on its register goes on from the highest numbers the server
    has seen there: order and refund numbers are never handed out twice."""
    register = session.get(Register, me["register_id"])
    for column, key in (("next_order_seq", "next_order_seq"),
                        ("next_refund_seq", "next_refund_seq")):
        value = me.get(key)
        if register is not None and isinstance(value, int) and not isinstance(value, bool):
            setattr(register, column, max(getattr(register, column), value))


def _forget_old_key(device_id: str) -> None:
    try:
        credentials.forget_device_key(device_id)
    except SecretStoreUnavailable:  # the new key was just stored: the keyring works
        log.warning("could not remove the revoked device key of %s", device_id)

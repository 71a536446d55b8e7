"""Which store and register this installation is (kept with its data, set by ``init``/pairing)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import RuleViolation
from db.models import LocalSetting, Register, Store

STORE_KEY = "store_id"
REGISTER_KEY = "register_id"
# This till's pairing and its push numbering (written by ``sync``; read here too, by backups
# and checks, which must not import ``sync``).
SYNC_SERVER_URL_KEY = "sync.server_url"
SYNC_DEVICE_ID_KEY = "sync.device_id"
SYNC_STORE_ID_KEY = "sync.store_id"
NEXT_DEVICE_SEQ_KEY = "sync.next_device_seq"  # only grows: the server orders a till's changes by it


class NotInitialised(RuleViolation):
    code = "not_initialised"


def set_local(session: Session, key: str, value: str) -> None:
    row = session.get(LocalSetting, key)
    if row is None:
        session.add(LocalSetting(key=key, value=value))
    else:
        row.value = value


def get_local(session: Session, key: str) -> str | None:
    row = session.get(LocalSetting, key)
    return row.value if row else None


def this_register(session: Session) -> tuple[Store, Register]:
    store_id, register_id = get_local(session, STORE_KEY), get_local(session, REGISTER_KEY)
    store = session.get(Store, store_id) if store_id else None
    register = session.get(Register, register_id) if register_id else None
    if store is None or register is None:
        raise NotInitialised("this till has no store yet: run `tillpoint init` (or `init --demo`)")
    return store, register

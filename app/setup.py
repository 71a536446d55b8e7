"""Creating a local store: the shop, this register, and who this installation is."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.money import check_currency
from app.sales.identity import REGISTER_KEY, STORE_KEY, get_local, set_local
from db.models import Register, Store

# The server's grammar for codes (1 to 8 letters or digits), so any store or register it
# created can be paired.
T = TypeVar("T")
_CODE = re.compile(r"^[A-Z0-9]{1,8}$")


def _check_code(code: str, field: str) -> str:
    code = code.strip().upper()
    if not _CODE.match(code):
        raise InvalidInput(f"{code!r} is not a code (1 to 8 letters or digits, like S01)",
                           field=field)
    return code


def _find(session: Session, model: type[T], row_id: str | None, *by_code: Any) -> T | None:
    if row_id is not None:
        return session.get(model, row_id)
    return session.scalar(select(model).where(*by_code))


def _given_id(row_id: str | None) -> dict[str, str]:
    return {"id": row_id} if row_id is not None else {}


def is_initialised(session: Session) -> bool:
    return get_local(session, REGISTER_KEY) is not None


def initialise(session: Session, *, store_code: str = "S01", store_name: str = "My Shop",
               currency: str = "EUR", prices_include_tax: bool = True,
               register_code: str = "R01", register_name: str = "Till 1",
               timezone: str = "UTC", store_id: str | None = None,
               register_id: str | None = None) -> tuple[Store, Register]:
    """Create the store and this register (or adopt existing ones of the same codes). A till
    paired with a server passes the server's ``store_id`` and ``register_id``: the ids are
    the same on both sides."""
    if is_initialised(session):
        raise RuleViolation("this data directory already holds a store", field="data_dir")
    if not store_name.strip():
        raise InvalidInput("is empty", field="store_name")
    store_code = _check_code(store_code, "store_code")
    register_code = _check_code(register_code, "register_code")
    store = _find(session, Store, store_id, Store.code == store_code)
    if store is None:
        store = Store(**_given_id(store_id), code=store_code, name=store_name.strip(),
                      currency=check_currency(currency), prices_include_tax=prices_include_tax,
                      timezone=timezone or "UTC")
        session.add(store)
        session.flush()
    register = _find(session, Register, register_id,
                     Register.store_id == store.id, Register.code == register_code)
    if register is None:
        register = Register(**_given_id(register_id), store_id=store.id, code=register_code,
                            name=register_name or register_code)
        session.add(register)
        session.flush()
    set_local(session, STORE_KEY, store.id)
    set_local(session, REGISTER_KEY, register.id)
    return store, register

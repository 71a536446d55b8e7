"""Creating a local store: the shop, this register, and who this installation is."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.money import check_currency
from app.sales.identity import REGISTER_KEY, STORE_KEY, get_local, set_local
from db.models import Register, Store

_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")


def _check_code(code: str, field: str) -> str:
    code = code.strip().upper()
    if not _CODE.match(code):
        raise InvalidInput(f"{code!r} is not a code (a letter, then up to 7 letters or digits)",
                           field=field)
    return code


def is_initialised(session: Session) -> bool:
    return get_local(session, REGISTER_KEY) is not None


def initialise(session: Session, *, store_code: str = "S01", store_name: str = "My Shop",
               currency: str = "EUR", prices_include_tax: bool = True,
               register_code: str = "R01", register_name: str = "Till 1") -> tuple[Store, Register]:
    """Create the store and this register (or adopt existing ones of the same codes)."""
    if is_initialised(session):
        raise RuleViolation("this data directory already holds a store", field="data_dir")
    if not store_name.strip():
        raise InvalidInput("is empty", field="store_name")
    store_code = _check_code(store_code, "store_code")
    register_code = _check_code(register_code, "register_code")
    store = session.scalar(select(Store).where(Store.code == store_code))
    if store is None:
        store = Store(code=store_code, name=store_name.strip(), currency=check_currency(currency),
                      prices_include_tax=prices_include_tax)
        session.add(store)
        session.flush()
    register = session.scalar(select(Register).where(Register.store_id == store.id,
                                                     Register.code == register_code))
    if register is None:
        register = Register(store_id=store.id, code=register_code, name=register_name)
        session.add(register)
        session.flush()
    set_local(session, STORE_KEY, store.id)
    set_local(session, REGISTER_KEY, register.id)
    return store, register

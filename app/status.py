"""What the window's shell shows about this till: plain values, safe to hand across threads."""

from __future__ import annotations

from dataclasses import dataclass

from app.outbox import pending_count
from app.sales.identity import this_register
from db.engine import LocalStore


@dataclass(frozen=True, slots=True)
class TillStatus:
    store_code: str
    store_name: str
    currency: str
    register_code: str
    register_name: str
    pending: int  # outbox entries not yet acknowledged by the server


def read_till_status(store: LocalStore) -> TillStatus:
    """This till's store, register and outbox size; raises ``NotInitialised`` without a shop."""
    with store.read() as session:
        shop, register = this_register(session)
        return TillStatus(store_code=shop.code, store_name=shop.name, currency=shop.currency,
                          register_code=register.code, register_name=register.name,
                          pending=pending_count(session))

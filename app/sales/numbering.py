"""Human numbers for orders and refunds, gap-free per register.

The counter is a column of the register's row, moved with ``UPDATE … RETURNING`` inside the
sale's own write transaction: if the sale rolls back, so does the counter.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import Register


def order_number(store_code: str, register_code: str, seq: int) -> str:
    return f"{store_code}-{register_code}-{seq:06d}"


def refund_number(store_code: str, register_code: str, seq: int) -> str:
    return f"{store_code}-{register_code}-RF{seq:06d}"


def take_next(session: Session, register: Register, counter: InstrumentedAttribute[int]) -> int:
    """Take the register's next number from ``counter`` (e.g. ``Register.next_order_seq``)."""
    after = session.execute(update(Register).where(Register.id == register.id)
                            .values({counter: counter + 1}).returning(counter)).scalar_one()
    return after - 1

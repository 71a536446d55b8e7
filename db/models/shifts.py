"""Shifts at a register and the cash that moves in and out of the drawer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, utcnow


class Shift(IdMixin, Base):
    __tablename__ = "shifts"

    register_id: Mapped[str] = mapped_column(ForeignKey("registers.id"), index=True)
    opened_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opening_float: Mapped[int]
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    closed_at: Mapped[datetime | None]
    expected_cash: Mapped[int | None]
    counted_cash: Mapped[int | None]


class CashMovement(IdMixin, Base):
    __tablename__ = "cash_movements"

    shift_id: Mapped[str] = mapped_column(ForeignKey("shifts.id"), index=True)
    amount: Mapped[int]  # positive: cash in; negative: cash out
    reason: Mapped[str] = mapped_column(String(200))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

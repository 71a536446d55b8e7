"""Shifts at a register and the cash that moves in and out of the drawer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
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
    # The Z-report as computed when the shift closed (JSON), so a reprint shows the same figures.
    z_report: Mapped[str | None] = mapped_column(Text)


class CashMovement(IdMixin, Base):
    __tablename__ = "cash_movements"

    shift_id: Mapped[str] = mapped_column(ForeignKey("shifts.id"), index=True)
    amount: Mapped[int]  # positive: cash in; negative: cash out
    reason: Mapped[str] = mapped_column(String(200))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class VoidRecord(IdMixin, Base):
    """A line taken off a cart, or a whole cart abandoned, after it was rung up: counted on the
    shift's Z-report, with the manager who approved it."""

    __tablename__ = "voids"

    shift_id: Mapped[str | None] = mapped_column(ForeignKey("shifts.id"), index=True)
    register_id: Mapped[str | None] = mapped_column(ForeignKey("registers.id"))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    scope: Mapped[str] = mapped_column(String(10))  # line | sale
    variant_id: Mapped[str | None] = mapped_column(String(36))
    quantity_milli: Mapped[int] = mapped_column(default=0)
    amount: Mapped[int]  # what the voided line(s) would have cost, minor units, tax included
    reason: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class TillFavourite(Base):
    """A button on the till's grid for an item without a barcode (loose fruit, a coffee)."""

    __tablename__ = "till_favourites"

    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"))
    label: Mapped[str] = mapped_column(String(40), default="")

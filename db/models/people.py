"""Stores, registers (tills), staff and customers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, SyncedMixin, utcnow


class Store(IdMixin, SyncedMixin, Base):
    __tablename__ = "stores"

    code: Mapped[str] = mapped_column(String(8), unique=True)  # "S01", part of order numbers
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    tax_number: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class Register(IdMixin, SyncedMixin, Base):
    __tablename__ = "registers"
    __table_args__ = (
        UniqueConstraint("store_id", "code"),
        CheckConstraint("next_order_seq >= 1", name="order_seq_positive"),
        CheckConstraint("next_refund_seq >= 1", name="refund_seq_positive"),
    )

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    code: Mapped[str] = mapped_column(String(8))  # "R01"
    name: Mapped[str] = mapped_column(String(100))
    # Counters live on the register row and move inside the sale's transaction: a rolled-back
    # sale gives its number back, so numbers are gap-free per register.
    next_order_seq: Mapped[int] = mapped_column(default=1)
    next_refund_seq: Mapped[int] = mapped_column(default=1)
    next_invoice_seq: Mapped[int] = mapped_column(default=1, server_default="1")
    next_credit_note_seq: Mapped[int] = mapped_column(default=1, server_default="1")


class StaffUser(IdMixin, SyncedMixin, Base):
    __tablename__ = "staff_users"

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class Customer(IdMixin, SyncedMixin, Base):
    __tablename__ = "customers"

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(500), default="")
    tax_number: Mapped[str] = mapped_column(String(64), default="", server_default="")
    notes: Mapped[str] = mapped_column(String(2000), default="")
    erased: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditMovement(IdMixin, Base):
    """Store credit and gift-card balance as a ledger: the balance is the sum, never overwritten."""

    __tablename__ = "credit_movements"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[int]  # minor units; positive adds credit, negative spends it
    kind: Mapped[str] = mapped_column(String(20))  # issue, sale, refund, adjustment
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"))
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

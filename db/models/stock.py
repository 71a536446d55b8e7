"""Stock as a ledger of movements; the level table is derived from it in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, utcnow


class StockMovement(IdMixin, Base):
    __tablename__ = "stock_movements"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"))
    quantity_milli: Mapped[int]  # signed: a sale is negative, a receipt positive
    kind: Mapped[str] = mapped_column(String(20))  # sale, return, receipt, adjustment, count, transfer
    reason: Mapped[str] = mapped_column(String(200), default="")
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), index=True)
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # False until the server acknowledged the mutation that carries it: a pulled level is the
    # server's count plus this till's movements it has not counted yet.
    synced: Mapped[bool] = mapped_column(default=False)


Index("ix_stock_movements_variant_store", StockMovement.variant_id, StockMovement.store_id)
Index("ix_stock_movements_unsynced", StockMovement.synced, StockMovement.store_id,
      StockMovement.variant_id)


class StockLevel(Base):
    """Σ movements per (store, variant), kept in step by the service that writes a movement."""

    __tablename__ = "stock_levels"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"), primary_key=True)
    quantity_milli: Mapped[int] = mapped_column(default=0)

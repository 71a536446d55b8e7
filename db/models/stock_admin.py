"""The back office's stock work kept locally: supplier deliveries being received and stock
counts being taken. Neither travels to the server as such: what they post is ordinary
``stock_movements`` (receipts, counts), which do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, utcnow
from db.models.catalog import Variant


class Delivery(IdMixin, Base):
    """A supplier's delivery: what the supplier said they sent (its lines), received in one
    go or in several, closed when done."""

    __tablename__ = "deliveries"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    supplier: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open, closed
    created_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class DeliveryLine(IdMixin, Base):
    __tablename__ = "delivery_lines"
    __table_args__ = (
        UniqueConstraint("delivery_id", "variant_id"),
        CheckConstraint("expected_milli >= 0", name="expected_not_negative"),
        CheckConstraint("received_milli >= 0", name="received_not_negative"),
    )

    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    line_no: Mapped[int]
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"))
    expected_milli: Mapped[int]  # what the delivery note says (0: an item that came unannounced)
    received_milli: Mapped[int] = mapped_column(default=0)  # Σ the receipts posted for it


class StockCount(IdMixin, Base):
    """A count of the whole store or part of it: started (expected levels frozen), counted,
    then posted or cancelled."""

    __tablename__ = "stock_counts"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    scope: Mapped[str] = mapped_column(String(300))  # "All categories", "Drinks › Beer", "5 products"
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open, posted, cancelled
    started_by: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    finished_at: Mapped[datetime | None]


class StockCountLine(Base):
    __tablename__ = "stock_count_lines"
    __table_args__ = (
        CheckConstraint("counted_milli IS NULL OR counted_milli >= 0", name="counted_not_negative"),
    )

    count_id: Mapped[str] = mapped_column(ForeignKey("stock_counts.id"), primary_key=True)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"), primary_key=True)
    expected_milli: Mapped[int]  # the level when the count started
    counted_milli: Mapped[int | None]  # None: not counted yet (left out of the posting)


#: the stock levels list in SKU order finds a page from this index alone (the live variants'
#: SKUs with what tells them live): no lookup of each skipped variant's row
Index("ix_variants_sku_live", Variant.sku, Variant.archived, Variant.product_id)

"""Catalogue: categories, tax classes and rates, products, variants and their barcodes."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, IdMixin, SyncedMixin


class Category(IdMixin, SyncedMixin, Base):
    __tablename__ = "categories"

    parent_id: Mapped[str | None] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class TaxClass(IdMixin, SyncedMixin, Base):
    __tablename__ = "tax_classes"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    rates: Mapped[list["TaxRate"]] = relationship(
        back_populates="tax_class", order_by="TaxRate.position", lazy="selectin")


class TaxRate(IdMixin, Base):
    __tablename__ = "tax_rates"
    __table_args__ = (CheckConstraint("rate_ppm >= 0 AND rate_ppm <= 1000000", name="rate_range"),)

    tax_class_id: Mapped[str] = mapped_column(ForeignKey("tax_classes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    rate_ppm: Mapped[int]  # parts per million: 20 % = 200000
    position: Mapped[int] = mapped_column(default=0)
    tax_class: Mapped[TaxClass] = relationship(back_populates="rates")


class Product(IdMixin, SyncedMixin, Base):
    __tablename__ = "products"

    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(String(5000), default="")
    brand: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[str] = mapped_column(String(1000), default="")  # comma-separated
    category_id: Mapped[str | None] = mapped_column(ForeignKey("categories.id"), index=True)
    tax_class_id: Mapped[str] = mapped_column(ForeignKey("tax_classes.id"))
    sold_by_weight: Mapped[bool] = mapped_column(default=False)
    low_stock_threshold: Mapped[int | None]  # milli-units
    archived: Mapped[bool] = mapped_column(default=False)
    variants: Mapped[list["Variant"]] = relationship(back_populates="product")


class Variant(IdMixin, SyncedMixin, Base):
    """What is actually sold and counted: every product has at least one variant."""

    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
    )

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")  # "M / Blue"; empty for the default
    attributes: Mapped[str] = mapped_column(String(500), default="")  # "size=M;colour=Blue"
    price: Mapped[int]  # minor units, in the store's price convention (inclusive or exclusive)
    cost: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)
    product: Mapped[Product] = relationship(back_populates="variants", lazy="joined")
    barcodes: Mapped[list["Barcode"]] = relationship(back_populates="variant")


class Barcode(Base):
    __tablename__ = "barcodes"

    code: Mapped[str] = mapped_column(String(48), primary_key=True)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"), index=True)
    variant: Mapped[Variant] = relationship(back_populates="barcodes")


Index("ix_products_name", Product.name)

"""The back office's product list reads: one summary row per product (its first SKU, its
price range, how many variants it has, its stock here), kept by triggers on ``variants`` (migration 0009), so
that a million products sort by SKU or price through an index instead of an aggregate; and the
products' images kept locally."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class ProductSummary(Base):
    # No foreign key: the triggers write it while its product is inserted or restored, in
    # whatever order the restore copies tables; every value is recomputed from ``variants``.
    __tablename__ = "product_summaries"

    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sku: Mapped[str | None] = mapped_column(String(64))  # the least SKU of its variants
    price_min: Mapped[int | None]  # over the variants not archived; NULL when all are
    price_max: Mapped[int | None]
    variant_count: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)  # the product's, copied
    stock_milli: Mapped[int] = mapped_column(default=0)  # in this till's store


# the list's orders walk these without reading products: active (or archived) by SKU, by price
# (ties by rowid, which every index holds anyway: narrow entries, so a deep page skips fast)
Index("ix_product_summaries_sku", ProductSummary.archived, ProductSummary.sku)
Index("ix_product_summaries_price", ProductSummary.archived, ProductSummary.price_min)
Index("ix_product_summaries_stock", ProductSummary.archived, ProductSummary.stock_milli)


class ProductTally(Base):
    """How many products are active and archived, kept by triggers on ``products``: the list's
    unfiltered count without counting a million index entries. Named to sort after
    ``products``, so a restore (which empties and refills tables in name order) copies it
    after the products, and the backup's figures are what stays."""

    __tablename__ = "products_tally"

    archived: Mapped[bool] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)

# The list's own indexes on the catalogue (declared here, with the list that needs them):
# active/archived then by name (the list's default view and its count), and the few products
# with a low-stock threshold.
from db.models.catalog import Product  # noqa: E402

Index("ix_products_archived_name", Product.archived, Product.name)  # ties: by rowid
# a category's products (a subtree is a few of these ranges, then sorted: a slice of the
# catalogue, never a walk of all of it)
Index("ix_products_category_list", Product.category_id, Product.archived, Product.name)
Index("ix_products_low_stock", Product.low_stock_threshold,
      sqlite_where=Product.low_stock_threshold.is_not(None))


class ProductImage(Base):
    """A product's picture as the back office keeps it: already checked and downscaled (so it
    fits a push), content-addressed (``id`` is the SHA-256 of ``data``)."""

    __tablename__ = "product_images"

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    position: Mapped[int] = mapped_column(default=0)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

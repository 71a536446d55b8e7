"""What the product page reads besides its list: one product with its variants for the form,
the choices its boxes offer (tax classes, categories as a tree), and the variants whose shelf
labels a selection prints. Plain reads, run on the database worker."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog_edit import pending_updates
from app.domain.errors import InvalidInput, NotFound
from app.domain.money import format_amount
from app.back_office.products.service import currency_of
from sqlalchemy import func

from db.models import Barcode, Category, Product, ProductImage, TaxClass, Variant

MAX_LABEL_PRODUCTS = 500


@dataclass(frozen=True, slots=True)
class VariantLine:
    id: str
    sku: str
    name: str
    attributes: str  # "size=M;colour=Blue"
    price: int
    cost: int
    price_text: str
    cost_text: str
    barcodes: tuple[str, ...]
    archived: bool


@dataclass(frozen=True, slots=True)
class ProductDetail:
    id: str
    name: str
    brand: str
    description: str
    category: str
    tax_class: str
    low_stock_threshold_milli: int | None
    sold_by_weight: bool
    archived: bool
    version: int
    pending_edits: int  # this till's edits the server has not acknowledged yet
    currency: str
    variants: tuple[VariantLine, ...]
    images: int = 0


@dataclass(frozen=True, slots=True)
class Choices:
    tax_classes: tuple[tuple[str, str], ...]  # (id, name)
    categories: tuple[tuple[str, str], ...]  # (id, "Drinks › Tea"), in tree order


def load_product(session: Session, product_id: str) -> ProductDetail:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}", field="product")
    currency = currency_of(session)
    variants = session.scalars(select(Variant).where(Variant.product_id == product_id)
                               .order_by(Variant.archived, Variant.sku)).all()
    codes: dict[str, list[str]] = {}
    for variant_id, code in session.execute(select(Barcode.variant_id, Barcode.code).where(
            Barcode.variant_id.in_([v.id for v in variants])).order_by(Barcode.code)):
        codes.setdefault(variant_id, []).append(code)
    category = session.get(Category, product.category_id) if product.category_id else None
    tax = session.get(TaxClass, product.tax_class_id)
    return ProductDetail(
        product.id, product.name, product.brand, product.description,
        category.name if category else "", tax.name if tax else "",
        product.low_stock_threshold, product.sold_by_weight, product.archived, product.version,
        pending_updates(session, product.id), currency,
        tuple(VariantLine(v.id, v.sku, v.name, v.attributes, v.price, v.cost,
                          format_amount(v.price, currency), format_amount(v.cost, currency),
                          tuple(codes.get(v.id, ())), v.archived) for v in variants),
        session.scalar(select(func.count()).select_from(ProductImage)
                       .where(ProductImage.product_id == product_id)) or 0)


def choices(session: Session) -> Choices:
    taxes = tuple((t.id, t.name) for t in session.scalars(select(TaxClass)
                                                          .order_by(TaxClass.name)))
    rows = session.execute(select(Category.id, Category.parent_id, Category.name)
                           .order_by(Category.position, Category.name)).all()
    children: dict[str | None, list[tuple[str, str]]] = {}
    for cid, parent, name in rows:
        children.setdefault(parent, []).append((cid, name))
    known = {cid for cid, _, _ in rows}
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def walk(parent: str | None, path: str) -> None:
        for cid, name in children.get(parent, []):
            if cid in seen:  # a cycle in synced data must not hang the page
                continue
            seen.add(cid)
            label = f"{path} › {name}" if path else name
            out.append((cid, label))
            walk(cid, label)

    walk(None, "")
    for cid, parent, _ in rows:  # orphans (a parent not synced yet) still show
        if parent not in known and parent is not None and cid not in seen:
            walk(parent, "")
    return Choices(taxes, tuple(out))


def label_variants(session: Session, product_ids: list[str]) -> list[str]:
    """The variants (not archived) of the chosen products whose shelf labels to print, in
    the products' order, then by SKU."""
    if not product_ids:
        raise InvalidInput("choose the products whose labels to print", field="selection")
    if len(product_ids) > MAX_LABEL_PRODUCTS:
        raise InvalidInput(f"at most {MAX_LABEL_PRODUCTS} products at once",
                           field="selection")
    rank = {pid: n for n, pid in enumerate(product_ids)}
    rows = session.execute(select(Variant.id, Variant.product_id, Variant.sku).where(
        Variant.product_id.in_(product_ids), Variant.archived.is_(False))).all()
    return [vid for vid, _, _ in sorted(rows, key=lambda r: (rank[r[1]], r[2]))]

"""Finding what to sell: by barcode (including scale labels with a price or weight inside), SKU
or id, with the tax rates that apply."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.barcodes import check_barcode, parse_embedded
from app.domain.errors import NotFound, RuleViolation
from app.domain.pricing import TaxRate as PricingRate
from db.models import Barcode, TaxClass, Variant


@dataclass(frozen=True, slots=True)
class ScanMatch:
    """What a scanned code means: which variant, and a price or weight the label carried."""

    variant: Variant
    quantity_milli: int | None = None  # from a weight label
    unit_price: int | None = None  # from a price label


def find_code(session: Session, code: str, *, field: str = "item") -> ScanMatch:
    """Resolve a scanned or typed code to a sellable variant, or say clearly it is unknown."""
    text = check_barcode(code, field=field)
    variant = session.scalar(select(Variant).join(Barcode).where(Barcode.code == text))
    match: ScanMatch | None = ScanMatch(variant) if variant else None
    if match is None:
        embedded = parse_embedded(text)
        if embedded is not None:
            found = session.scalar(select(Variant).join(Barcode)
                                   .where(Barcode.code == embedded.lookup_code))
            if found is not None:
                if embedded.weight_milli is not None:
                    match = ScanMatch(found, quantity_milli=embedded.weight_milli)
                else:
                    match = ScanMatch(found, unit_price=embedded.price_minor)
    if match is None:
        by_sku = session.scalar(select(Variant).where(Variant.sku == text))
        match = ScanMatch(by_sku) if by_sku else None
    if match is None:
        raise NotFound(f"unknown code {text}: no product has this barcode or SKU", field=field)
    if match.variant.archived or match.variant.product.archived:
        raise RuleViolation(f"{match.variant.product.name} is archived and cannot be sold", field=field)
    return match


def get_variant(session: Session, variant_id: str, *, field: str = "variant") -> Variant:
    variant = session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(f"no product variant {variant_id}", field=field)
    return variant


def tax_rates_for(session: Session, tax_class_id: str) -> tuple[PricingRate, ...]:
    tax_class = session.get(TaxClass, tax_class_id)
    if tax_class is None:
        raise NotFound(f"no tax class {tax_class_id}", field="tax_class")
    return tuple(PricingRate(r.name, r.rate_ppm) for r in tax_class.rates)


def display_name(variant: Variant) -> str:
    return f"{variant.product.name} {variant.name}".strip() if variant.name else variant.product.name

"""Pricing an online basket (a cart on every read, an order at checkout) with
``app.domain.pricing.price_order``: current catalogue prices and taxes of the online store's
currency, the coupon's terms, and shipping.

Shipping is ``settings.shipping_flat_minor`` unless the merchandise (what the lines cost after
discounts, as the customer pays them) reaches ``settings.free_shipping_from_minor`` (0: never
free); a basket with nothing priceable ships nothing. Shipping carries no tax here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.errors import DomainError
from app.domain.money import MAX_MINOR
from app.domain.pricing import CouponTerms, LineInput, PricedLine, PricedOrder, price_order
from server.catalog.lookup import SellableVariant, sellable_variants
from server.config import ServerSettings

Doc = dict[str, Any]


@dataclass
class BasketLine:
    """One requested line and what the catalogue says of it now."""

    line: Doc  # {line, product_id, variant_id, quantity_milli}
    variant: SellableVariant | None
    problem: str | None  # why it cannot be sold now (None: it is priced)
    priced: PricedLine | None = None


@dataclass
class Basket:
    currency: str
    prices_include_tax: bool
    lines: list[BasketLine]
    priced: PricedOrder
    shipping: int
    coupon: CouponTerms | None
    coupon_problem: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.priced.total + self.shipping


def problem_of(variant: SellableVariant | None, quantity_milli: int) -> str | None:
    if variant is None:
        return "this product is no longer sold"
    if not variant.active:
        return "this product is no longer sold"
    if variant.unit_price is None:
        return "this product has no price at the moment"
    if not variant.sold_by_weight and quantity_milli % 1000:
        return "this product is sold by the piece: the quantity must be whole"
    if variant.unit_price * quantity_milli // 1000 > MAX_MINOR:
        return "this line would cost more than any sale may"
    return None


def shipping_for(settings: ServerSettings, merchandise: int, has_lines: bool) -> int:
    if not has_lines:
        return 0
    free_from = settings.free_shipping_from_minor
    if free_from > 0 and merchandise >= free_from:
        return 0
    return settings.shipping_flat_minor


def _inputs(lines: list[BasketLine]) -> list[LineInput]:
    return [LineInput(variant_id=b.variant.variant_id, sku=b.variant.sku, name=b.variant.name,
                      unit_price=b.variant.unit_price, quantity_milli=b.line["quantity_milli"],
                      taxes=b.variant.tax_rates, allow_fraction=b.variant.sold_by_weight)
            for b in lines]


def variants_of(db: Database, store: Doc, lines: list[Doc],
                session: ClientSession | None = None) -> dict[str, SellableVariant]:
    """What the catalogue says now of the lines' variants, in the store's currency."""
    return sellable_variants(db, [ln["variant_id"] for ln in lines],
                             currency=store["currency"], session=session)


def price_basket(db: Database, settings: ServerSettings, store: Doc, lines: list[Doc], *,
                 coupon: CouponTerms | None, session: ClientSession | None = None,
                 variants: dict[str, SellableVariant] | None = None) -> Basket:
    """Price what can be sold of ``lines``; lines that cannot are kept with their ``problem``
    and left out of the totals. A coupon whose minimum spend is not reached is dropped with
    ``coupon_problem`` in words (the caller decides whether that is an error). ``variants``:
    those of ``variants_of`` read already (checkout reads them before its transaction)."""
    currency, include = store["currency"], bool(store["prices_include_tax"])
    found = variants if variants is not None else variants_of(db, store, lines, session)
    basket_lines = []
    for ln in lines:
        variant = found.get(ln["variant_id"])
        basket_lines.append(BasketLine(ln, variant, problem_of(variant, ln["quantity_milli"])))
    good = [b for b in basket_lines if b.problem is None]
    coupon_problem = None
    try:
        priced = price_order(_inputs(good), prices_include_tax=include, coupon=coupon,
                             currency=currency)
    except DomainError as exc:
        if coupon is None:
            raise
        coupon_problem, coupon = exc.message, None
        priced = price_order(_inputs(good), prices_include_tax=include, currency=currency)
    for b, pl in zip(good, priced.lines):
        b.priced = pl
    shipping = shipping_for(settings, priced.total, bool(good))
    problems = [f"{b.variant.name if b.variant else b.line['product_id']}: {b.problem}"
                for b in basket_lines if b.problem]
    return Basket(currency, include, basket_lines, priced, shipping, coupon, coupon_problem,
                  problems)

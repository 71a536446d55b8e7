"""What other domains (carts, orders, inventory, reports) need to know about what is for sale,
read from the catalogue's stored shapes (see ``server.catalog``): one place that knows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.pricing import TaxRate

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SellableVariant:
    """One variant as a cart or an order line sees it, priced in one currency."""

    product_id: str
    variant_id: str
    sku: str
    name: str  # "T-shirt — M / red": the product's name and the variant's
    unit_price: int | None  # minor units in the asked currency; None: no price in it
    cost: int | None
    tax_rates: tuple[TaxRate, ...]
    sold_by_weight: bool
    category_id: str | None
    brand: str
    active: bool  # neither the product nor the variant is archived

    @property
    def sellable(self) -> bool:
        return self.active and self.unit_price is not None


def display_name(product: Doc, variant: Doc) -> str:
    return f"{product['name']} — {variant['name']}" if variant.get("name") else product["name"]


def _price(product: Doc, variant: Doc, key: str, currency: str) -> int | None:
    own = variant.get(key)
    table = own if own is not None else product.get(key) or {}
    value = table.get(currency)
    return int(value) if value is not None else None


def tax_rates(db: Database, tax_class_ids: Iterable[str | None], *,
              session: ClientSession | None = None) -> dict[str, tuple[TaxRate, ...]]:
    ids = sorted({t for t in tax_class_ids if t})
    if not ids:
        return {}
    found = db.tax_classes.find({"_id": {"$in": ids}}, {"rates": 1}, session=session)
    return {c["_id"]: tuple(TaxRate(r["name"], int(r["rate_ppm"])) for r in c.get("rates", []))
            for c in found}


def sellable(product: Doc, variant: Doc, *, currency: str,
             rates: dict[str, tuple[TaxRate, ...]]) -> SellableVariant:
    return SellableVariant(
        product_id=product["_id"], variant_id=variant["id"], sku=variant["sku"],
        name=display_name(product, variant),
        unit_price=_price(product, variant, "prices", currency),
        cost=_price(product, variant, "cost", currency),
        tax_rates=rates.get(product.get("tax_class_id") or "", ()),
        sold_by_weight=bool(product.get("sold_by_weight")),
        category_id=product.get("category_id"), brand=product.get("brand", ""),
        active=not product.get("archived") and not variant.get("archived"))


def sellable_variants(db: Database, variant_ids: Iterable[str], *, currency: str,
                      session: ClientSession | None = None) -> dict[str, SellableVariant]:
    """The variants among ``variant_ids`` that exist (archived ones included, marked
    ``active=False``), keyed by variant id. Unknown ids are simply absent."""
    wanted = set(variant_ids)
    if not wanted:
        return {}
    products = list(db.products.find({"variants.id": {"$in": sorted(wanted)}}, session=session))
    rates = tax_rates(db, (p.get("tax_class_id") for p in products), session=session)
    found: dict[str, SellableVariant] = {}
    for product in products:
        for variant in product.get("variants", []):
            if variant["id"] in wanted:
                found[variant["id"]] = sellable(product, variant, currency=currency, rates=rates)
    return found


def variant_for_code(db: Database, code: str, *, currency: str,
                     session: ClientSession | None = None) -> SellableVariant | None:
    """The variant whose barcode or SKU is exactly ``code``, or ``None``."""
    entry = db.codes.find_one({"_id": code}, session=session)
    if entry is None:
        return None
    return sellable_variants(db, [entry["variant_id"]], currency=currency,
                             session=session).get(entry["variant_id"])


def default_variant_id(db: Database, product_id: str, *,
                       session: ClientSession | None = None) -> str | None:
    """The first non-archived variant of a product (a cart line may name just the product)."""
    product = db.products.find_one({"_id": product_id}, {"variants": 1, "archived": 1},
                                   session=session)
    if product is None or product.get("archived"):
        return None
    for variant in product.get("variants", []):
        if not variant.get("archived"):
            return variant["id"]
    return None

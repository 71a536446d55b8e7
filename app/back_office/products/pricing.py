"""Bulk price changes over the products a filter shows: by a percentage or an amount, rounded
explicitly, previewed (old → new for the first rows, and how many prices change), then applied
as one ``product.update`` per product (``app.catalog_edit.update_product``) in one transaction.
A change that would make any price negative is refused whole, naming the SKU; so is a text
filter whose look-up stopped at its limit (the list would hold an arbitrary part of it).

Rounding: the new price is rounded half up to a step in minor units (1: to the cent, 5, 10,
50, 100: to the whole unit); the step is named by the user, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.back_office.products.listing import MAX_TEXT_MATCHES, ProductListSource
from app.back_office.products.service import currency_of, money_value
from app.catalog_edit import update_product
from app.domain.decimals import to_decimal
from app.domain.errors import InvalidInput, RuleViolation
from app.domain.money import MAX_MINOR, round_half_up
from app.domain.permissions import Permission
from app.staff import active_staff
from db.models import Product, Variant

MODES = ("percent", "amount")
STEPS = (1, 5, 10, 50, 100)
MAX_PRODUCTS = 5000  # one transaction; a larger selection is narrowed first
PREVIEW_ROWS = 20
MAX_PERCENT = Decimal(1000)


@dataclass(frozen=True, slots=True)
class PriceChange:
    mode: str  # "percent" | "amount"
    value: str | int  # "10" (+10 %), "-2.50" (an amount in the store's currency)
    step: int = 1  # rounding step in minor units


@dataclass(frozen=True, slots=True)
class PreviewLine:
    product: str
    sku: str
    old: int
    new: int


@dataclass(frozen=True, slots=True)
class PricePreview:
    products: int  # products in the selection
    prices: int  # variant prices that change
    lines: tuple[PreviewLine, ...]  # the first ``PREVIEW_ROWS`` changes


def _check(change: PriceChange, currency: str) -> tuple[str, Decimal | int]:
    if change.mode not in MODES:
        raise InvalidInput(f"must be one of {', '.join(MODES)}", field="mode")
    if change.step not in STEPS or isinstance(change.step, bool):
        raise InvalidInput(f"must be one of {', '.join(map(str, STEPS))} minor units",
                           field="rounding")
    if change.mode == "percent":
        percent = to_decimal(change.value, field="value", what="a percentage")
        if not -100 <= percent <= MAX_PERCENT:
            raise InvalidInput("must be from -100 to 1000 percent", field="value")
        return "percent", percent
    return "amount", money_value(change.value, currency, "value", allow_negative=True)


def new_price(old: int, change: PriceChange, amount: Decimal | int) -> int:
    raw = Decimal(old) * (100 + Decimal(amount)) / 100 if change.mode == "percent" \
        else Decimal(old + int(amount))
    return round_half_up(raw / change.step) * change.step


def _selection(session: Session, source: ProductListSource) -> list[str]:
    capped = source.capped_lookups(session)
    if capped:
        # the list then holds an arbitrary part of what the text finds: never changed in bulk
        raise RuleViolation(f"the search finds more than {MAX_TEXT_MATCHES} items by "
                            f"{' and '.join(capped)}, so the list shows only some of them: "
                            "narrow the search before changing prices in bulk",
                            field="selection")
    ids = source.ids(session, MAX_PRODUCTS + 1)
    if len(ids) > MAX_PRODUCTS:
        raise RuleViolation(f"the filter shows more than {MAX_PRODUCTS} products: narrow it "
                            "before changing prices in bulk", field="selection")
    if not ids:
        raise InvalidInput("the filter shows no products", field="selection")
    return ids


def _changes(session: Session, ids: list[str], change: PriceChange
             ) -> list[tuple[Product, list[tuple[Variant, int]]]]:
    _, amount = _check(change, currency_of(session))
    out = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(chunk)))}
        variants: dict[str, list[Variant]] = {}
        for v in session.scalars(select(Variant).where(Variant.product_id.in_(chunk),
                                                       Variant.archived.is_(False))
                                 .order_by(Variant.sku)):
            variants.setdefault(v.product_id, []).append(v)
        for pid in chunk:
            moved = []
            for v in variants.get(pid, []):
                price = new_price(v.price, change, amount)
                if price < 0:
                    raise RuleViolation(f"{v.sku} would cost {price} minor units: a price "
                                        "cannot be negative", field="value")
                if price > MAX_MINOR:
                    raise RuleViolation(f"{v.sku} would cost more than the largest amount",
                                        field="value")
                if price != v.price:
                    moved.append((v, price))
            if moved and pid in products:
                out.append((products[pid], moved))
    return out


def preview_price_change(session: Session, source: ProductListSource, change: PriceChange
                         ) -> PricePreview:
    """What ``apply_price_change`` would do, without writing anything."""
    ids = _selection(session, source)
    changes = _changes(session, ids, change)
    lines = [PreviewLine(p.name, v.sku, v.price, price) for p, moved in changes
             for v, price in moved][:PREVIEW_ROWS]
    return PricePreview(len(ids), sum(len(m) for _, m in changes), tuple(lines))


def apply_price_change(session: Session, *, staff_id: str, source: ProductListSource,
                       change: PriceChange) -> int:
    """Change the prices; returns how many products changed (one ``product.update`` each)."""
    active_staff(session, staff_id, Permission.CATALOG_WRITE)
    changes = _changes(session, _selection(session, source), change)
    for product, moved in changes:
        update_product(session, staff_id=staff_id, product_id=product.id, changes={},
                       variant_changes=[{"id": v.id, "price": price} for v, price in moved])
    return len(changes)

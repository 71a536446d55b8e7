"""The cart being rung up: plain data (so it can be parked, resumed on another till and tested
without a database) plus the one function that prices it against the catalogue."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from app.catalog import display_name, get_variant, tax_rates_for
from app.domain.errors import InvalidInput, RuleViolation
from app.domain.pricing import (CouponTerms, Discount, DiscountKind, LineInput, PricedOrder,
                                price_order)
from app.domain.quantity import check_quantity_milli
from db.models import Store, Variant


@dataclass(frozen=True, slots=True)
class CartLine:
    variant_id: str
    quantity_milli: int
    discount: Discount | None = None
    #: a price other than the catalogue's: from a scale's price label, or a manager's override
    unit_price: int | None = None
    price_source: str = "catalogue"  # catalogue | label | override
    approved_by: str | None = None  # the manager who approved an override or a large discount


@dataclass(slots=True)
class Cart:
    lines: list[CartLine] = field(default_factory=list)
    order_discount: Discount | None = None
    coupon_code: str | None = None
    customer_id: str | None = None
    #: the manager who approved the order discount (a large one, or one stacked on line
    #: discounts past the limit); named in the sale's audit entry
    order_discount_by: str | None = None

    def add(self, variant_id: str, quantity_milli: int, *, unit_price: int | None = None,
            price_source: str = "catalogue") -> int:
        """Add an item; a repeat of a plain line (same item, catalogue price) adds to its
        quantity. Returns the index of the line that changed."""
        check_quantity_milli(quantity_milli, allow_fraction=True)
        if unit_price is None:
            for index, line in enumerate(self.lines):
                if (line.variant_id == variant_id and line.unit_price is None
                        and line.discount is None):
                    self.lines[index] = replace(
                        line, quantity_milli=check_quantity_milli(line.quantity_milli + quantity_milli))
                    return index
        self.lines.append(CartLine(variant_id, quantity_milli, unit_price=unit_price,
                                   price_source=price_source))
        return len(self.lines) - 1

    def set_quantity(self, index: int, quantity_milli: int) -> None:
        self.lines[self._check(index)] = replace(
            self.lines[index], quantity_milli=check_quantity_milli(quantity_milli))

    def remove(self, index: int) -> CartLine:
        return self.lines.pop(self._check(index))

    def set_line_discount(self, index: int, discount: Discount | None,
                          approved_by: str | None = None) -> None:
        self.lines[self._check(index)] = replace(self.lines[index], discount=discount,
                                                 approved_by=approved_by or self.lines[index].approved_by)

    def _check(self, index: int) -> int:
        if not 0 <= index < len(self.lines):
            raise InvalidInput(f"there is no line {index + 1}", field="line")
        return index

    @property
    def is_empty(self) -> bool:
        return not self.lines

    # -- parking -------------------------------------------------------------------------
    def to_json(self) -> str:
        def disc(d: Discount | None) -> dict[str, Any] | None:
            return None if d is None else {"kind": d.kind.value, "value": d.value}

        data = {
            "lines": [{"variant_id": l.variant_id, "quantity_milli": l.quantity_milli,
                       "discount": disc(l.discount), "unit_price": l.unit_price,
                       "price_source": l.price_source, "approved_by": l.approved_by}
                      for l in self.lines],
            "order_discount": disc(self.order_discount),
            "coupon_code": self.coupon_code,
            "customer_id": self.customer_id,
        }
        if self.order_discount_by:  # only when there is one: older readers know no such key
            data["order_discount_by"] = self.order_discount_by
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Cart":
        def disc(d: dict[str, Any] | None) -> Discount | None:
            return None if d is None else Discount(DiscountKind(d["kind"]), int(d["value"]))

        data = json.loads(text)
        return cls(
            lines=[CartLine(l["variant_id"], int(l["quantity_milli"]), disc(l["discount"]),
                            l["unit_price"], l["price_source"], l["approved_by"])
                   for l in data["lines"]],
            order_discount=disc(data["order_discount"]),
            coupon_code=data["coupon_code"],
            customer_id=data["customer_id"],
            order_discount_by=data.get("order_discount_by"),
        )


@dataclass(frozen=True, slots=True)
class PricedCart:
    priced: PricedOrder
    variants: tuple[Variant, ...]
    names: tuple[str, ...]


def price_cart(session: Session, cart: Cart, store: Store, *,
               coupon: CouponTerms | None = None) -> PricedCart:
    """Price ``cart`` with the catalogue's current prices and taxes (coupon already checked)."""
    if cart.is_empty:
        raise RuleViolation("the cart is empty", field="items")
    inputs: list[LineInput] = []
    variants: list[Variant] = []
    rates_cache: dict[str, tuple] = {}
    for index, line in enumerate(cart.lines):
        variant = get_variant(session, line.variant_id, field=f"lines[{index}]")
        if variant.archived or variant.product.archived:
            raise RuleViolation(f"{display_name(variant)} is archived and cannot be sold",
                                field=f"lines[{index}]")
        tax_class_id = variant.product.tax_class_id
        if tax_class_id not in rates_cache:
            rates_cache[tax_class_id] = tax_rates_for(session, tax_class_id)
        inputs.append(LineInput(
            variant_id=variant.id, sku=variant.sku, name=display_name(variant),
            unit_price=variant.price if line.unit_price is None else line.unit_price,
            quantity_milli=line.quantity_milli, taxes=rates_cache[tax_class_id],
            discount=line.discount, allow_fraction=variant.product.sold_by_weight))
        variants.append(variant)
    priced = price_order(inputs, prices_include_tax=store.prices_include_tax,
                         order_discount=cart.order_discount, coupon=coupon,
                         currency=store.currency)
    return PricedCart(priced, tuple(variants), tuple(i.name for i in inputs))

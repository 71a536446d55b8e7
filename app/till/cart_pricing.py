"""Pricing the cart on every keystroke without going back to the database.

The window re-prices after every scan, so a scan must cost one indexed barcode look-up plus
arithmetic. What pricing needs of each item (price, tax rates, name, sold by weight) is read
once, when the item first enters the cart, and kept in :class:`ItemInfo`; the cart is then
priced in Python with :func:`app.domain.pricing.price_order`. The database prices again,
authoritatively, when payment begins and inside checkout.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from sqlalchemy.orm import Session

from app.catalog import display_name, tax_rates_for
from app.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from app.domain.money import format_amount, parse_amount, round_half_up
from app.domain.pricing import (CouponTerms, Discount, DiscountKind, LineInput, PricedOrder,
                                TaxRate, price_order)
from app.domain.quantity import MILLI
from app.domain.rates import PPM, parse_percent
from app.sales.cart import Cart
from db.models import Variant


@dataclass(frozen=True, slots=True)
class ItemInfo:
    variant_id: str
    sku: str
    name: str
    price: int
    taxes: tuple[TaxRate, ...]
    sold_by_weight: bool


@dataclass(frozen=True, slots=True)
class LivePrice:
    order: PricedOrder | None  # None for an empty cart
    coupon_applies: bool
    notice: str | None = None


def item_info(session: Session, variant: Variant,
              tax_cache: dict[str, tuple[TaxRate, ...]]) -> ItemInfo:
    tax_class_id = variant.product.tax_class_id
    if tax_class_id not in tax_cache:
        tax_cache[tax_class_id] = tax_rates_for(session, tax_class_id)
    return ItemInfo(variant.id, variant.sku, display_name(variant), variant.price,
                    tax_cache[tax_class_id], variant.product.sold_by_weight)


def copy_cart(cart: Cart) -> Cart:
    """A cart to try a change on: the real one changes only once everything succeeded."""
    return Cart(lines=list(cart.lines), order_discount=cart.order_discount,
                coupon_code=cart.coupon_code, customer_id=cart.customer_id,
                order_discount_by=cart.order_discount_by)


def line_inputs(cart: Cart, items: dict[str, ItemInfo]) -> list[LineInput]:
    inputs = []
    for line in cart.lines:
        info = items[line.variant_id]
        inputs.append(LineInput(
            variant_id=info.variant_id, sku=info.sku, name=info.name,
            unit_price=info.price if line.unit_price is None else line.unit_price,
            quantity_milli=line.quantity_milli, taxes=info.taxes, discount=line.discount,
            allow_fraction=info.sold_by_weight))
    return inputs


def manual_discount_share(cart: Cart, items: dict[str, ItemInfo]) -> Fraction:
    """The share of the cart's gross that its line and order discounts take together, exact:
    a percentage counts as typed (10 % of 6.36 is 10 %, not the 0.64 it rounds to), so 10 % on
    a line plus 10 % on the order is 19 %, and 10 % on every line is 10 %. Coupons are not
    counted: their terms were set by the shop, not at the till."""
    grosses = [round_half_up(Decimal(i.unit_price) * i.quantity_milli / MILLI)
               for i in line_inputs(cart, items)]
    whole = sum(grosses)
    if whole <= 0:
        return Fraction(0)
    on_lines = sum((_exact(line.discount, gross) for line, gross in zip(cart.lines, grosses)),
                   Fraction(0))
    on_order = _exact(cart.order_discount, whole - on_lines)
    return (on_lines + on_order) / whole


def _exact(discount: Discount | None, base: Fraction | int) -> Fraction:
    if discount is None:
        return Fraction(0)
    if discount.kind is DiscountKind.PERCENT:
        return Fraction(base) * discount.value / PPM
    return Fraction(min(discount.value, base))


def price_live(cart: Cart, items: dict[str, ItemInfo], *, prices_include_tax: bool,
               currency: str, coupon: CouponTerms | None, strict: bool = False) -> LivePrice:
    """Price ``cart`` from the cached items. A coupon the cart no longer qualifies for (a line
    was removed below its minimum spend) is left out with a notice — or refused when
    ``strict`` (the moment the coupon is applied)."""
    if cart.is_empty and not strict:
        return LivePrice(None, coupon is not None)
    inputs = line_inputs(cart, items)
    if coupon is not None:
        try:
            return LivePrice(price_order(inputs, prices_include_tax=prices_include_tax,
                                         order_discount=cart.order_discount, coupon=coupon,
                                         currency=currency), True)
        except DomainError as exc:
            if exc.field != "coupon":
                raise
            why = _coupon_problem(exc, coupon, currency)
            if strict:
                raise RuleViolation(why, field="coupon") from None
            notice = f"{why}: not applied"
    else:
        notice = None
    order = price_order(inputs, prices_include_tax=prices_include_tax,
                        order_discount=cart.order_discount, currency=currency)
    return LivePrice(order if inputs else None, False, notice)


def fit_cart(cart: Cart, items: dict[str, ItemInfo], *, prices_include_tax: bool,
             currency: str, coupon: CouponTerms | None) -> tuple[Cart, LivePrice, list[str]]:
    """Price a cart that comes back (resumed, or held while the cashier was away) against
    today's catalogue, leaving out what no longer fits instead of refusing the whole cart: a
    line discount larger than a lowered price, an order discount larger than the cart, a line
    whose quantity its item no longer allows. Returns the cart kept, its price and what was
    left out, in words."""
    notes: list[str] = []
    for _ in range(2 * len(cart.lines) + 2):  # each round leaves something out
        try:
            return cart, price_live(cart, items, prices_include_tax=prices_include_tax,
                                    currency=currency, coupon=coupon), notes
        except DomainError as exc:
            where = exc.field or ""
            index = _line_index(where, len(cart.lines))
            if index is not None:
                line = cart.lines[index]
                name = items[line.variant_id].name
                if where.endswith(".discount") and line.discount is not None:
                    cart.lines[index] = replace(line, discount=None)
                    notes.append(f"the discount on {name} is more than its price now: left out")
                else:
                    del cart.lines[index]
                    notes.append(f"{name} cannot be sold as it was rung up ({exc.message}): "
                                 "left out")
            elif where == "order_discount" and cart.order_discount is not None:
                cart.order_discount = None
                cart.order_discount_by = None
                notes.append("the order discount is more than the cart now: left out")
            else:
                raise
    raise RuleViolation("this cart cannot be priced", field="parked")


def _line_index(where: str, count: int) -> int | None:
    if not where.startswith("lines["):
        return None
    digits = where[len("lines["):].split("]", 1)[0]
    index = int(digits) if digits.isdigit() else -1
    return index if 0 <= index < count else None


def _coupon_problem(exc: DomainError, coupon: CouponTerms, currency: str) -> str:
    if isinstance(exc, InvalidInput):  # an amount larger than what is left to discount
        return (f"coupon {coupon.code} is worth {format_amount(coupon.discount.value, currency)},"
                " more than the cart")
    return exc.message


def parse_discount(text: object, currency: str, *, field: str = "discount") -> Discount | None:
    """ "10%" (a percentage) or "1.50" (an amount); "" or "0" clears the discount."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidInput(f"{text!r} is not a discount", field=field)
    raw = text.strip()
    if raw in ("", "0", "0%"):
        return None
    if raw.endswith("%"):
        ppm = parse_percent(raw, field=field)
        return Discount.percent(ppm, field=field) if ppm else None
    amount = parse_amount(raw, currency, field=field)
    return Discount.amount(amount, field=field) if amount else None


def refield(exc: DomainError, field: str) -> DomainError:
    """The same refusal, named for the widget the cashier used (pricing names its own
    internal fields, such as ``lines[2].discount``)."""
    if type(exc) in (InvalidInput, NotFound, RuleViolation):
        return type(exc)(exc.message, field=field)
    return exc

"""Pricing a basket: line and order discounts, coupons and taxes, in exact minor units.

The order of operations is fixed and documented, so a receipt can be recomputed by hand:

1. ``gross`` = unit price × quantity, rounded half-up once per line.
2. A line discount (percent of gross, or an amount no larger than gross).
3. An order discount, then a coupon, each computed on what is left and spread over the lines
   in proportion to it (largest remainder), so each line knows its own share.
4. Tax per line on what the line finally costs. With tax-inclusive prices the line's amount
   contains the tax (``base = amount / (1 + Σrates)``, rounded once, the tax split over the rates);
   with exclusive prices each rate is applied to the amount and rounded per rate.

Every total is the sum of rounded line figures, so totals always equal the sum of their parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.money import MAX_MINOR, allocate, check_minor, format_amount, round_half_up
from app.domain.quantity import MILLI, check_quantity_milli
from app.domain.rates import PPM, check_ppm


class DiscountKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


@dataclass(frozen=True, slots=True)
class Discount:
    """A percent (``value`` in ppm) or a fixed amount (``value`` in minor units)."""

    kind: DiscountKind
    value: int

    @classmethod
    def percent(cls, ppm: int, *, field: str = "discount") -> "Discount":
        return cls(DiscountKind.PERCENT, check_ppm(ppm, field=field))

    @classmethod
    def amount(cls, minor: int, *, field: str = "discount") -> "Discount":
        return cls(DiscountKind.AMOUNT, check_minor(minor, field=field))

    def on(self, base: int, *, field: str) -> int:
        """The discount in minor units on ``base``; an amount larger than ``base`` is refused."""
        if self.kind is DiscountKind.PERCENT:
            return round_half_up(Decimal(base) * self.value / PPM)
        if self.value > base:
            raise InvalidInput(f"a discount of {self.value} is more than the price of {base} "
                               "(minor units)", field=field)
        return self.value


@dataclass(frozen=True, slots=True)
class TaxRate:
    name: str
    rate_ppm: int


@dataclass(frozen=True, slots=True)
class LineInput:
    """One basket line as the pricing engine sees it."""

    variant_id: str
    sku: str
    name: str
    unit_price: int
    quantity_milli: int
    taxes: tuple[TaxRate, ...] = ()
    discount: Discount | None = None
    allow_fraction: bool = False


@dataclass(frozen=True, slots=True)
class CouponTerms:
    """What pricing needs to know of a coupon that was already checked for validity."""

    code: str
    discount: Discount
    min_spend: int = 0


@dataclass(frozen=True, slots=True)
class TaxPart:
    name: str
    rate_ppm: int
    taxable: int
    tax: int


@dataclass(frozen=True, slots=True)
class PricedLine:
    source: LineInput
    gross: int
    line_discount: int
    order_discount: int
    coupon_discount: int
    taxes: tuple[TaxPart, ...]
    tax: int
    total: int  # what the customer pays for this line, tax included

    @property
    def discount(self) -> int:
        return self.line_discount + self.order_discount + self.coupon_discount

    @property
    def net(self) -> int:
        """The line after all discounts, in the store's price convention."""
        return self.gross - self.discount


@dataclass(frozen=True, slots=True)
class PricedOrder:
    lines: tuple[PricedLine, ...]
    prices_include_tax: bool
    coupon_code: str | None
    subtotal: int
    line_discount_total: int
    order_discount_total: int
    coupon_discount_total: int
    tax_total: int
    total: int
    taxes_by_rate: tuple[TaxPart, ...] = field(default=())

    @property
    def discount_total(self) -> int:
        return self.line_discount_total + self.order_discount_total + self.coupon_discount_total


def _taxes_for(amount: int, rates: tuple[TaxRate, ...], include: bool) -> tuple[TaxPart, ...]:
    if not rates:
        return ()
    total_ppm = sum(r.rate_ppm for r in rates)
    if include:
        base = round_half_up(Decimal(amount) * PPM / (PPM + total_ppm))
        split = allocate(amount - base, [r.rate_ppm for r in rates])
        return tuple(TaxPart(r.name, r.rate_ppm, base, t) for r, t in zip(rates, split))
    return tuple(
        TaxPart(r.name, r.rate_ppm, amount, round_half_up(Decimal(amount) * r.rate_ppm / PPM))
        for r in rates
    )


def price_order(lines: list[LineInput] | tuple[LineInput, ...], *, prices_include_tax: bool,
                order_discount: Discount | None = None,
                coupon: CouponTerms | None = None, currency: str = "EUR") -> PricedOrder:
    """Price a basket; see the module docstring for the order of operations."""
    grosses: list[int] = []
    line_discounts: list[int] = []
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        check_minor(line.unit_price, field=f"{where}.unit_price")
        check_quantity_milli(line.quantity_milli, field=f"{where}.quantity",
                             allow_fraction=line.allow_fraction)
        for rate in line.taxes:
            check_ppm(rate.rate_ppm, field=f"{where}.tax_rate")
        gross = round_half_up(Decimal(line.unit_price) * line.quantity_milli / MILLI)
        if gross > MAX_MINOR:
            raise InvalidInput("line total is absurdly large", field=f"{where}.quantity")
        grosses.append(gross)
        line_discounts.append(line.discount.on(gross, field=f"{where}.discount") if line.discount else 0)

    after_line = [g - d for g, d in zip(grosses, line_discounts)]
    merchandise = sum(after_line)

    order_total_discount = order_discount.on(merchandise, field="order_discount") if order_discount else 0
    order_shares = allocate(order_total_discount, after_line) if lines else []
    after_order = [a - s for a, s in zip(after_line, order_shares)]

    coupon_shares = [0] * len(lines)
    if coupon is not None:
        if merchandise < coupon.min_spend:
            raise RuleViolation(
                f"coupon {coupon.code} needs a minimum spend of "
                f"{format_amount(coupon.min_spend, currency)} {currency}", field="coupon")
        coupon_total = coupon.discount.on(sum(after_order), field="coupon")
        coupon_shares = allocate(coupon_total, after_order)

    priced: list[PricedLine] = []
    for line, gross, ld, od, cd in zip(lines, grosses, line_discounts, order_shares, coupon_shares):
        net = gross - ld - od - cd
        taxes = _taxes_for(net, line.taxes, prices_include_tax)
        tax = sum(t.tax for t in taxes)
        total = net if prices_include_tax else net + tax
        priced.append(PricedLine(line, gross, ld, od, cd, taxes, tax, total))

    by_rate: dict[tuple[str, int], list[int]] = {}
    for pl in priced:
        for part in pl.taxes:
            acc = by_rate.setdefault((part.name, part.rate_ppm), [0, 0])
            acc[0] += part.taxable
            acc[1] += part.tax

    return PricedOrder(
        lines=tuple(priced),
        prices_include_tax=prices_include_tax,
        coupon_code=coupon.code if coupon else None,
        subtotal=sum(grosses),
        line_discount_total=sum(line_discounts),
        order_discount_total=sum(order_shares),
        coupon_discount_total=sum(coupon_shares),
        tax_total=sum(pl.tax for pl in priced),
        total=sum(pl.total for pl in priced),
        taxes_by_rate=tuple(TaxPart(n, r, v[0], v[1]) for (n, r), v in sorted(by_rate.items())),
    )

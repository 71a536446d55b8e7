"""Turning priced carts, orders, shifts and people into the views of :mod:`app.till.views`.

Every figure the window shows is formatted here, once, so no widget ever rounds or formats
money. Amounts are plain decimals in the store's currency ("12.34"); the currency code travels
beside them in the view.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.money import exponent, format_amount
from app.domain.pricing import Discount, DiscountKind, PricedOrder
from app.domain.quantity import MILLI, format_quantity
from app.domain.rates import format_percent
from app.sales.cart import Cart
from app.till.views import (CardTakenView, CartLineView, CartView, CustomerRef,
                            ReturnLineView, ReturnSaleView, ShiftView, StaffCard, TaxLineView,
                            TenderView)
from db.models import Customer, Order, Shift, StaffUser

METHOD_LABELS = {"cash": "Cash", "card": "Card", "credit": "Store credit"}
#: The notes (in major units) a customer is likely to hand over: quick-cash buttons.
NOTES = (5, 10, 20, 50, 100)
QUICK_CASH_BUTTONS = 4


def money(minor: int, currency: str) -> str:
    return format_amount(minor, currency)


def quantity_text(milli: int, sold_by_weight: bool) -> str:
    text = format_quantity(milli)
    return f"{text} kg" if sold_by_weight else text


def count_text(count: int, noun: str = "item") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def items_in(cart: Cart, weighed: Sequence[bool]) -> int:
    """Pieces count one each; a weighed line counts as one item whatever it weighs."""
    return sum(1 if by_weight else line.quantity_milli // MILLI
               for line, by_weight in zip(cart.lines, weighed))


def discount_text(discount: Discount | None, currency: str) -> str:
    if discount is None:
        return ""
    if discount.kind is DiscountKind.PERCENT:
        return f"{format_percent(discount.value)} %"
    return money(discount.value, currency)


def staff_card(staff: StaffUser) -> StaffCard:
    return StaffCard(staff.id, staff.name, staff.role)


def customer_ref(customer: Customer, balance: int, currency: str) -> CustomerRef:
    return CustomerRef(customer.id, customer.name, customer.email, customer.phone, balance,
                       money(balance, currency))


def shift_view(shift: Shift, register_code: str, opened_by: str, currency: str) -> ShiftView:
    return ShiftView(shift.id, register_code, shift.opened_at, opened_by, shift.opening_float,
                     money(shift.opening_float, currency))


def tender_label(method: str, brand: str | None = None, last4: str | None = None) -> str:
    label = METHOD_LABELS.get(method, method.title())
    if method == "card":
        if brand:
            label += f" {brand.upper()}"
        if last4:
            label += f" •••• {last4}"
    return label


def tender_view(index: int, method: str, amount: int, tendered: int, currency: str, *,
                brand: str | None = None, last4: str | None = None,
                removable: bool = True, removable_by_manager: bool = False) -> TenderView:
    return TenderView(index, method, tender_label(method, brand, last4), amount,
                      money(amount, currency), money(tendered, currency), removable,
                      removable_by_manager)


def card_taken_view(attempt) -> CardTakenView:  # noqa: ANN001 - an app.payments AttemptView
    label = tender_label("card", attempt.card_brand, attempt.card_last4)
    when = (f" taken {attempt.created_at.strftime('%Y-%m-%d %H:%M')} UTC"
            if attempt.created_at is not None else "")
    return CardTakenView(attempt.attempt_id, attempt.sale_id, attempt.amount, attempt.amount_text,
                         label, attempt.created_at,
                         f"{label} {attempt.amount_text}{when}: no sale was recorded")


def cards_taken_notice(cards: Sequence[CardTakenView]) -> str | None:
    """One line for the window: card money owed back because no sale recorded it."""
    if not cards:
        return None
    listed = "; ".join(card.text for card in cards)
    owed = "it" if len(cards) == 1 else "them"
    return (f"Card money taken without a sale ({listed}): refund {owed} to the customer "
            "(a manager approves)")


def quick_cash(due: int, currency: str) -> tuple[tuple[int, str], ...]:
    """The exact amount first, then the next round notes above it."""
    if due <= 0:
        return ()
    unit = 10 ** exponent(currency)
    amounts = [due]
    for note in NOTES:
        step = note * unit
        rounded = -(-due // step) * step  # the smallest multiple of the note that covers due
        if rounded not in amounts:
            amounts.append(rounded)
        if len(amounts) > QUICK_CASH_BUTTONS:
            break
    return tuple((amount, money(amount, currency)) for amount in amounts)


def empty_cart_view(cart: Cart, currency: str, *, customer: CustomerRef | None = None,
                    notice: str | None = None) -> CartView:
    zero = money(0, currency)
    return CartView(lines=(), currency=currency, subtotal=0, subtotal_text=zero,
                    discount_total=0, discount_text=zero, tax_total=0, tax_text=zero, total=0,
                    total_text=zero, coupon_code=cart.coupon_code,
                    order_discount_text=discount_text(cart.order_discount, currency),
                    customer=customer, notice=notice)


def cart_view(priced: PricedOrder | None, cart: Cart, currency: str, *,
              customer: CustomerRef | None = None, changed_index: int | None = None,
              notice: str | None = None) -> CartView:
    if priced is None or not cart.lines:
        return empty_cart_view(cart, currency, customer=customer, notice=notice)
    lines = tuple(
        CartLineView(
            index=index, variant_id=pl.source.variant_id, sku=pl.source.sku,
            name=pl.source.name, quantity_milli=pl.source.quantity_milli,
            quantity_text=quantity_text(pl.source.quantity_milli,
                                        pl.source.allow_fraction and line.price_source != "label"),
            unit_price=pl.source.unit_price, unit_price_text=money(pl.source.unit_price, currency),
            discount=pl.discount, discount_text=money(pl.discount, currency) if pl.discount else "",
            total=pl.total, total_text=money(pl.total, currency), price_source=line.price_source,
            sold_by_weight=pl.source.allow_fraction)
        for index, (pl, line) in enumerate(zip(priced.lines, cart.lines)))
    taxes = tuple(TaxLineView(part.name, f"{format_percent(part.rate_ppm)} %", part.tax,
                              money(part.tax, currency)) for part in priced.taxes_by_rate)
    items = items_in(cart, [pl.source.allow_fraction and line.price_source != "label"
                            for pl, line in zip(priced.lines, cart.lines)])
    return CartView(
        lines=lines, currency=currency, subtotal=priced.subtotal,
        subtotal_text=money(priced.subtotal, currency), discount_total=priced.discount_total,
        discount_text=money(priced.discount_total, currency), tax_total=priced.tax_total,
        tax_text=money(priced.tax_total, currency), total=priced.total,
        total_text=money(priced.total, currency), taxes=taxes,
        coupon_code=priced.coupon_code or cart.coupon_code,
        order_discount_text=discount_text(cart.order_discount, currency), customer=customer,
        changed_index=changed_index, notice=notice, item_count_text=count_text(items))


def payment_texts(order: Order) -> tuple[str, ...]:
    """ "Cash 10.00", "Card VISA •••• 4242 5.00": how the sale was paid."""
    return tuple(f"{tender_label(p.method, p.card_brand, p.card_last4)} "
                 f"{money(p.amount, order.currency)}" for p in order.payments)


def return_sale_view(order: Order, *, customer: CustomerRef | None, scanned: bool,
                     sold_by_weight: dict[str, bool]) -> ReturnSaleView:
    lines = []
    for line in order.lines:
        weighed = sold_by_weight.get(line.variant_id, False)
        left = line.quantity_milli - line.refunded_quantity_milli
        # what one unit gives back after its discounts (a weighed line: one kilogram)
        unit_total = line.total * MILLI // line.quantity_milli if line.quantity_milli else 0
        lines.append(ReturnLineView(
            line_no=line.line_no, name=line.name, sku=line.sku,
            sold_text=quantity_text(line.quantity_milli, weighed), returnable_milli=left,
            returnable_text=quantity_text(left, weighed),
            unit_total_text=money(unit_total, order.currency), sold_by_weight=weighed))
    return ReturnSaleView(order_id=order.id, number=order.number, created_at=order.created_at,
                          total_text=money(order.total, order.currency),
                          tenders=payment_texts(order), lines=tuple(lines), customer=customer,
                          scanned=scanned)

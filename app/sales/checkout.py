"""Checkout: one sale, one transaction.

The caller opens the write transaction (``with store.write() as session``) and passes the
session; :func:`checkout` writes the order, its lines and taxes, payments, coupon redemption,
store-credit spend, stock movements, the outbox entry and the audit entry, and takes the next
gap-free number of the register. Nothing is committed here, so either all of it lands or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, inventory, outbox
from app.domain.permissions import Permission
from app.staff import active_staff
from app.domain.coupons import CouponRules, check_coupon, normalise_code
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.money import format_amount
from app.domain.orders import OrderStatus
from app.domain.pricing import CouponTerms, Discount, DiscountKind, PricedOrder
from app.domain.tenders import Settlement, TenderMethod, TenderRequest, settle
from app.sales.cart import Cart, PricedCart, price_cart
from app.sales.identity import this_register
from app.sales.numbering import order_number, take_next
from app.sales.serialize import order_to_dict
from app.shipping.address import normalise_ship_to
from db.base import new_id, utcnow
from db.models import (Coupon, CouponRedemption, CreditMovement, Customer, Order, OrderLine,
                       OrderLineTax, Payment, Register, Store, Variant)


@dataclass(frozen=True, slots=True)
class Tender:
    """A payment offered at the till. Card tenders arrive already approved by the payment
    provider, with its reference (PaymentIntent id) and the card's brand and last four digits."""

    method: TenderMethod
    amount: int | None = None  # None: the rest due
    reference: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None


def price_now(session: Session, cart: Cart, store: Store,
              now: datetime) -> tuple[PricedCart, Coupon | None, CouponTerms | None]:
    """``cart`` priced from the catalogue as it is now, its coupon checked (or refused)."""
    coupon = terms = None
    if cart.coupon_code:
        coupon, terms = coupon_terms(session, cart.coupon_code, cart.customer_id, now)
    return price_cart(session, cart, store, coupon=terms), coupon, terms


def settle_tenders(session: Session, cart: Cart, total: int, tenders: list[Tender],
                   currency: str) -> Settlement:
    """The tenders applied to ``total``, with what no price can waive checked: store credit
    needs a customer who has that much. A caller that takes cards first runs this before."""
    settlement = settle(total, [TenderRequest(t.method, t.amount) for t in tenders],
                        currency=currency)
    credit_used = sum(a.amount for a in settlement.tenders if a.method is TenderMethod.CREDIT)
    if credit_used:
        if cart.customer_id is None:
            raise RuleViolation("store credit needs a customer on the sale", field="pay")
        balance = credit_balance(session, cart.customer_id)
        if credit_used > balance:
            raise RuleViolation(
                f"the customer's store credit is {format_amount(balance, currency)}, "
                f"less than {format_amount(credit_used, currency)}", field="pay")
    return settlement


def credit_balance(session: Session, customer_id: str) -> int:
    return session.scalar(select(func.coalesce(func.sum(CreditMovement.amount), 0))
                          .where(CreditMovement.customer_id == customer_id)) or 0


def coupon_terms(session: Session, code: str, customer_id: str | None,
                 now: datetime) -> tuple[Coupon, CouponTerms]:
    """The coupon ``code`` and the terms to price with, or why it cannot be used now (the till
    checks a coupon when it is applied; checkout checks it again)."""
    normalised = normalise_code(code)
    coupon = session.scalar(select(Coupon).where(Coupon.code == normalised))
    if coupon is None:
        raise NotFound(f"no coupon {normalised}", field="coupon")
    used = session.scalar(select(func.count()).select_from(CouponRedemption)
                          .where(CouponRedemption.coupon_id == coupon.id)) or 0
    used_by_customer = 0
    if customer_id:
        used_by_customer = session.scalar(
            select(func.count()).select_from(CouponRedemption)
            .where(CouponRedemption.coupon_id == coupon.id,
                   CouponRedemption.customer_id == customer_id)) or 0
    rules = CouponRules(code=coupon.code,
                        discount=Discount(DiscountKind(coupon.kind), coupon.value),
                        valid_from=coupon.valid_from, valid_to=coupon.valid_to,
                        min_spend=coupon.min_spend, usage_limit=coupon.usage_limit,
                        per_customer_limit=coupon.per_customer_limit, active=coupon.active)
    return coupon, check_coupon(rules, now=now, used=used, used_by_customer=used_by_customer,
                                customer_known=customer_id is not None)


def _frozen_variants(session: Session, cart: Cart, priced: PricedOrder) -> list[Variant]:
    """The variants of an order priced earlier, which must be the cart's lines exactly. An
    item archived since is still recorded: it was sold (and maybe paid) before that."""
    if len(priced.lines) != len(cart.lines):
        raise InvalidInput("the priced order does not match the cart", field="lines")
    variants = []
    for index, (pl, line) in enumerate(zip(priced.lines, cart.lines)):
        if (pl.source.variant_id, pl.source.quantity_milli) != (line.variant_id,
                                                                line.quantity_milli):
            raise InvalidInput("the priced order does not match the cart",
                               field=f"lines[{index}]")
        variant = session.get(Variant, line.variant_id)
        if variant is None:
            raise NotFound(f"no item {line.variant_id}", field=f"lines[{index}]")
        variants.append(variant)
    return variants


def _coupon_named(session: Session, code: str | None) -> Coupon | None:
    """The coupon a frozen order used, to record its redemption (none if sync removed it)."""
    if not code:
        return None
    return session.scalar(select(Coupon).where(Coupon.code == normalise_code(code)))


def checkout(session: Session, *, cart: Cart, tenders: list[Tender], staff_id: str,
             shift_id: str | None = None, now: datetime | None = None,
             order_id: str | None = None, priced: PricedOrder | None = None,
             ship_to: str | None = None) -> Order:
    """Record a completed, fully paid sale; see the module docstring. ``order_id``: the id the
    till gave the sale when payment began (its card attempts already refer to it).

    ``priced``: the cart as priced when payment began, its coupon checked then — what the
    customer agreed to pay, and may already have paid by card. It is recorded as it is: not
    priced again (sync may have changed a price since) and its coupon's usage limits not
    checked again (another till may have taken the last use; the server flags a coupon used
    past its limit). What cannot be waived is still checked: store credit must be there.

    ``ship_to``: the sale is sent to this address instead of handed over, so it is born
    ``processing`` (paid, not yet delivered) and its printed label ships it (``app.shipping``)."""
    now = now or utcnow()
    ship_to = normalise_ship_to(ship_to) if ship_to is not None else None
    store, register = this_register(session)
    staff = active_staff(session, staff_id, Permission.SELL)
    if cart.customer_id is not None and session.get(Customer, cart.customer_id) is None:
        raise NotFound(f"no customer {cart.customer_id}", field="customer")

    if priced is None:
        priced_cart, coupon, _terms = price_now(session, cart, store, now)
        priced, variants = priced_cart.priced, priced_cart.variants
    else:
        variants = _frozen_variants(session, cart, priced)
        coupon = _coupon_named(session, priced.coupon_code)
    settlement = settle_tenders(session, cart, priced.total, tenders, store.currency)

    seq = take_next(session, register, Register.next_order_seq)
    # Collections start empty in memory so that building the order never reads them back.
    order = Order(
        id=order_id or new_id(), number=order_number(store.code, register.code, seq), store_id=store.id,
        register_id=register.id, register_seq=seq, staff_id=staff.id,
        customer_id=cart.customer_id, shift_id=shift_id, channel="till",
        status=(OrderStatus.PROCESSING if ship_to else OrderStatus.DELIVERED).value,
        fulfilment="ship" if ship_to else "collect", ship_to=ship_to or "",
        currency=store.currency,
        prices_include_tax=store.prices_include_tax, subtotal=priced.subtotal,
        line_discount_total=priced.line_discount_total,
        order_discount_total=priced.order_discount_total,
        coupon_discount_total=priced.coupon_discount_total, tax_total=priced.tax_total,
        total=priced.total, paid_total=priced.total, change_given=settlement.change,
        coupon_code=priced.coupon_code, created_at=now, updated_at=now, lines=[], payments=[])
    session.add(order)
    session.flush()  # the order row first: everything below refers to it

    movements = []
    for line_no, (pl, variant, cart_line) in enumerate(
            zip(priced.lines, variants, cart.lines), start=1):
        line = OrderLine(
            id=new_id(), order_id=order.id, line_no=line_no, variant_id=variant.id,
            sku=variant.sku, name=pl.source.name, quantity_milli=pl.source.quantity_milli,
            unit_price=pl.source.unit_price, unit_cost=variant.cost, gross=pl.gross,
            catalogue_price=variant.price,
            line_discount=pl.line_discount, order_discount=pl.order_discount,
            coupon_discount=pl.coupon_discount, tax=pl.tax, total=pl.total,
            price_override_by=cart_line.approved_by if cart_line.price_source == "override" else None,
            taxes=[OrderLineTax(position=position, name=part.name, rate_ppm=part.rate_ppm,
                                taxable=part.taxable, tax=part.tax)
                   for position, part in enumerate(pl.taxes)])
        order.lines.append(line)
        movements.append(inventory.record_movement(
            session, store_id=store.id, variant_id=variant.id,
            quantity_milli=-pl.source.quantity_milli, kind="sale", order_id=order.id,
            staff_id=staff.id))

    for position, applied in enumerate(settlement.tenders):
        tender = tenders[applied.request_index]
        order.payments.append(Payment(
            order_id=order.id, position=position, method=applied.method.value,
            amount=applied.amount, tendered=applied.tendered, reference=tender.reference,
            card_brand=tender.card_brand, card_last4=tender.card_last4, created_at=now))
    credit_used = sum(a.amount for a in settlement.tenders if a.method is TenderMethod.CREDIT)
    if credit_used:
        session.add(CreditMovement(customer_id=cart.customer_id, amount=-credit_used, kind="sale",
                                   order_id=order.id, at=now))
    if coupon is not None:
        session.add(CouponRedemption(coupon_id=coupon.id, order_id=order.id,
                                     customer_id=cart.customer_id, at=now))

    payload = order_to_dict(order)
    payload["stock_movements"] = [inventory.movement_payload(m) for m in movements]
    outbox.enqueue(session, kind="order.created", entity_id=order.id, payload=payload)
    approvals = sorted({l.approved_by for l in cart.lines if l.approved_by}
                       | ({cart.order_discount_by} if cart.order_discount_by else set()))
    audit.append(session, action="sale.completed", entity="order", entity_id=order.id,
                 actor_id=staff.id, approved_by=approvals[0] if approvals else None,
                 details={"number": order.number, "total": order.total,
                          "currency": order.currency,
                          "tenders": [[p.method, p.amount] for p in order.payments],
                          "approvals": approvals},
                 at=now)
    return order

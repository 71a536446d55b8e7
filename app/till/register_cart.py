"""The cart part of the register session: scanning, quantities, voids, discounts, price
overrides, coupons and customers.

Every change is tried on a copy of the cart and priced; only when that and anything it must
record (a void) succeeded does the copy become the cart. So a refused change — a garbage
scan, a zero quantity, a discount over the price — leaves the cart exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from app.catalog import find_code, get_variant
from app.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from app.domain.money import parse_amount
from app.domain.permissions import Permission
from app.domain.pricing import CouponTerms, Discount
from app.domain.quantity import MILLI, parse_quantity
from app.sales.cart import Cart
from app.sales.checkout import coupon_terms, credit_balance
from app.till import voids
from app.till.cart_pricing import (ItemInfo, LivePrice, copy_cart, fit_cart, item_info,
                                   parse_discount, price_live, refield)
from app.till.format import cart_view, customer_ref, money
from app.till.register_core import RegisterCore
from app.till.views import CartView, CustomerRef
from db.models import Customer, Variant

#: no line sells more than this at the till: more is a typing or scanning mistake
MAX_LINE_MILLI = 10_000 * MILLI
_SAME = object()  # "the coupon the cart has now"


class CartMixin(RegisterCore):
    # -- reading ---------------------------------------------------------------------------
    def cart(self) -> CartView:
        return self._view()

    def _view(self, changed_index: int | None = None) -> CartView:
        return cart_view(self._priced, self._cart, self.currency, customer=self._customer,
                         changed_index=changed_index, notice=self._notice)

    # -- trying a change, then keeping it -------------------------------------------------
    def _price(self, cart: Cart, *, field: str, coupon: CouponTerms | None | object = _SAME,
               strict: bool = False) -> LivePrice:
        """Price a cart being tried; ``coupon`` defaults to the cart's current coupon."""
        ctx = self._context()
        terms = self._coupon if coupon is _SAME else coupon
        try:
            return price_live(cart, self._items, prices_include_tax=ctx.prices_include_tax,
                              currency=ctx.currency, coupon=terms,  # type: ignore[arg-type]
                              strict=strict)
        except DomainError as exc:
            raise refield(exc, field) from None

    def _keep(self, cart: Cart, live: LivePrice, *, changed_index: int | None = None,
              notice: str | None = None) -> CartView:
        self._cart, self._priced = cart, live.order
        self._coupon_applies = live.coupon_applies
        self._notice = notice or live.notice
        return self._view(changed_index)

    def _line(self, index: object, field: str) -> int:
        if isinstance(index, bool) or not isinstance(index, int) or not (
                0 <= index < len(self._cart.lines)):
            raise InvalidInput(f"there is no line {index}", field=field)
        return index

    def _remember(self, session: Session, variant: Variant) -> None:
        self._items[variant.id] = item_info(session, variant, self._tax_cache)

    # -- adding ------------------------------------------------------------------------------
    def scan(self, code: str) -> CartView:
        """A barcode, SKU or scale label: the item goes into the cart at once."""
        self._selling()
        with self.store.read() as session:
            match = find_code(session, code, field="scan")
            self._remember(session, match.variant)
        info = self._items[match.variant.id]
        if match.quantity_milli is not None:
            if not info.sold_by_weight:
                raise InvalidInput(f"{info.name} is sold by the piece, not by a weight label",
                                   field="scan")
            return self._add(info.variant_id, match.quantity_milli, field="scan")
        if match.unit_price is not None:
            return self._add(info.variant_id, MILLI, unit_price=match.unit_price,
                             price_source="label", field="scan")
        if info.sold_by_weight:
            raise InvalidInput(f"{info.name} is sold by weight: scan its scale label or enter "
                               "the weight", field="scan")
        return self._add(info.variant_id, MILLI, field="scan")

    def add_item(self, variant_id: str, quantity_text: str | None = None) -> CartView:
        """An item chosen from search or a favourite button; weighed items need their weight."""
        self._selling()
        with self.store.read() as session:
            variant = get_variant(session, variant_id, field="scan")
            if variant.archived or variant.product.archived:
                raise RuleViolation(f"{variant.product.name} is archived and cannot be sold",
                                    field="scan")
            self._remember(session, variant)
        info = self._items[variant_id]
        if quantity_text is None or not str(quantity_text).strip():
            if info.sold_by_weight:
                raise InvalidInput(f"{info.name} is sold by weight: enter the weight in kg",
                                   field="quantity")
            quantity = MILLI
        else:
            quantity = parse_quantity(quantity_text, allow_fraction=info.sold_by_weight)
        return self._add(variant_id, quantity, field="quantity")

    def _add(self, variant_id: str, quantity_milli: int, *, unit_price: int | None = None,
             price_source: str = "catalogue", field: str) -> CartView:
        cart = copy_cart(self._cart)
        try:
            index = cart.add(variant_id, quantity_milli, unit_price=unit_price,
                             price_source=price_source)
        except DomainError as exc:
            raise refield(exc, "quantity") from None
        if cart.lines[index].quantity_milli > MAX_LINE_MILLI:
            raise InvalidInput("a line holds at most 10,000 units", field="quantity")
        return self._keep(cart, self._price(cart, field=field), changed_index=index)

    # -- quantities and voids ------------------------------------------------------------
    def set_quantity(self, index: int, text: str, approver_id: str | None = None) -> CartView:
        """A new quantity for a line; lowering it voids the difference (a manager approves)."""
        staff = self._selling()
        index = self._line(index, "quantity")
        line = self._cart.lines[index]
        info = self._items[line.variant_id]
        quantity = parse_quantity(text, allow_fraction=info.sold_by_weight
                                  and line.price_source != "label")
        if quantity > MAX_LINE_MILLI:
            raise InvalidInput("a line holds at most 10,000 units", field="quantity")
        cart = copy_cart(self._cart)
        cart.lines[index] = replace(line, quantity_milli=quantity)
        live = self._price(cart, field="quantity")
        if quantity < line.quantity_milli:
            approved = self._approved_by(Permission.VOID, approver_id,
                                         f"taking {info.name} off the sale", field="quantity")
            voided = self._line_total(index) - live.order.lines[index].total  # type: ignore[union-attr]
            self._record_void("line", staff.id, approved, amount=voided,
                              variant_id=line.variant_id,
                              quantity_milli=line.quantity_milli - quantity)
            self._used(approved, Permission.VOID)
        return self._keep(cart, live, changed_index=index)

    def remove_line(self, index: int, approver_id: str | None = None) -> CartView:
        """Take a line off the cart: a void, approved by a manager."""
        staff = self._selling()
        index = self._line(index, "line")
        line = self._cart.lines[index]
        approved = self._approved_by(Permission.VOID, approver_id,
                                     f"voiding {self._items[line.variant_id].name}", field="line")
        cart = copy_cart(self._cart)
        cart.remove(index)
        live = self._price(cart, field="line")
        self._record_void("line", staff.id, approved, amount=self._line_total(index),
                          variant_id=line.variant_id, quantity_milli=line.quantity_milli)
        self._used(approved, Permission.VOID)
        return self._keep(cart, live, changed_index=min(index, len(cart.lines) - 1)
                          if cart.lines else None)

    def void_sale(self, approver_id: str | None = None) -> CartView:
        """Abandon the whole cart, recorded as a void of the sale."""
        staff = self._selling()
        if self._cart.is_empty:
            raise RuleViolation("the cart is empty: there is nothing to void", field="cart")
        approved = self._approved_by(Permission.VOID, approver_id, "voiding the sale",
                                     field="cart")
        total = self._priced.total if self._priced else 0
        self._record_void("sale", staff.id, approved, amount=total,
                          quantity_milli=sum(l.quantity_milli for l in self._cart.lines))
        self._used(approved, Permission.VOID)
        self._reset_cart()
        return self._view()

    def _line_total(self, index: int) -> int:
        return self._priced.lines[index].total if self._priced else 0

    def _record_void(self, scope: str, staff_id: str, approved_by: str | None, *, amount: int,
                     variant_id: str | None = None, quantity_milli: int = 0) -> None:
        ctx, shift = self._context(), self._require_shift()
        with self.store.write() as session:
            self._still_open(session, shift.id)
            voids.record_void(session, scope=scope, staff_id=staff_id, approved_by=approved_by,
                              shift_id=shift.id, register_id=ctx.register_id, amount=amount,
                              variant_id=variant_id, quantity_milli=quantity_milli,
                              now=self.clock())

    # -- discounts and prices -------------------------------------------------------------
    def line_discount(self, index: int, text: str, approver_id: str | None = None) -> CartView:
        """ "10%" or "1.50" off one line; "" or "0" clears it. Over the price is refused;
        above ``till.approval_discount_percent`` of the line a manager approves."""
        self._selling()
        index = self._line(index, "discount")
        discount = parse_discount(text, self.currency)
        gross = self._priced.lines[index].gross if self._priced else 0
        amount = self._discount_on(discount, gross, "the line")
        cart = copy_cart(self._cart)
        cart.set_line_discount(index, discount)
        live = self._price(cart, field="discount")
        approved = None
        if self._over_limit(discount, amount, gross) or self._stacked_over_limit(self._cart, cart):
            approved = self._approved_by(Permission.DISCOUNT_OVER_LIMIT, approver_id,
                                         "a discount this large", field="discount")
            cart.set_line_discount(index, discount, approved_by=approved)
        view = self._keep(cart, live, changed_index=index)
        self._used(approved, Permission.DISCOUNT_OVER_LIMIT)
        return view

    def order_discount(self, text: str, approver_id: str | None = None) -> CartView:
        """A discount on the whole cart (after line discounts), same rules as a line's; the
        line and order discounts together are judged against the limit too."""
        self._selling()
        discount = parse_discount(text, self.currency)
        base = sum(l.gross - l.line_discount for l in self._priced.lines) if self._priced else 0
        amount = self._discount_on(discount, base, "the cart")
        cart = copy_cart(self._cart)
        cart.order_discount, cart.order_discount_by = discount, None
        live = self._price(cart, field="discount")
        approved = None
        if self._over_limit(discount, amount, base) or self._stacked_over_limit(self._cart, cart):
            approved = self._approved_by(Permission.DISCOUNT_OVER_LIMIT, approver_id,
                                         "a discount this large", field="discount")
            cart.order_discount_by = approved
        view = self._keep(cart, live)
        self._used(approved, Permission.DISCOUNT_OVER_LIMIT)
        return view

    def _discount_on(self, discount: Discount | None, base: int, what: str) -> int:
        if discount is None:
            return 0
        try:
            return discount.on(base, field="discount")
        except InvalidInput:
            raise InvalidInput(f"a discount of {money(discount.value, self.currency)} is more "
                               f"than {what}'s {money(base, self.currency)}",
                               field="discount") from None

    def override_price(self, index: int, text: str, approver_id: str | None = None) -> CartView:
        """Sell one line at another unit price: a manager approves (OVERRIDE_PRICE)."""
        staff = self._selling()
        index = self._line(index, "price")
        price = parse_amount(text, self.currency, field="price")
        line = self._cart.lines[index]
        approved = self._approved_by(Permission.OVERRIDE_PRICE, approver_id,
                                     f"changing the price of {self._items[line.variant_id].name}",
                                     field="price")
        cart = copy_cart(self._cart)
        cart.lines[index] = replace(line, unit_price=price, price_source="override",
                                    approved_by=approved or staff.id)
        view = self._keep(cart, self._price(cart, field="price"), changed_index=index)
        self._used(approved, Permission.OVERRIDE_PRICE)
        return view

    # -- coupons -----------------------------------------------------------------------------
    def apply_coupon(self, code: str) -> CartView:
        """Checked now (unknown, expired, used up, minimum spend) and again at checkout."""
        self._selling()
        with self.store.read() as session:
            _, terms = coupon_terms(session, code, self._cart.customer_id, self.clock())
        cart = copy_cart(self._cart)
        cart.coupon_code = terms.code
        live = self._price(cart, field="coupon", coupon=terms, strict=True)
        self._coupon = terms
        return self._keep(cart, live)

    def remove_coupon(self) -> CartView:
        self._selling()
        cart = copy_cart(self._cart)
        cart.coupon_code = None
        live = self._price(cart, field="coupon", coupon=None)
        self._coupon = None
        return self._keep(cart, live)

    def _recheck_coupon(self, session: Session, cart: Cart,
                        now: datetime) -> tuple[CouponTerms | None, str | None]:
        """After the customer changed: a coupon that no longer holds leaves ``cart``, and the
        notice says why."""
        if not cart.coupon_code:
            return None, None
        try:
            return coupon_terms(session, cart.coupon_code, cart.customer_id, now)[1], None
        except DomainError as exc:
            code, cart.coupon_code = cart.coupon_code, None
            return None, f"coupon {code} removed: {exc.message}"

    def _change_customer(self, cart: Cart, ref: CustomerRef | None, session: Session) -> CartView:
        terms, notice = self._recheck_coupon(session, cart, self.clock())
        live = self._price(cart, field="customer", coupon=terms)
        self._customer, self._coupon = ref, terms
        return self._keep(cart, live, notice=notice)

    # -- customers ---------------------------------------------------------------------------
    def find_customers(self, text: str) -> list[CustomerRef]:
        from app.customers import find_customers

        self._require_staff(Permission.CUSTOMERS_READ)
        with self.store.read() as session:
            return [customer_ref(c, credit_balance(session, c.id), self.currency)
                    for c in find_customers(session, text)]

    def quick_create_customer(self, name: str, email: str | None = None,
                              phone: str | None = None) -> CustomerRef:
        from app.customers import create_customer

        staff = self._require_staff(Permission.CUSTOMERS_WRITE)
        with self.store.write() as session:
            customer = create_customer(session, staff_id=staff.id, name=name, email=email or None,
                                       phone=phone or None)
            return customer_ref(customer, 0, self.currency)

    def attach_customer(self, customer_id: str) -> CartView:
        self._selling()
        cart = copy_cart(self._cart)
        with self.store.read() as session:
            customer = session.get(Customer, customer_id) if isinstance(customer_id, str) else None
            if customer is None or customer.erased:
                raise NotFound("no such customer", field="customer")
            ref = customer_ref(customer, credit_balance(session, customer.id), self.currency)
            cart.customer_id = customer.id
            return self._change_customer(cart, ref, session)

    def detach_customer(self) -> CartView:
        self._selling()
        cart = copy_cart(self._cart)
        cart.customer_id = None
        with self.store.read() as session:
            return self._change_customer(cart, None, session)

    # -- a cart coming back (resumed, or held while the cashier was away) -------------------
    def _restore(self, session: Session, cart: Cart) -> Restored:
        """What ``cart`` becomes against today's catalogue: items no longer sold, a discount
        that no longer fits, a customer or coupon that no longer holds are left out, and the
        notice says so. Nothing of this session changes until :meth:`_adopt` (after the
        write that took the cart committed)."""
        ctx = self._context()
        items: dict[str, ItemInfo] = {}
        kept, notes = [], []
        for line in cart.lines:
            variant = session.get(Variant, line.variant_id)
            if variant is None or variant.archived or variant.product.archived:
                notes.append(f"{variant.product.name if variant else 'an item'} is no longer "
                             "sold: left out")
                continue
            items[variant.id] = item_info(session, variant, self._tax_cache)
            kept.append(line)
        cart.lines = kept
        ref = None
        if cart.customer_id is not None:
            customer = session.get(Customer, cart.customer_id)
            if customer is None or customer.erased:
                cart.customer_id = None
                notes.append("the customer is no longer on file: left out")
            else:
                ref = customer_ref(customer, credit_balance(session, customer.id), self.currency)
        terms, coupon_notice = self._recheck_coupon(session, cart, self.clock())
        if coupon_notice:
            notes.append(coupon_notice)
        cart, live, fitted = fit_cart(cart, items, prices_include_tax=ctx.prices_include_tax,
                                      currency=ctx.currency, coupon=terms)
        notes += fitted + ([live.notice] if live.notice else [])
        return Restored(cart, live, items, ref, terms, "; ".join(notes) or None)

    def _adopt(self, restored: Restored) -> CartView:
        self._reset_cart()
        self._items.update(restored.items)
        self._customer, self._coupon = restored.customer, restored.coupon
        return self._keep(restored.cart, restored.live, notice=restored.notice)


@dataclass(frozen=True, slots=True)
class Restored:
    """A cart that came back, fitted to today's catalogue, to become the cart."""

    cart: Cart
    live: LivePrice
    items: dict[str, ItemInfo]
    customer: CustomerRef | None
    coupon: CouponTerms | None
    notice: str | None

"""Payment at the till: the priced cart frozen under a sale id, tenders split freely across
cash (with change), store credit and card, and one checkout transaction when it is all paid.

The order priced when payment begins is what the sale records: the customer agreed to that
total (and may pay part of it by card at once), so neither a price that sync changes nor a
coupon's last use taken on another till can stop the sale once it is paid.

Cash and credit tenders stay in memory until :meth:`PaymentMixin.complete`; a card is taken
through :class:`app.payments.attempts.CardPayments` (see :mod:`app.till.register_card`). The
card calls run on the window's io pool while other calls run on its database worker, so the
payment's state is only touched under a lock, never while waiting on the provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.money import exponent, parse_amount
from app.domain.pricing import PricedOrder
from app.domain.tenders import TenderMethod
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout, credit_balance, price_now
from app.sales.receipt_code import receipt_code
from app.till.cart_pricing import copy_cart, item_info
from app.till.format import money, quick_cash, tender_view
from app.till.register_core import RegisterCore
from app.till.views import CardProgress, CartView, PaymentView, SaleResult
from db.base import new_id
from db.models import Customer, Order, Store

#: cash handed over beyond what is due, in major units: more is a slip (an EAN scanned into
#: the cash field would be tens of millions of change)
MAX_CHANGE_MAJOR = 1_000


@dataclass(slots=True)
class TenderLine:
    method: str  # cash | card | credit
    offered: int  # handed over (cash) or charged (card, credit)
    reference: str | None = None
    brand: str | None = None
    last4: str | None = None
    captured: bool = False  # a card payment that was taken: it can only be refunded
    attempt_id: str | None = None  # the card attempt that took it
    #: the card's "approved" is the cashier's word (a standalone terminal): a manager may
    #: take it off again when it was a mistake
    by_cashier: bool = False


@dataclass(slots=True)
class PaymentState:
    sale_id: str
    cart: Cart
    priced: PricedOrder  # what the sale records: the order as priced when payment began
    card_available: bool
    card_reason: str
    notice: str | None = None
    tenders: list[TenderLine] = field(default_factory=list)
    next_card_index: int = 0  # each card tender line has its own attempts
    card: object | None = None  # the AttemptView in progress (or the one being started)
    card_outcome: CardProgress | None = None  # the last decline or cancel, for the cashier
    withdrawn: set[str] = field(default_factory=set)  # card attempts a manager took back

    @property
    def total(self) -> int:
        return self.priced.total

    def settle(self) -> tuple[list[int], int, int]:
        """What each tender pays towards the sale (in order, as checkout settles them), what
        is still due, and the change."""
        due, applied = self.total, []
        for tender in self.tenders:
            part = min(tender.offered, due)
            applied.append(part)
            due -= part
        change = sum(t.offered - a for t, a in zip(self.tenders, applied))
        return applied, due, change


class PaymentMixin(RegisterCore):
    # -- beginning and leaving -------------------------------------------------------------
    def begin_payment(self) -> PaymentView:
        """Price the cart from the catalogue once more and freeze it under a new sale id; the
        notice says so when the total is not the one the cart showed."""
        with self._pay_lock:
            if self._payment is not None:
                return self._payment_view()
        self._selling()
        if self._cart.is_empty:
            raise RuleViolation("the cart is empty", field="pay")
        if self._cart.coupon_code and not self._coupon_applies:
            raise RuleViolation(f"{self._notice or 'the coupon does not apply'}: remove the "
                                "coupon or add to the sale", field="coupon")
        ctx = self._context()
        with self.store.read() as session:
            priced_cart, _coupon, terms = price_now(session, self._cart,
                                                    session.get(Store, ctx.store_id), self.clock())
            for variant in priced_cart.variants:  # the catalogue may have changed since the scan
                self._items[variant.id] = item_info(session, variant, self._tax_cache)
        priced = priced_cart.priced
        available, reason = self.card_available()  # type: ignore[attr-defined]
        shown = self._priced.total if self._priced is not None else None
        notice = None
        if shown is not None and shown != priced.total:
            notice = (f"the total is now {money(priced.total, ctx.currency)} (it showed "
                      f"{money(shown, ctx.currency)}): a price changed since the items were "
                      "rung up")
        with self._pay_lock:
            self._priced, self._coupon = priced, terms
            self._completed = None
            self._payment = PaymentState(new_id(), copy_cart(self._cart), priced, available,
                                         reason, notice=notice)
            return self._payment_view()

    def cancel_payment(self) -> CartView:
        """Back to the cart — not once a card was taken (the sale must be completed), nor
        while a card payment is under way."""
        with self._pay_lock:
            state = self._payment
            if state is None:
                return self._view()  # type: ignore[attr-defined]
            if any(t.captured for t in state.tenders):
                raise RuleViolation("a card payment was taken: complete the sale", field="pay")
            if state.card is not None:
                raise RuleViolation("cancel the card payment first", field="pay")
            self._payment = None
            return self._view()  # type: ignore[attr-defined]

    # -- cash and store credit ---------------------------------------------------------------
    def add_cash(self, amount_text: str | None = None) -> PaymentView:
        """Cash handed over; nothing typed means exactly what is due. More is change, up to
        1,000.00 over what is due."""
        with self._pay_lock:
            state, due = self._paying()
            offered = self._amount(amount_text, due)
            limit = due + MAX_CHANGE_MAJOR * 10 ** exponent(self.currency)
            if offered > limit:
                raise InvalidInput(
                    f"{money(offered, self.currency)} is more than "
                    f"{money(limit - due, self.currency)} over the {money(due, self.currency)} "
                    "due: is that right?", field="amount")
            state.tenders.append(TenderLine(TenderMethod.CASH.value, offered))
            state.card_outcome = None
            return self._payment_view()

    def add_credit(self, amount_text: str | None = None) -> PaymentView:
        """Store credit of the customer on the sale; never more than their balance or due."""
        with self._pay_lock:
            state, due = self._paying()
            if self._customer is None:
                raise RuleViolation("store credit needs a customer on the sale", field="customer")
            with self.store.read() as session:
                balance = credit_balance(session, self._customer.id)
            left = balance - sum(t.offered for t in state.tenders if t.method == "credit")
            if left <= 0:
                raise RuleViolation(f"{self._customer.name} has no store credit left",
                                    field="amount")
            amount = self._amount(amount_text, min(due, left))
            if amount > due:
                raise RuleViolation(f"only {money(due, self.currency)} is due", field="amount")
            if amount > left:
                raise RuleViolation(f"{self._customer.name} has {money(left, self.currency)} of "
                                    "store credit", field="amount")
            state.tenders.append(TenderLine(TenderMethod.CREDIT.value, amount))
            state.card_outcome = None
            return self._payment_view()

    # -- completing ------------------------------------------------------------------------
    def complete(self) -> SaleResult:
        """One checkout transaction, only when fully paid, recording the order as priced when
        payment began. A second call (Pay pressed twice) gives the same result and records
        nothing more."""
        with self._pay_lock:
            state = self._payment
            if state is None:
                if self._completed is not None:
                    return self._completed
                raise RuleViolation("there is no payment to complete", field="pay")
            if state.card is not None:
                raise RuleViolation("the card payment is not finished yet", field="pay")
            due = state.settle()[1]
            if due > 0:
                raise RuleViolation(f"{money(due, self.currency)} is still due: a sale "
                                    "completes only when fully paid", field="pay")
            staff, shift = self._require_staff(), self._require_shift()
            tenders = [Tender(TenderMethod(t.method), t.offered, t.reference, t.brand, t.last4)
                       for t in state.tenders] or [Tender(TenderMethod.CASH)]
            with self.store.write() as session:
                order = session.get(Order, state.sale_id)
                if order is None:
                    self._still_open(session, shift.id)
                    order = checkout(session, cart=state.cart, tenders=tenders,
                                     staff_id=staff.id, shift_id=shift.id, now=self.clock(),
                                     order_id=state.sale_id, priced=state.priced)
                result = self._sale_result(session, order)
            opened = False
            if self.drawer is not None and any(t.method == "cash" for t in state.tenders):
                opened = self._open_drawer_safely()
            if opened:
                result = replace(result, drawer_opened=True)
            self._completed, self._payment = result, None
            self._reset_cart()
            return result

    def _sale_result(self, session, order: Order) -> SaleResult:  # noqa: ANN001 - a Session
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        paid = tuple(tender_view(p.position, p.method, p.amount, p.tendered, order.currency,
                                 brand=p.card_brand, last4=p.card_last4, removable=False)
                     for p in order.payments)
        return SaleResult(order.id, order.number, money(order.total, order.currency),
                          order.change_given, money(order.change_given, order.currency), paid,
                          customer.email if customer else None,
                          receipt_code=receipt_code(order.id, order.number))

    # -- helpers -------------------------------------------------------------------------------
    def _require_payment(self) -> PaymentState:
        if self._payment is None:
            raise RuleViolation("no payment has begun", field="pay")
        return self._payment

    def _paying(self) -> tuple[PaymentState, int]:
        """The payment, when another tender may be added to it, and what is still due."""
        state = self._require_payment()
        if state.card is not None:
            raise RuleViolation("finish or cancel the card payment first", field="pay")
        due = state.settle()[1]
        if due == 0:
            raise RuleViolation("the sale is fully paid: complete it", field="amount")
        return state, due

    def _amount(self, text: str | None, default: int) -> int:
        if text is None or (isinstance(text, str) and not text.strip()):
            return default
        amount = parse_amount(text, self.currency, field="amount")
        if amount == 0:
            raise InvalidInput("must be greater than zero", field="amount")
        return amount

    def _payment_view(self) -> PaymentView:
        state, currency = self._require_payment(), self.currency
        applied, due, change = state.settle()
        tenders = tuple(tender_view(i, t.method, a, t.offered, currency, brand=t.brand,
                                    last4=t.last4, removable=not t.captured,
                                    removable_by_manager=t.captured and t.by_cashier)
                        for i, (t, a) in enumerate(zip(state.tenders, applied)))
        card = progress(state.card) if state.card is not None else state.card_outcome
        paid = state.total - due
        return PaymentView(state.sale_id, state.total, money(state.total, currency), paid,
                           money(paid, currency), due, money(due, currency), change,
                           money(change, currency), tenders, quick_cash(due, currency),
                           card=card, card_available=state.card_available,
                           card_unavailable_reason=state.card_reason, notice=state.notice)


def progress(attempt) -> CardProgress:  # noqa: ANN001 - an AttemptView (or one being started)
    return CardProgress(attempt.attempt_id, attempt.state.value, attempt.message,
                        attempt.needs_cashier, attempt.amount_text)

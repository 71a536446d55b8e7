"""Payment at the till: the priced cart frozen under a sale id, tenders split freely across
cash (with change), store credit and card, and one checkout transaction when it is all paid.

Cash and credit tenders stay in memory until :meth:`PaymentMixin.complete`; a card is taken
through :class:`app.payments.attempts.CardPayments`, which records each attempt under the sale
id (the order's id to be) before and after every provider step. The card calls run on the
window's io pool while other calls run on its database worker, so the payment's state is
only touched under a lock, never while waiting on the provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.money import parse_amount
from app.domain.tenders import TenderMethod
from app.payments.base import AttemptState
from app.sales.cart import Cart, price_cart
from app.sales.checkout import Tender, checkout, coupon_terms, credit_balance
from app.till.cart_pricing import copy_cart, item_info
from app.till.format import money, quick_cash, tender_view
from app.till.register_core import RegisterCore
from app.till.views import CardProgress, CartView, PaymentView, SaleResult
from db.base import new_id
from db.models import Customer, Order, Store

NO_CARDS = "card payments unavailable: no card terminal is set up"


@dataclass(slots=True)
class TenderLine:
    method: str  # cash | card | credit
    offered: int  # handed over (cash) or charged (card, credit)
    reference: str | None = None
    brand: str | None = None
    last4: str | None = None
    captured: bool = False  # a card payment that was taken: it can only be refunded


@dataclass(slots=True)
class PaymentState:
    sale_id: str
    cart: Cart
    total: int
    card_available: bool
    card_reason: str
    tenders: list[TenderLine] = field(default_factory=list)
    next_card_index: int = 0  # each card tender line has its own attempts
    card: object | None = None  # the AttemptView in progress
    card_outcome: CardProgress | None = None  # the last decline or cancel, for the cashier

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
        """Price the cart from the catalogue once more and freeze it under a new sale id."""
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
            terms = None
            if self._cart.coupon_code:
                terms = coupon_terms(session, self._cart.coupon_code, self._cart.customer_id,
                                     self.clock())[1]
            priced = price_cart(session, self._cart, session.get(Store, ctx.store_id),
                                coupon=terms)
            for variant in priced.variants:  # the catalogue may have changed since the scan
                self._items[variant.id] = item_info(session, variant, self._tax_cache)
        available, reason = self.card_available()
        with self._pay_lock:
            self._priced, self._coupon = priced.priced, terms
            self._completed = None
            self._payment = PaymentState(new_id(), copy_cart(self._cart), priced.priced.total,
                                         available, reason)
            return self._payment_view()

    def cancel_payment(self) -> CartView:
        """Back to the cart — not once a card was taken (the sale must be completed)."""
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
        """Cash handed over; nothing typed means exactly what is due. More is change."""
        with self._pay_lock:
            state, due = self._paying()
            offered = self._amount(amount_text, due)
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

    def remove_tender(self, index: int) -> PaymentView:
        with self._pay_lock:
            state = self._require_payment()
            if isinstance(index, bool) or not isinstance(index, int) or not (
                    0 <= index < len(state.tenders)):
                raise InvalidInput(f"there is no payment {index}", field="pay")
            if state.tenders[index].captured:
                raise RuleViolation("a card payment that was taken can only be refused by "
                                    "refunding it", field="pay")
            del state.tenders[index]
            return self._payment_view()

    # -- card ------------------------------------------------------------------------------
    def card_available(self) -> tuple[bool, str]:
        if self.payments is None:
            return False, NO_CARDS
        return self.payments.available()

    def start_card(self, amount_text: str | None = None) -> PaymentView:
        """Hand the amount (the rest due when none is typed) to the card provider."""
        with self._pay_lock:
            state, due = self._paying()
            if self.payments is None:
                raise RuleViolation(NO_CARDS, field="pay")
            amount = self._amount(amount_text, due)
            if amount > due:
                raise RuleViolation(f"a card pays at most the {money(due, self.currency)} due",
                                    field="amount")
            sale_id, index = state.sale_id, state.next_card_index
            state.card_outcome = None
        attempt = self.payments.start(sale_id, index, amount, self.currency)
        return self._card_moved(attempt)

    def card_status(self) -> PaymentView:
        with self._pay_lock:
            attempt = self._require_payment().card
            if attempt is None:
                return self._payment_view()
        return self._card_moved(self.payments.status(attempt.attempt_id))

    def confirm_card(self, approved: bool, last4: str | None = None,
                     brand: str | None = None) -> PaymentView:
        """A standalone terminal: the cashier says what it showed."""
        with self._pay_lock:
            attempt = self._require_payment().card
            if attempt is None:
                raise RuleViolation("no card payment is waiting", field="pay")
        return self._card_moved(self.payments.confirm(attempt.attempt_id, approved, last4, brand))

    def cancel_card(self) -> PaymentView:
        with self._pay_lock:
            attempt = self._require_payment().card
            if attempt is None:
                return self._payment_view()
        return self._card_moved(self.payments.cancel(attempt.attempt_id))

    def _card_moved(self, attempt) -> PaymentView:  # noqa: ANN001 - app.payments AttemptView
        with self._pay_lock:
            state = self._require_payment()
            if attempt.sale_id != state.sale_id:  # an answer about a payment since abandoned
                return self._payment_view()
            state.card = None
            if attempt.state is AttemptState.SUCCEEDED:
                state.tenders.append(TenderLine(TenderMethod.CARD.value, attempt.amount,
                                                attempt.reference, attempt.card_brand,
                                                attempt.card_last4, captured=True))
                state.next_card_index += 1
                state.card_outcome = None
            elif attempt.state.final:
                state.card_outcome = _progress(attempt)
            else:
                state.card = attempt
            return self._payment_view()

    # -- completing ------------------------------------------------------------------------
    def complete(self) -> SaleResult:
        """One checkout transaction, only when fully paid. A second call (Pay pressed twice)
        gives the same result and records nothing more."""
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
                                     order_id=state.sale_id)
                    if order.total != state.total:
                        raise RuleViolation(
                            f"the total changed to {money(order.total, order.currency)} while "
                            "paying (a price or coupon changed): nothing was recorded",
                            field="pay")
                result = self._sale_result(session, order)
            opened = False
            if self.drawer is not None and any(t.method == "cash" for t in state.tenders):
                opened = self._open_drawer_safely()
            if opened:
                result = SaleResult(result.order_id, result.number, result.total_text,
                                    result.change, result.change_text, result.paid,
                                    result.customer_email, drawer_opened=True)
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
                          customer.email if customer else None)

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
                                    last4=t.last4, removable=not t.captured)
                        for i, (t, a) in enumerate(zip(state.tenders, applied)))
        card = _progress(state.card) if state.card is not None else state.card_outcome
        paid = state.total - due
        return PaymentView(state.sale_id, state.total, money(state.total, currency), paid,
                           money(paid, currency), due, money(due, currency), change,
                           money(change, currency), tenders, quick_cash(due, currency),
                           card=card, card_available=state.card_available,
                           card_unavailable_reason=state.card_reason)


def _progress(attempt) -> CardProgress:  # noqa: ANN001 - app.payments AttemptView
    return CardProgress(attempt.attempt_id, attempt.state.value, attempt.message,
                        attempt.needs_cashier, attempt.amount_text)

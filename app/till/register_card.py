"""Card payments at the register, and card money that no sale recorded.

The card calls (``start_card``, ``card_status``, ``confirm_card``, ``cancel_card``,
``recover_cards``) run on the window's io pool beside the database worker, so the payment's
state changes only under ``_pay_lock`` and never while waiting on the provider. While a card
is being started the payment already holds a placeholder, so the payment cannot be left
(``cancel_payment``, ``lock``) nor another tender added until the provider has answered.

Answers can arrive late or twice (a poll in flight while the cashier confirms): an answer is
taken only for the attempt the payment is waiting on, and a card taken is added once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.domain.errors import InvalidInput, RuleViolation
from app.domain.permissions import Permission
from app.domain.tenders import TenderMethod
from app.payments.attempts import NO_PROVIDER
from app.payments.base import AttemptState
from app.till.format import card_taken_view, money
from app.till.register_payment import PaymentMixin, PaymentState, TenderLine, progress
from app.till.views import CardTakenView, PaymentView

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StartingCard:
    """The card being handed to the provider: no attempt id yet."""

    amount_text: str
    attempt_id: str = ""
    state: AttemptState = AttemptState.CREATED
    message: str = "handing the payment to the card terminal"
    needs_cashier: bool = False


class CardMixin(PaymentMixin):
    def card_available(self) -> tuple[bool, str]:
        if self.payments is None:
            return False, NO_PROVIDER
        return self.payments.available()

    def start_card(self, amount_text: str | None = None) -> PaymentView:
        """Hand the amount (the rest due when none is typed) to the card provider."""
        with self._pay_lock:
            state, due = self._paying()
            if self.payments is None:
                raise RuleViolation(NO_PROVIDER, field="pay")
            amount = self._amount(amount_text, due)
            if amount > due:
                raise RuleViolation(f"a card pays at most the {money(due, self.currency)} due",
                                    field="amount")
            sale_id, index = state.sale_id, state.next_card_index
            state.card_outcome = None
            starting = state.card = StartingCard(money(amount, self.currency))
        try:
            attempt = self.payments.start(sale_id, index, amount, self.currency)
        except BaseException:
            with self._pay_lock:
                if state.card is starting:
                    state.card = None
                state.card_available, state.card_reason = self.payments.available()
            raise
        return self._card_moved(attempt, starting)

    def check_card(self, sale_id: str | None = None) -> PaymentView | None:
        """On the io pool when the payment page opens (and while cards cannot be taken): ask
        the provider whether they can now (Stripe reachable, reader online), so the page says
        so before the cashier presses Card rather than after. ``None`` when the payment
        ``sale_id`` is no longer the one being paid (the answer is for nobody), or when nothing
        changed (the page has nothing to redraw)."""
        with self._pay_lock:
            state = self._payment
            if state is None or (sale_id is not None and state.sale_id != sale_id):
                return None
        if self.payments is None:
            return None
        available, reason = self.payments.probe()
        with self._pay_lock:
            if self._payment is not state or (
                    (state.card_available, state.card_reason) == (available, reason)):
                return None
            state.card_available, state.card_reason = available, reason
            return self._payment_view()

    def retry_card(self) -> PaymentView:
        """Hand the undecided card payment to the reader again (after a timeout or a reader
        that dropped it): the same payment under the same key, never a second one."""
        attempt = self._waiting_card()
        return self._card_moved(self.payments.retry(attempt.attempt_id))

    def card_status(self) -> PaymentView:
        with self._pay_lock:
            attempt = self._require_payment().card
            if attempt is None or isinstance(attempt, StartingCard):
                return self._payment_view()
        return self._card_moved(self.payments.status(attempt.attempt_id))

    def confirm_card(self, approved: bool, last4: str | None = None,
                     brand: str | None = None) -> PaymentView:
        """A standalone terminal: the cashier says what it showed."""
        attempt = self._waiting_card()
        return self._card_moved(self.payments.confirm(attempt.attempt_id, approved, last4, brand))

    def cancel_card(self) -> PaymentView:
        with self._pay_lock:
            attempt = self._require_payment().card
            if attempt is None:
                return self._payment_view()
        attempt = self._waiting_card()
        return self._card_moved(self.payments.cancel(attempt.attempt_id))

    def _waiting_card(self):  # noqa: ANN202 - the AttemptView the payment waits on
        with self._pay_lock:
            attempt = self._require_payment().card
            if attempt is None:
                raise RuleViolation("no card payment is waiting", field="pay")
            if isinstance(attempt, StartingCard):
                raise RuleViolation("the card payment is still being started: wait for the "
                                    "terminal", field="pay")
            return attempt

    def _card_moved(self, attempt, asked: object = None) -> PaymentView:  # noqa: ANN001
        """Take the provider's answer about ``attempt`` (``asked``: the placeholder of the
        start this answers)."""
        with self._pay_lock:
            state = self._payment
            if state is None or attempt.sale_id != state.sale_id:
                return self._stray_card(attempt, state)
            state.card_available, state.card_reason = self.payments.available()
            waited_on = state.card is not None and (
                state.card is asked or state.card.attempt_id == attempt.attempt_id)
            if attempt.state is AttemptState.SUCCEEDED:
                if attempt.attempt_id not in state.withdrawn and not any(
                        t.attempt_id == attempt.attempt_id for t in state.tenders):
                    state.tenders.append(TenderLine(
                        TenderMethod.CARD.value, attempt.amount, attempt.reference,
                        attempt.card_brand, attempt.card_last4, captured=True,
                        attempt_id=attempt.attempt_id, by_cashier=attempt.by_cashier))
                    state.next_card_index += 1
                    state.card_outcome = None
                if waited_on:
                    state.card = None
            elif waited_on:  # a late answer about an attempt already settled is dropped
                if attempt.state.final:
                    state.card, state.card_outcome = None, progress(attempt)
                else:
                    state.card = attempt
            return self._payment_view()

    def _stray_card(self, attempt, state: PaymentState | None) -> PaymentView:  # noqa: ANN001
        """An answer about a payment no longer on screen. Card money taken for it is never
        dropped in silence: it stays listed by :meth:`cards_without_sale` until refunded."""
        if attempt.state is AttemptState.SUCCEEDED:
            log.warning("card payment %s of %s succeeded for sale %s, which is no longer being "
                        "paid", attempt.attempt_id, attempt.amount_text, attempt.sale_id)
            message = (f"a card payment of {attempt.amount_text} was taken for a sale no longer "
                       "on screen: it is listed under cards taken without a sale")
            if state is None:
                raise RuleViolation(message, field="pay")
            state.notice = message
            return self._payment_view()
        if state is None:
            raise RuleViolation("no payment has begun", field="pay")
        return self._payment_view()

    # -- taking a tender off -----------------------------------------------------------------
    def remove_tender(self, index: int, approver_id: str | None = None) -> PaymentView:
        """Take a tender off the payment. A card the provider took can only be refunded; a
        card "approved" by the cashier's word (a standalone terminal) may be removed with a
        manager's VOID approval, when the terminal did not in fact take the money."""
        with self._pay_lock:
            state = self._require_payment()
            if isinstance(index, bool) or not isinstance(index, int) or not (
                    0 <= index < len(state.tenders)):
                raise InvalidInput(f"there is no payment {index}", field="pay")
            tender = state.tenders[index]
            if tender.captured:
                if not tender.by_cashier or tender.attempt_id is None:
                    raise RuleViolation("a card payment that was taken can only be refused by "
                                        "refunding it", field="pay")
                staff = self._require_staff()
                approved = self._approved_by(Permission.VOID, approver_id,
                                             "removing a card payment confirmed on the terminal",
                                             field="pay")
                self.payments.withdraw_confirmed(tender.attempt_id, staff_id=staff.id,
                                                 approved_by=approved or staff.id,
                                                 now=self.clock())
                self._used(approved, Permission.VOID)
                state.withdrawn.add(tender.attempt_id)
            del state.tenders[index]
            return self._payment_view()

    # -- card money with no sale ---------------------------------------------------------------
    def cards_without_sale(self) -> list[CardTakenView]:
        """Card payments that took money for a sale never recorded (the till crashed, or the
        sale was never completed), the one being paid now aside: each is owed back."""
        if self.payments is None:
            return []
        with self._pay_lock:
            paying = self._payment.sale_id if self._payment is not None else None
        return [card_taken_view(a) for a in self.payments.taken_without_sale()
                if a.sale_id != paying]

    def recover_cards(self) -> list[CardTakenView]:
        """At start-up, on the io pool: ask the provider how every attempt a crash left open
        ended, then list the card money that no sale recorded."""
        if self.payments is None:
            return []
        self.payments.recover()
        return self.cards_without_sale()

    def refund_card_without_sale(self, attempt_id: str,
                                 approver_id: str | None = None) -> list[CardTakenView]:
        """Give card money back that no sale recorded (a manager approves: VOID); returns
        what is still listed."""
        staff = self._require_staff()
        if self.payments is None:
            raise RuleViolation(NO_PROVIDER, field="pay")
        if not isinstance(attempt_id, str) or not any(
                c.attempt_id == attempt_id for c in self.cards_without_sale()):
            raise InvalidInput("this card payment is not one taken without a sale", field="pay")
        approved = self._approved_by(Permission.VOID, approver_id,
                                     "refunding card money taken without a sale", field="pay")
        self.payments.refund_without_sale(attempt_id, staff_id=staff.id,
                                          approved_by=approved or staff.id, now=self.clock())
        self._used(approved, Permission.VOID)
        return self.cards_without_sale()

"""Card money the till took but did not keep: taken for a sale that was never recorded (a
crash, a sale abandoned after the card went through), or "approved" by a cashier's word when the
standalone terminal in fact declined. Each one is listed until a manager settles it, and each
settlement is journalled with who approved it.

A mixin of :class:`~app.payments.attempts.CardPayments`: it works on the same rows through the
same ``_load`` / ``_snapshot`` / ``_provider_of``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from app import audit
from app.domain.errors import RuleViolation
from app.payments.base import AttemptState
from db.models import Order, PaymentAttempt

if TYPE_CHECKING:
    from app.payments.attempts import AttemptView

#: ``error_code`` of a succeeded attempt whose money went back because no sale was recorded
REFUNDED_NO_SALE = "refunded_no_sale"
#: ``error_code`` of a cashier's "approved" that a manager took back (the terminal declined)
WITHDRAWN = "withdrawn"


class OwedMixin:
    def taken_without_sale(self) -> list[AttemptView]:
        """Card money taken for a sale that was never recorded (a crash, or a sale that could
        not be completed) and not given back yet: each one is owed to a customer."""
        with self.store.read() as session:
            rows = session.scalars(
                select(PaymentAttempt)
                .outerjoin(Order, Order.id == PaymentAttempt.sale_id)
                .where(PaymentAttempt.status == AttemptState.SUCCEEDED.value, Order.id.is_(None),
                       PaymentAttempt.error_code.is_distinct_from(REFUNDED_NO_SALE))
                .order_by(PaymentAttempt.created_at, PaymentAttempt.id)).all()
            return [self._snapshot(r).view for r in rows]

    def refund_without_sale(self, attempt_id: str, *, staff_id: str, approved_by: str | None,
                            now: datetime) -> AttemptView:
        """Give back card money taken for a sale that was never recorded. Marked (and
        journalled) only once the provider said the refund went through."""
        row = self._load(attempt_id)
        view = row.view
        with self.store.read() as session:
            recorded = session.get(Order, view.sale_id) is not None
        if view.state is not AttemptState.SUCCEEDED or recorded:
            raise RuleViolation("this card payment belongs to a recorded sale (or took no "
                                "money): refund it as a return", field="pay")
        if self._error_code(attempt_id) == REFUNDED_NO_SALE:
            return view
        provider = self._provider_of(row)
        outcome = provider.refund(view.reference or "", view.amount, row.currency,
                                  f"nosale:{attempt_id}")
        if not outcome.succeeded:
            raise RuleViolation(f"the card refund failed: {outcome.message}", field="pay")
        with self.store.write() as session:
            stored = session.get(PaymentAttempt, attempt_id)
            stored.error_code, stored.message = REFUNDED_NO_SALE, outcome.message[:300]
            audit.append(session, action="payment.refunded_without_sale",
                         entity="payment_attempt", entity_id=attempt_id, actor_id=staff_id,
                         approved_by=approved_by,
                         details={"sale_id": view.sale_id, "amount": view.amount,
                                  "currency": row.currency, "reference": outcome.reference},
                         at=now)
            session.flush()
            return self._snapshot(stored).view

    def withdraw_confirmed(self, attempt_id: str, *, staff_id: str, approved_by: str | None,
                           now: datetime) -> AttemptView:
        """Take back a cashier's mistaken "approved" (the standalone terminal declined, or
        nothing was keyed in): the attempt becomes cancelled, journalled with who approved
        it. Only for an outcome that was the cashier's word, never a provider's."""
        row = self._load(attempt_id)
        if row.view.state is not AttemptState.SUCCEEDED:
            raise RuleViolation("only an approved card payment can be withdrawn", field="pay")
        if not row.view.by_cashier:
            raise RuleViolation(f"this card payment was taken by {row.provider}: it can only be "
                                "refunded", field="pay")
        with self.store.write() as session:
            stored = session.get(PaymentAttempt, attempt_id)
            if stored.status != AttemptState.SUCCEEDED.value:  # withdrawn meanwhile
                return self._snapshot(stored).view
            stored.status, stored.error_code = AttemptState.CANCELED.value, WITHDRAWN
            stored.message = "approval withdrawn by a manager: the terminal took no money"
            audit.append(session, action="payment.card_withdrawn", entity="payment_attempt",
                         entity_id=attempt_id, actor_id=staff_id, approved_by=approved_by,
                         details={"sale_id": stored.sale_id, "amount": stored.amount,
                                  "currency": stored.currency, "card_last4": stored.card_last4},
                         at=now)
            session.flush()
            return self._snapshot(stored).view

    def _error_code(self, attempt_id: str) -> str | None:
        with self.store.read() as session:
            return session.get(PaymentAttempt, attempt_id).error_code

    def succeeded_for(self, sale_id: str) -> list[AttemptView]:
        with self.store.read() as session:
            rows = session.scalars(select(PaymentAttempt)
                                   .where(PaymentAttempt.sale_id == sale_id,
                                          PaymentAttempt.status == AttemptState.SUCCEEDED.value)
                                   .order_by(PaymentAttempt.tender_index,
                                             PaymentAttempt.attempt)).all()
            return [self._snapshot(r).view for r in rows]

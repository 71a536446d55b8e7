"""Card shares of a refund, sent back through the card provider *after* the refund was recorded.

Money must never leave for a refund the till failed to record, so a refund commits first with
its card shares ``pending``; each share is then sent to the provider under its own id as the
idempotency key (a share sent twice — a retry after a lost reply, a second run of the command —
is refunded once) and marked ``done`` with the provider's refund id only once the provider said
so. A share that fails stays ``pending``: owed to the customer, counted by the Z-report, and
sent again by :func:`send_pending` (``tillpoint refund --retry-cards``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.payments.base import PaymentProvider, RefundOutcome
from app.config.settings import Settings
from app.payments.terminal import PROVIDER_LABELS, PROVIDERS, provider_of_reference
from db.engine import LocalStore
from db.models import Order, Payment, Refund, RefundPayment

log = logging.getLogger(__name__)

NO_PROVIDER = "no card provider to refund through"
PENDING = "pending"


def send(store: LocalStore, provider: PaymentProvider | None, refund_id: str, *,
         settings: Settings | None = None) -> dict[str, RefundOutcome]:
    """Send the pending card shares of one recorded refund; returns each share's outcome by
    its id (shares already done are not sent again). A share taken by another provider than
    the till's (a Stripe payment on a till now without a reader) goes to that provider, built
    from ``settings``."""
    with store.read() as session:
        currency = _currency(session, session.get(Refund, refund_id))
        shares = _pending(session, RefundPayment.refund_id == refund_id)
    return _send(store, _Providers(provider, settings), shares, currency)


def send_pending(store: LocalStore, provider: PaymentProvider | None, *,
                 settings: Settings | None = None) -> dict[str, RefundOutcome]:
    """Every card share still owed, oldest first (a failed send, a till that died after the
    commit)."""
    outcomes: dict[str, RefundOutcome] = {}
    with store.read() as session:
        refunds = session.scalars(
            select(Refund).where(Refund.id.in_(
                select(RefundPayment.refund_id).where(RefundPayment.status == PENDING)))
            .order_by(Refund.created_at, Refund.id)).all()
        batches = [(_currency(session, r),
                    _pending(session, RefundPayment.refund_id == r.id)) for r in refunds]
    providers = _Providers(provider, settings)
    for currency, shares in batches:
        outcomes.update(_send(store, providers, shares, currency))
    return outcomes


class _Providers:
    """The provider that took each payment: the till's own, or the one its reference names."""

    def __init__(self, own: PaymentProvider | None, settings: Settings | None) -> None:
        self.own, self.settings = own, settings
        self._built: dict[str, PaymentProvider | None] = {}

    def for_reference(self, reference: str) -> tuple[PaymentProvider | None, str | None]:
        owner = provider_of_reference(reference)
        if owner is None or (self.own is not None and owner == self.own.name):
            return self.own, None
        if self.settings is None or owner not in PROVIDERS:
            return None, owner
        if owner not in self._built:
            self._built[owner] = PROVIDERS[owner](self.settings)
        return self._built[owner], owner


def _currency(session, refund: Refund) -> str:  # noqa: ANN001 - a Session
    return session.get(Order, refund.order_id).currency


def _pending(session, condition) -> list[tuple[str, str | None, int]]:  # noqa: ANN001
    rows = session.execute(
        select(RefundPayment.id, Payment.reference, RefundPayment.amount)
        .join(Payment, Payment.id == RefundPayment.payment_id)
        .where(condition, RefundPayment.status == PENDING,
               RefundPayment.payment_id.is_not(None))
        .order_by(RefundPayment.id)).all()
    return [(share_id, reference, amount) for share_id, reference, amount in rows]


def _send(store: LocalStore, providers: _Providers,
          shares: list[tuple[str, str | None, int]], currency: str) -> dict[str, RefundOutcome]:
    outcomes: dict[str, RefundOutcome] = {}
    for share_id, reference, amount in shares:
        if not reference:
            outcomes[share_id] = RefundOutcome(False, NO_PROVIDER)
            continue
        provider, owner = providers.for_reference(reference)
        if provider is None:  # never marked done by a provider that did not take it
            outcomes[share_id] = RefundOutcome(
                False, NO_PROVIDER if owner is None else f"this card was taken with "
                f"{PROVIDER_LABELS.get(owner, owner)}, which this till is not set up for",
                error_code="other_provider")
            continue
        try:
            outcome = provider.refund(reference, amount, currency, share_id)
        except Exception as exc:  # noqa: BLE001 - the share stays owed, said in words
            log.warning("card refund %s failed: %s", share_id, exc)
            outcome = RefundOutcome(False, f"the card refund failed: {exc}")
        outcomes[share_id] = outcome
        if outcome.succeeded:
            with store.write() as session:
                share = session.get(RefundPayment, share_id)
                if share.status == PENDING:
                    share.status, share.reference = "done", outcome.reference
    return outcomes

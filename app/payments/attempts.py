"""Card payments at the till: every attempt is written to ``payment_attempts`` before and after
each call to the provider, so what a crash leaves behind is resolved by asking the provider about
*that* attempt — never by charging again.

Each step is its own short write transaction and no provider call ever runs inside one: the
provider may take seconds (a reader waiting for a card), and the till's other writers must not
wait behind it. The order of one step is always: record intent (``created``), call the provider,
record what it said.

A :class:`~app.payments.base.ProviderUnavailable` from ``start`` leaves a ``failed`` row (error
code ``payment_unavailable``) rather than none: the attempt number then moves on, so the next
try never reuses an idempotency key the provider might have kept an answer for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.money import check_currency, check_minor, format_amount
from app.payments.base import (AttemptState, AttemptStatus, PaymentProvider, PaymentRequest,
                               ProviderUnavailable)
from app.payments.owed import OwedMixin
from app.payments.card_details import (check_brand, check_last4, check_sale_id, safe_brand,
                                       safe_last4)
from db.base import new_id, utcnow
from db.engine import LocalStore
from db.models import Order, PaymentAttempt

log = logging.getLogger(__name__)

NO_PROVIDER = "card payments unavailable: no card terminal is set up"
#: an attempt someone is following (polling its status) is written at least this often, so
#: a recovery that skips attempts idle for longer than twice this never takes a live one
HEARTBEAT = timedelta(seconds=30)
#: what ``recover`` in a second process (a command beside the window) skips
LIVE_WINDOW = 2 * HEARTBEAT
#: ``error_code`` of an undecided attempt a cancel was asked for: kept until the provider
#: confirms, so a later status poll asks to cancel again instead of taking the card
STOP_REQUESTED = "stop_requested"
_OPEN_STATES = tuple(s.value for s in AttemptState if not s.final)


@runtime_checkable
class ConfirmedByCashier(Protocol):
    """A provider with no link to the till: the cashier reports the outcome it showed."""

    def confirm(self, request: PaymentRequest, approved: bool, last4: str | None = None,
                brand: str | None = None) -> AttemptStatus: ...


@dataclass(frozen=True, slots=True)
class AttemptView:
    attempt_id: str
    sale_id: str
    tender_index: int
    attempt: int
    state: AttemptState
    message: str
    needs_cashier: bool
    reference: str | None
    card_brand: str | None
    card_last4: str | None
    amount: int
    amount_text: str
    #: the outcome is the cashier's word (a standalone terminal), not the provider's
    by_cashier: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Row:
    """A plain copy of one ``payment_attempts`` row, safe to keep between transactions."""

    view: AttemptView
    provider: str
    currency: str
    updated_at: datetime | None = None
    error_code: str | None = None

    @property
    def stopping(self) -> bool:
        """The cashier (or recovery) asked for it to be stopped, and the provider has not
        confirmed yet: it is only ever cancelled from here, never taken."""
        return self.error_code == STOP_REQUESTED

    @property
    def request(self) -> PaymentRequest:
        v = self.view
        return PaymentRequest(v.sale_id, v.tender_index, v.attempt, v.amount, self.currency)


class CardPayments(OwedMixin):
    """The orchestrator over ``payment_attempts`` for one till and its card provider."""

    def __init__(self, store: LocalStore, provider: PaymentProvider | None) -> None:
        self.store = store
        self.provider = provider

    def available(self) -> tuple[bool, str]:
        if self.provider is None:
            return False, NO_PROVIDER
        check = getattr(self.provider, "available", None)
        return check() if callable(check) else (True, "")

    # -- steps -------------------------------------------------------------------------------
    def start(self, sale_id: str, tender_index: int, amount: int, currency: str) -> AttemptView:
        """Hand one tender line's amount to the provider. Refused while an earlier attempt for
        the same line may still succeed (ask its ``status`` first) or after one succeeded."""
        sale_id = check_sale_id(sale_id)
        if isinstance(tender_index, bool) or not isinstance(tender_index, int) or tender_index < 0:
            raise InvalidInput(f"{tender_index!r} is not a tender line", field="pay")
        amount = check_minor(amount, field="amount")
        if amount == 0:
            raise InvalidInput("must be greater than zero", field="amount")
        currency = check_currency(currency)
        provider = self._require_provider()
        attempt_id, request = self._open_attempt(sale_id, tender_index, amount, currency,
                                                 provider.name)
        prepare = getattr(provider, "prepare", None)
        if callable(prepare):
            # The provider's id for the payment (a PaymentIntent) is on record before any
            # reader is asked to take it, so a crash from here on is resolved by that id.
            try:
                prepared = self._record(attempt_id, prepare(request))
            except ProviderUnavailable as exc:
                self._record(attempt_id, _unavailable(exc))
                raise
            except Exception as exc:  # the create may have landed: the same key finds it
                log.exception("card provider %s failed to prepare %s", provider.name,
                              request.key)
                return self._record(attempt_id,
                                    _lost_track("the card payment could not be created", exc))
            if prepared.state.final:
                return prepared
        return self._hand_over(attempt_id, provider, request)

    def _hand_over(self, attempt_id: str, provider: PaymentProvider,
                   request: PaymentRequest) -> AttemptView:
        try:
            outcome = provider.start(request)
        except ProviderUnavailable as exc:
            self._record(attempt_id, _unavailable(exc))
            raise
        except Exception as exc:  # the charge may be on its way: only status can tell
            log.exception("card provider %s failed on start of %s", provider.name, request.key)
            outcome = _lost_track("the card payment could not be followed", exc)
        return self._record(attempt_id, outcome)

    def retry(self, attempt_id: str) -> AttemptView:
        """Hand an undecided attempt to the provider once more (a timeout, a reader that
        dropped it): under the same key, so the *same* payment is retried — never a second
        one beside it. The provider is asked first; a decided or live attempt is not retried."""
        row = self._load(attempt_id)
        if row.view.state.final:
            return row.view
        if row.stopping:
            raise RuleViolation("this card payment is being cancelled: wait until it is, then "
                                "start a new one", field="pay")
        current = self._ask(row, "status", "the card terminal could not be asked")
        if current.state.final or current.state is AttemptState.PROCESSING:
            return self._record(attempt_id, current)
        provider = self._provider_of(row)
        try:
            outcome = provider.start(row.request)
        except Exception as exc:  # it stays undecided: nothing new was created
            log.warning("card provider %s: retry of %s failed: %s", provider.name,
                        row.request.key, exc)
            outcome = _lost_track("the card payment could not be handed over again", exc)
        return self._record(attempt_id, outcome)

    def undecided(self) -> list[AttemptView]:
        """Attempts whose outcome is not known yet (on a reader, or lost track of)."""
        with self.store.read() as session:
            rows = session.scalars(select(PaymentAttempt)
                                   .where(PaymentAttempt.status.in_(_OPEN_STATES))
                                   .order_by(PaymentAttempt.created_at, PaymentAttempt.id)).all()
            return [self._snapshot(r).view for r in rows]

    def probe(self) -> tuple[bool, str]:
        """Whether cards can be taken now, asking the provider over the network when it can be
        asked (:meth:`available` never waits)."""
        if self.provider is None:
            return False, NO_PROVIDER
        probe = getattr(self.provider, "probe", None)
        if not callable(probe):
            return self.available()
        try:
            return probe()
        except Exception as exc:  # noqa: BLE001 - said in words, the till keeps selling
            log.warning("card provider %s: probe failed: %s", self.provider.name, exc)
            return False, f"card payments unavailable: {str(exc)[:120] or type(exc).__name__}"

    def status(self, attempt_id: str) -> AttemptView:
        """The attempt as the provider now sees it (a final attempt is not asked again)."""
        row = self._load(attempt_id)
        if row.view.state.final:
            return row.view
        if row.stopping:  # a cancel whose answer was lost: only a cancel may follow it
            return self._record(attempt_id, self._ask(row, "cancel", STOPPING))
        outcome = self._ask(row, "status", "the card terminal could not be asked")
        if _unchanged(row.view, outcome):  # the window polls twice a second: no empty writes
            if row.updated_at is None or utcnow() - row.updated_at >= HEARTBEAT:
                self._touch(attempt_id)
            return _with_needs_cashier(row.view, outcome.needs_cashier)
        return self._record(attempt_id, outcome)

    def _touch(self, attempt_id: str) -> None:
        """Someone is still following this attempt: ``recover(idle_for=…)`` in another process
        must leave it alone (see :data:`HEARTBEAT`)."""
        with self.store.write() as session:
            session.get(PaymentAttempt, attempt_id).updated_at = utcnow()

    def cancel(self, attempt_id: str) -> AttemptView:
        row = self._load(attempt_id)
        if row.view.state is AttemptState.SUCCEEDED:
            raise RuleViolation("this card payment was taken: refund it instead of cancelling",
                                field="pay")
        if row.view.state.final:
            return row.view
        outcome = self._ask(row, "cancel", STOPPING)
        return self._record(attempt_id, outcome, stop=True)

    def _ask(self, row, call: str, failed: str) -> AttemptStatus:  # noqa: ANN001 - a loaded row
        """``provider.status`` or ``provider.cancel`` for a recorded attempt; a provider that
        fails leaves the outcome unknown (asked again later), never decided."""
        provider = self._provider_of(row)
        try:
            return getattr(provider, call)(row.request, row.view.reference)
        except Exception as exc:
            log.warning("card provider %s: %s of %s failed: %s", provider.name, call,
                        row.request.key, exc)
            return _lost_track(failed, exc)

    def confirm(self, attempt_id: str, approved: bool, last4: str | None = None,
                brand: str | None = None) -> AttemptView:
        """The cashier reports what a standalone terminal showed. Repeating the same answer
        (a double-pressed button) returns the recorded attempt; a different one is refused."""
        if not isinstance(approved, bool):
            raise InvalidInput("must be approved or declined", field="pay")
        last4, brand = check_last4(last4), check_brand(brand)
        row = self._load(attempt_id)
        if row.view.state.final:
            if _same_answer(row.view, approved, last4):
                return row.view
            raise RuleViolation(f"this card payment is already recorded as {row.view.state}: "
                                "it cannot be changed", field="pay")
        provider = self._provider_of(row)
        if not isinstance(provider, ConfirmedByCashier):
            raise RuleViolation(f"the {provider.name} provider reports its own outcome: it "
                                "cannot be confirmed by hand", field="pay")
        current = provider.status(row.request, row.view.reference)
        if current.state.final or not current.needs_cashier:
            return self._record(attempt_id, current)
        return self._record(attempt_id, provider.confirm(row.request, approved, last4, brand))

    def recover(self, *, idle_for: timedelta | None = None) -> list[AttemptView]:
        """On start-up: ask the provider about every attempt a crash left open, so each one is
        resolved (or shown to the cashier to resolve), never charged again. ``idle_for``: only
        attempts untouched for that long (a command beside a running window must not void the
        payment the window is taking right now)."""
        query = (select(PaymentAttempt.id).where(PaymentAttempt.status.in_(_OPEN_STATES))
                 .order_by(PaymentAttempt.created_at, PaymentAttempt.id))
        if idle_for is not None:
            query = query.where(PaymentAttempt.updated_at < utcnow() - idle_for)
        with self.store.read() as session:
            ids = session.scalars(query).all()
        resolved = []
        for attempt_id in ids:
            try:
                resolved.append(self._settle_open(attempt_id))
            except ProviderUnavailable as exc:
                log.warning("open card payment %s left as it is: %s", attempt_id, exc.message)
                resolved.append(self._load(attempt_id).view)
        return resolved

    def _settle_open(self, attempt_id: str) -> AttemptView:
        """One attempt a crash left open. Its sale was never recorded, so nobody will finish
        it: a provider that can void (an authorised but uncaptured PaymentIntent) voids it
        rather than take money that would only have to be refunded."""
        row = self._load(attempt_id)
        with self.store.read() as session:
            recorded = session.get(Order, row.view.sale_id) is not None
        if recorded or not callable(getattr(self._provider_of(row), "void", None)):
            return self.status(attempt_id)
        return self._record(attempt_id,
                            self._ask(row, "void", "the card payment could not be voided"))

    # -- the rows ----------------------------------------------------------------------------
    def _open_attempt(self, sale_id: str, tender_index: int, amount: int, currency: str,
                      provider_name: str) -> tuple[str, PaymentRequest]:
        try:
            with self.store.write() as session:
                earlier = session.scalars(select(PaymentAttempt)
                                          .where(PaymentAttempt.sale_id == sale_id,
                                                 PaymentAttempt.tender_index == tender_index)
                                          .order_by(PaymentAttempt.attempt)).all()
                for row in earlier:
                    _refuse_another(row, tender_index)
                number = (earlier[-1].attempt if earlier else 0) + 1
                row = PaymentAttempt(id=new_id(), sale_id=sale_id, tender_index=tender_index,
                                     attempt=number, provider=provider_name, method="card",
                                     amount=amount, currency=currency,
                                     status=AttemptState.CREATED.value,
                                     message="handing the payment to the card terminal")
                session.add(row)
                session.flush()
                attempt_id = row.id
        except IntegrityError:
            raise RuleViolation("another card payment for this tender line was started at the "
                                "same moment", field="pay") from None
        return attempt_id, PaymentRequest(sale_id, tender_index, number, amount, currency)

    def _record(self, attempt_id: str, outcome: AttemptStatus, *,
                stop: bool = False) -> AttemptView:
        """Write what the provider said. ``stop``: a cancel was asked for — while undecided,
        the attempt keeps :data:`STOP_REQUESTED` so nothing after it takes the card."""
        with self.store.write() as session:
            row = session.get(PaymentAttempt, attempt_id)
            if AttemptState(row.status).final:
                # A decided payment never changes: money taken stays taken in our books.
                if outcome.state.value != row.status:
                    log.warning("attempt %s is %s; the provider now says %s: kept %s",
                                attempt_id, row.status, outcome.state, row.status)
                return self._snapshot(row).view
            row.status = outcome.state.value
            row.message = (outcome.message or "")[:300]
            if outcome.reference:
                row.reference = outcome.reference[:100]
            row.card_brand = safe_brand(outcome.card_brand) or row.card_brand
            row.card_last4 = safe_last4(outcome.card_last4) or row.card_last4
            stopping = row.error_code == STOP_REQUESTED or stop
            row.error_code = (outcome.error_code or "")[:60] or None
            if stopping and not outcome.state.final:
                row.error_code = STOP_REQUESTED
            taken = outcome.amount_taken
            if (outcome.state is AttemptState.SUCCEEDED and isinstance(taken, int)
                    and not isinstance(taken, bool) and 0 < taken < row.amount):
                log.warning("attempt %s: %s taken of %s asked", attempt_id, taken, row.amount)
                row.amount = taken  # the books say what the card paid, the rest stays due
            session.flush()
            return self._snapshot(row, needs_cashier=outcome.needs_cashier).view

    def _load(self, attempt_id: str) -> _Row:
        with self.store.read() as session:
            row = session.get(PaymentAttempt, attempt_id) if isinstance(attempt_id, str) else None
            if row is None:
                raise NotFound(f"no card payment {attempt_id}", field="pay")
            return self._snapshot(row)

    def _snapshot(self, row: PaymentAttempt, needs_cashier: bool | None = None) -> _Row:
        state = AttemptState(row.status)
        if needs_cashier is None:
            needs_cashier = state is AttemptState.PROCESSING and self._by_cashier(row.provider)
        view = AttemptView(
            attempt_id=row.id, sale_id=row.sale_id, tender_index=row.tender_index,
            attempt=row.attempt, state=state, message=row.message or "",
            needs_cashier=bool(needs_cashier) and not state.final, reference=row.reference,
            card_brand=row.card_brand, card_last4=row.card_last4, amount=row.amount,
            amount_text=format_amount(row.amount, row.currency),
            by_cashier=self._by_cashier(row.provider), created_at=row.created_at)
        return _Row(view, row.provider, row.currency, row.updated_at, row.error_code)

    # -- the provider ------------------------------------------------------------------------
    def _by_cashier(self, provider_name: str) -> bool:
        return (self.provider is not None and self.provider.name == provider_name
                and isinstance(self.provider, ConfirmedByCashier))

    def _require_provider(self) -> PaymentProvider:
        if self.provider is None:
            raise ProviderUnavailable(NO_PROVIDER, field="pay")
        return self.provider

    def _provider_of(self, row: _Row) -> PaymentProvider:
        provider = self._require_provider()
        if provider.name != row.provider:
            raise ProviderUnavailable(
                f"this card payment was taken with {row.provider}, which this till is no longer "
                "set up for: set payments.card_provider back to learn how it ended", field="pay")
        return provider


def _refuse_another(row: PaymentAttempt, tender_index: int) -> None:
    state = AttemptState(row.status)
    amount = format_amount(row.amount, row.currency)
    if state is AttemptState.SUCCEEDED:
        raise RuleViolation(f"tender line {tender_index + 1} is already paid by card ({amount})",
                            field="pay")
    if not state.final:
        raise RuleViolation(f"the card payment of {amount} for this tender line is still "
                            f"{state}: ask its status (or cancel it) before starting another",
                            field="pay")


STOPPING = "cancelling the card payment: not confirmed yet"


def _unavailable(exc: ProviderUnavailable) -> AttemptStatus:
    return AttemptStatus(AttemptState.FAILED, exc.message, error_code=ProviderUnavailable.code)


def _lost_track(what: str, exc: Exception) -> AttemptStatus:
    reason = exc.message if isinstance(exc, ProviderUnavailable) else str(exc) or type(exc).__name__
    return AttemptStatus(AttemptState.UNKNOWN, f"{what} ({reason[:150]}): ask its status again",
                         error_code="provider_error")


def _unchanged(view: AttemptView, outcome: AttemptStatus) -> bool:
    return (outcome.state is view.state and (outcome.message or "")[:300] == view.message
            and outcome.reference in (None, view.reference)
            and safe_brand(outcome.card_brand) in (None, view.card_brand)
            and safe_last4(outcome.card_last4) in (None, view.card_last4))


def _with_needs_cashier(view: AttemptView, needs_cashier: bool) -> AttemptView:
    if view.needs_cashier == needs_cashier:
        return view
    return replace(view, needs_cashier=needs_cashier and not view.state.final)


def _same_answer(view: AttemptView, approved: bool, last4: str | None) -> bool:
    if approved:
        return view.state is AttemptState.SUCCEEDED and last4 in (None, view.card_last4)
    return view.state is AttemptState.FAILED

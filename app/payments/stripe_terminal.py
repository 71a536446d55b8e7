"""Stripe Terminal, server-driven: the till creates a ``card_present`` PaymentIntent, hands it to
the configured reader (``process_payment_intent``) and follows it until it is taken, declined or
cancelled. The reader talks to Stripe itself; the till only ever sees the PaymentIntent id and
the card's brand and last four digits.

Safe against lost replies and double charges because:
- one attempt is one PaymentIntent: created under the attempt's idempotency key, so a retried or
  replayed create (a lost reply, a restart) finds the same intent, never a second one;
- capture is manual and only :meth:`status` captures, after checking the intent's state, amount,
  currency and ``metadata.tillpoint_key`` — a card approved while the cashier cancels is voided,
  not taken;
- FAILED or CANCELED is said only once the intent is canceled at Stripe (or never reached a
  reader); whatever cannot be known for sure is UNKNOWN, and asking again settles it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from app.domain.errors import InvalidInput
from app.domain.money import check_currency, format_amount
from app.payments import stripe_state as st
from app.payments.base import (AttemptState, AttemptStatus, PaymentRequest, ProviderUnavailable,
                               RefundOutcome)
from app.payments.stripe_client import Failure, StripeFailure
from app.payments.stripe_link import (NO_KEY, NO_KEYRING, NO_READER, READER_OFFLINE,
                                      ReaderInfo, StripeLink)

__all__ = ["HANDING_OVER", "NO_KEY", "NO_KEYRING", "NO_READER", "READER_OFFLINE", "ReaderInfo",
           "StripeTerminal"]

log = logging.getLogger(__name__)

HANDING_OVER = "handing the payment to the card reader"
_SETTLE_DEPTH = 2  # re-reads after a refused step; each one means Stripe's state moved on


class StripeTerminal(StripeLink):
    """:class:`~app.payments.base.PaymentProvider` for one Stripe Terminal reader."""

    name = "stripe_terminal"

    def __init__(self, api_key: str, reader_id: str, api_base: str | None = None, *,
                 connect_timeout_s: float = 3, read_timeout_s: float = 20,
                 setup_problem: str | None = None) -> None:
        super().__init__(api_key, reader_id, api_base, connect_timeout_s=connect_timeout_s,
                         read_timeout_s=read_timeout_s, setup_problem=setup_problem)
        self._intents: dict[str, str] = {}  # attempt key -> PaymentIntent id
        self._fresh: dict[str, dict[str, Any]] = {}  # created by prepare, not handed over yet
        self._captured: dict[tuple[str, int], str] = {}  # (sale, tender line) -> intent id
        self._capture_tries: dict[str, int] = {}  # attempt key -> captures that got a 500
        self._lock = threading.Lock()

    # -- the provider interface --------------------------------------------------------------
    def prepare(self, request: PaymentRequest) -> AttemptStatus:
        """Create the attempt's PaymentIntent (no reader has it yet), so its id is on record
        before anything can be charged."""
        self._require(need_reader=True)
        _check(request)
        try:
            pi = self._create(request)
        except StripeFailure as failure:
            return self._refused_at_create(failure)
        if not st.handable(pi, request):
            return self._settle(request, pi)
        self._fresh[request.key] = pi
        return AttemptStatus(AttemptState.CREATED, HANDING_OVER, reference=pi["id"])

    def start(self, request: PaymentRequest) -> AttemptStatus:
        """Hand the attempt's PaymentIntent to the reader — the same one on every call, so a
        start after an unknown outcome retries that intent, never creates a second."""
        self._require(need_reader=True)
        _check(request)
        pi = self._fresh.pop(request.key, None)
        if pi is None:
            known = self._intents.get(request.key)
            try:
                pi = self._retrieve(known) if known else self._create(request)
            except StripeFailure as failure:
                return self._lost(failure, known) if known else self._refused_at_create(failure)
        if not st.handable(pi, request):
            return self._settle(request, pi)
        return self._hand_over(request, pi["id"])

    def status(self, request: PaymentRequest, reference: str | None) -> AttemptStatus:
        self._require(need_reader=False)
        reference = reference or self._intents.get(request.key)
        if reference is None:  # the create's reply was lost: the same key says which intent
            try:
                return self._settle(request, self._create(request))
            except StripeFailure as failure:
                return self._lost(failure, None)
        return self._status_of(request, reference)

    def cancel(self, request: PaymentRequest, reference: str | None) -> AttemptStatus:
        """Stop the reader and cancel the intent. An approved but uncaptured card is voided;
        one already captured stays SUCCEEDED (refund it instead)."""
        return self._stop(request, reference, "cancelled")

    def void(self, request: PaymentRequest, reference: str | None) -> AttemptStatus:
        """For an attempt whose sale was never recorded: like :meth:`cancel`, never captures."""
        return self._stop(request, reference, "voided")

    def refund(self, reference: str, amount: int, currency: str, key: str) -> RefundOutcome:
        """Refund against the PaymentIntent, under ``refund:{key}`` so a repeat is one refund."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise InvalidInput("a refund must be a positive whole number of minor units",
                               field="amount")
        currency = check_currency(currency)
        problem = self._setup_problem(need_reader=False)
        if problem:
            return RefundOutcome(False, problem, error_code=ProviderUnavailable.code)
        if not isinstance(reference, str) or not reference.startswith("pi_"):
            return RefundOutcome(False, "this card payment has no Stripe payment to refund",
                                 error_code="no_reference")
        try:
            pi = self._retrieve(reference)
        except StripeFailure as failure:
            return RefundOutcome(False, failure.words, error_code=failure.code or failure.kind)
        marker = f"refund:{key}"
        try:
            # Stripe forgets an idempotency key after a day: a refund sent before (a lost
            # reply, retried the next day) is found by the key it carries, never made twice
            earlier = self._call(self._client.v1.refunds.list,
                                 params={"payment_intent": pi["id"], "limit": 100})
        except StripeFailure as failure:
            return RefundOutcome(False, f"refund not sent: {failure.words}",
                                 error_code=failure.code or failure.kind)
        for made in earlier.get("data") or []:
            if ((made.get("metadata") or {}).get("tillpoint_refund") == marker
                    and made.get("status") not in ("failed", "canceled")):
                return RefundOutcome(True, "refunded "
                                     f"{format_amount(made.get('amount') or 0, currency)} to "
                                     "the card", reference=made.get("id"))
        refused = st.refund_problem(pi, amount, currency)
        if refused:
            return RefundOutcome(False, refused, error_code="amount_too_large")
        return self._refund(pi, amount, currency, marker)

    # -- steps -------------------------------------------------------------------------------
    def _create(self, request: PaymentRequest) -> dict[str, Any]:
        create = self._client.v1.payment_intents.create
        params, options = st.intent_params(request), {"idempotency_key": request.key}
        try:
            pi, replayed = self._call_replayed(create, params=params, options=options)
        except StripeFailure as failure:
            if failure.kind is not Failure.CONNECTION or not failure.sent:
                raise
            # The request left but its reply did not come: the same key makes Stripe answer
            # with what it did (or do it now), so this is never a second intent.
            pi, replayed = self._call_replayed(create, params=params, options=options)
        self._intents[request.key] = pi["id"]
        # A replay is the intent as it was created; what happened since is in a fresh read.
        return self._retrieve(pi["id"]) if replayed else pi

    def _hand_over(self, request: PaymentRequest, pi_id: str) -> AttemptStatus:
        try:
            reader = self._call(self._client.v1.terminal.readers.process_payment_intent,
                                self.reader_id, params={"payment_intent": pi_id})
        except StripeFailure as failure:
            return self._not_handed(request, pi_id, failure)
        self._note_reader(reader)
        return AttemptStatus(AttemptState.PROCESSING, st.PRESENT_CARD, reference=pi_id)

    def _not_handed(self, request: PaymentRequest, pi_id: str,
                    failure: StripeFailure) -> AttemptStatus:
        kind = failure.kind
        if kind in (Failure.CONNECTION, Failure.TRANSIENT):  # it may be on the reader now
            return self._lost(failure, pi_id)
        if kind is Failure.STATE:  # the intent moved on (an earlier hand-over took a card)
            return self._status_of(request, pi_id)
        if kind is Failure.READER_BUSY:
            try:
                reader = self._get_reader()
            except StripeFailure as again:
                return self._lost(again, pi_id)
            if st.action_for(reader, pi_id):  # an earlier hand-over did reach it
                return self._status_of(request, pi_id)
            return self._close(request, pi_id, AttemptState.FAILED, failure.words, failure.code)
        if kind is Failure.AUTH:  # refused outright: no reader has the intent
            raise ProviderUnavailable(failure.words, field="pay") from failure
        words = READER_OFFLINE if kind is Failure.READER_OFFLINE else (
            self._reader_missing() if kind is Failure.MISSING
            else f"card payment refused by Stripe: {failure.words}")
        if kind is Failure.MISSING:
            self._reader_state = words
        outcome = self._close(request, pi_id, AttemptState.FAILED, words, failure.code)
        if outcome.state is AttemptState.FAILED and kind is not Failure.INVALID:
            raise ProviderUnavailable(words, field="pay")
        return outcome

    def _status_of(self, request: PaymentRequest, pi_id: str, *, may_capture: bool = True,
                   depth: int = 0) -> AttemptStatus:
        try:
            pi = self._retrieve(pi_id)
        except StripeFailure as failure:
            return self._lost(failure, pi_id)
        return self._settle(request, pi, may_capture=may_capture, depth=depth)

    def _settle(self, request: PaymentRequest, pi: dict[str, Any], *, may_capture: bool = True,
                depth: int = 0) -> AttemptStatus:
        """What the intent's state means, acting on it where that is safe (capture a checked
        approval, cancel a declined intent)."""
        ref, decision = pi["id"], st.on_intent(pi, request)
        step = decision.next
        if step is st.Next.FOREIGN:
            log.warning("stripe intent %s is not attempt %s's", ref, request.key)
            return AttemptStatus(AttemptState.UNKNOWN, decision.words,
                                 error_code=decision.code)
        self._intents.setdefault(request.key, ref)
        if step is st.Next.SUCCEEDED:
            return self._taken(request, pi)
        if step is st.Next.CAPTURE:
            if not may_capture:
                return AttemptStatus(AttemptState.UNKNOWN, "the card was approved but not "
                                     "taken: cancel again to release it", reference=ref)
            return self._capture(request, pi, depth)
        if step in (st.Next.VOID, st.Next.DECLINED):
            return self._close(request, ref, AttemptState.FAILED, decision.words, decision.code,
                               depth=depth)
        if step is st.Next.CANCELED:
            state = AttemptState.FAILED if decision.code else AttemptState.CANCELED
            return AttemptStatus(state, decision.words, reference=ref, error_code=decision.code)
        if step is st.Next.PROCESSING:
            return AttemptStatus(AttemptState.PROCESSING, decision.words, reference=ref)
        return self._ask_reader(request, ref, may_capture, depth)

    def _ask_reader(self, request: PaymentRequest, ref: str, may_capture: bool,
                    depth: int) -> AttemptStatus:
        try:
            reader = self._get_reader()
        except StripeFailure as failure:
            return self._lost(failure, ref)
        view = st.on_reader(reader, ref)
        if view.settled and depth == 0:  # the reader finished with it since the intent was read
            return self._status_of(request, ref, may_capture=may_capture, depth=1)
        state = AttemptState.PROCESSING if view.waiting else AttemptState.UNKNOWN
        return AttemptStatus(state, view.words, reference=ref, error_code=view.code)

    def _capture(self, request: PaymentRequest, pi: dict[str, Any], depth: int) -> AttemptStatus:
        ref, line = pi["id"], (request.sale_id, request.tender_index)
        with self._lock:
            other = self._captured.get(line)
        if other and other != ref:
            return self._close(request, ref, AttemptState.FAILED,
                               "another card payment already paid this tender line: this "
                               "approval was released", "duplicate_payment", depth=depth)
        try:
            captured = self._call(self._client.v1.payment_intents.capture, ref,
                                  params={"expand": ["latest_charge"]},
                                  options={"idempotency_key": self._capture_key(request.key)})
        except StripeFailure as failure:
            if failure.kind is Failure.TRANSIENT:
                # Stripe keeps a 500 under its key for a day: the next try needs a new key
                # (an intent is captured once whatever the key, so this cannot take twice)
                with self._lock:
                    tries = self._capture_tries.get(request.key, 0)
                    self._capture_tries[request.key] = tries + 1
            if failure.kind in (Failure.STATE, Failure.CARD, Failure.INVALID) \
                    and depth < _SETTLE_DEPTH:
                return self._status_of(request, ref, depth=depth + 1)
            return AttemptStatus(AttemptState.UNKNOWN, "the card was approved; taking the money "
                                 f"is not confirmed ({failure.words}): ask its status again",
                                 reference=ref, error_code=failure.code or "capture_unknown")
        if captured.get("status") != "succeeded" and depth < _SETTLE_DEPTH:
            return self._settle(request, captured, depth=depth + 1)
        return self._taken(request, captured)

    def _capture_key(self, key: str) -> str:
        with self._lock:
            tries = self._capture_tries.get(key, 0)
        return f"{key}:capture" if tries == 0 else f"{key}:capture:{tries}"

    def _taken(self, request: PaymentRequest, pi: dict[str, Any]) -> AttemptStatus:
        with self._lock:
            self._captured.setdefault((request.sale_id, request.tender_index), pi["id"])
        brand, last4 = st.card_of(pi)
        shown = f" ({brand.upper()} ending {last4})" if brand and last4 else ""
        received = pi.get("amount_received")
        if isinstance(received, int) and 0 < received < request.amount:
            # captured in part outside the till (the Dashboard): the books say what was taken
            taken = format_amount(received, request.currency)
            return AttemptStatus(AttemptState.SUCCEEDED,
                                 f"approved{shown}, but only {taken} was taken: take the rest "
                                 "another way", reference=pi["id"], card_brand=brand,
                                 card_last4=last4, amount_taken=received)
        return AttemptStatus(AttemptState.SUCCEEDED, f"approved{shown}", reference=pi["id"],
                             card_brand=brand, card_last4=last4)

    def _stop(self, request: PaymentRequest, reference: str | None, verb: str) -> AttemptStatus:
        self._require(need_reader=False)
        ref = reference or self._intents.get(request.key)
        try:
            pi = self._retrieve(ref) if ref else self._create(request)
        except StripeFailure as failure:
            return self._lost(failure, ref)
        ref, decision = pi["id"], st.on_intent(pi, request)
        if decision.next in (st.Next.FOREIGN, st.Next.SUCCEEDED, st.Next.CANCELED,
                             st.Next.PROCESSING):
            return self._settle(request, pi, may_capture=False)
        stopped = self._stop_reader(ref)
        if stopped is not None:
            return self._lost(stopped, ref)
        if decision.next in (st.Next.DECLINED, st.Next.VOID):
            return self._close(request, ref, AttemptState.FAILED, decision.words, decision.code)
        words = (f"{verb}: the card's approval was released"
                 if pi.get("status") == "requires_capture" else f"{verb}: nothing was taken")
        return self._close(request, ref, AttemptState.CANCELED, words, None)

    def _stop_reader(self, ref: str) -> StripeFailure | None:
        """Cancel the reader's action when it is on this intent; a failure that leaves it
        unknown whether the reader stopped is returned."""
        if not self.reader_id:
            return None
        try:
            reader = self._get_reader()
            action = st.action_for(reader, ref)
            if action and action.get("status") == "in_progress":
                self._call(self._client.v1.terminal.readers.cancel_action, self.reader_id)
        except StripeFailure as failure:
            # Only a lost reply matters: cancelling the intent below stops a reader on it anyway.
            return failure if failure.kind is Failure.CONNECTION else None
        return None

    def _close(self, request: PaymentRequest, pi_id: str, state: AttemptState, words: str,
               code: str | None, *, depth: int = 0) -> AttemptStatus:
        """Cancel the intent at Stripe, then (only then) report ``state``. A cancel refused
        because the intent moved on is settled from its new state — never by capturing."""
        try:
            pi = self._call(self._client.v1.payment_intents.cancel, pi_id)
        except StripeFailure as failure:
            if failure.kind is Failure.STATE and depth < _SETTLE_DEPTH:
                return self._status_of(request, pi_id, may_capture=False, depth=depth + 1)
            # not "cancelled" nor "declined" yet: only Stripe's answer may say so
            return AttemptStatus(AttemptState.UNKNOWN, "waiting for Stripe to confirm the "
                                 f"payment was stopped ({failure.words})", reference=pi_id,
                                 error_code=code)
        if pi.get("status") != "canceled":
            return AttemptStatus(AttemptState.UNKNOWN, "waiting for Stripe to confirm the "
                                 "payment was stopped", reference=pi_id, error_code=code)
        return AttemptStatus(state, words, reference=pi_id, error_code=code)

    def _refund(self, pi: dict[str, Any], amount: int, currency: str,
                marker: str) -> RefundOutcome:
        try:
            refund = self._call(self._client.v1.refunds.create,
                                params={"payment_intent": pi["id"], "amount": amount,
                                        "metadata": {"tillpoint_refund": marker}},
                                options={"idempotency_key": marker})
        except StripeFailure as failure:
            _, left = st.left_to_refund(pi)
            words = (f"refund refused: only {format_amount(left, currency)} is left to refund"
                     if amount > left and failure.kind is not Failure.CONNECTION
                     else f"refund refused: {failure.words}")
            return RefundOutcome(False, words, error_code=failure.code or failure.kind)
        if refund.get("status") in ("failed", "canceled"):
            return RefundOutcome(False, f"the refund {refund.get('status')} at Stripe",
                                 reference=refund.get("id"),
                                 error_code=refund.get("failure_reason") or "refund_failed")
        return RefundOutcome(True, f"refunded {format_amount(amount, currency)} to the card",
                             reference=refund.get("id"))

    def _refused_at_create(self, failure: StripeFailure) -> AttemptStatus:
        if failure.kind in (Failure.CONNECTION, Failure.AUTH, Failure.TRANSIENT):
            # Nothing can be charged: no reader was given an intent.
            raise ProviderUnavailable(failure.words, field="pay") from failure
        if failure.kind is Failure.IDEMPOTENCY:
            return AttemptStatus(AttemptState.UNKNOWN, f"{failure.words}: ask a manager",
                                 error_code="idempotency_error")
        return AttemptStatus(AttemptState.FAILED, f"card payment refused by Stripe: "
                             f"{failure.words}", error_code=failure.code or failure.kind)

    @staticmethod
    def _lost(failure: StripeFailure, ref: str | None) -> AttemptStatus:
        words = failure.words if failure.kind is not Failure.MISSING else \
            "this payment was not found at Stripe"
        return AttemptStatus(AttemptState.UNKNOWN, f"{words}: ask its status again",
                             reference=ref, error_code=failure.code or str(failure.kind))


def _check(request: PaymentRequest) -> None:
    amount = request.amount
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput("a card payment must be a positive whole number of minor units",
                           field="amount")
    check_currency(request.currency)

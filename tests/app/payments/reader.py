"""A linked card reader for the attempt tests: a small in-memory card network that keeps the
provider rules of app.payments.base (idempotent per key, outcomes as states), and watches how
the till calls it — whether the attempt was written first, and that no write transaction is
held while the till waits on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.payments.base import (AttemptState, AttemptStatus, PaymentRequest, ProviderUnavailable,
                               RefundOutcome)
from db.engine import LocalStore
from db.models import PaymentAttempt


class Crash(BaseException):
    """The till process dying mid-call (not an error the till could catch and handle)."""


@dataclass
class LinkedReader:
    store: LocalStore
    name: str = "linked"
    #: what the next start does: "approve", "decline", "wait", "offline", "timeout",
    #: "crash_before" (dies before the reader saw it), "crash_after" (dies after charging)
    mode: str = "approve"
    charges: dict[str, int] = field(default_factory=dict)  # key -> amount taken
    seen: dict[str, AttemptState] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (call, key, row status)

    def _watch(self, call: str, request: PaymentRequest) -> None:
        assert self.store.writer.pool.checkedout() == 0, f"{call} called inside a write transaction"
        with self.store.read() as session:
            status = session.scalar(select(PaymentAttempt.status).where(
                PaymentAttempt.sale_id == request.sale_id,
                PaymentAttempt.tender_index == request.tender_index,
                PaymentAttempt.attempt == request.attempt))
        self.calls.append((call, request.key, status))

    def start(self, request: PaymentRequest) -> AttemptStatus:
        self._watch("start", request)
        if self.mode == "offline":
            raise ProviderUnavailable("card payments unavailable: the reader is offline")
        if self.mode == "crash_before":
            raise Crash()
        if request.key in self.seen:  # a retry of the same key is the same payment
            return self._status_of(request)
        if self.mode == "decline":
            self.seen[request.key] = AttemptState.FAILED
        elif self.mode == "wait":
            self.seen[request.key] = AttemptState.PROCESSING
        else:
            self.seen[request.key] = AttemptState.SUCCEEDED
            self.charges[request.key] = request.amount
        if self.mode == "crash_after":
            raise Crash()
        if self.mode == "timeout":
            raise TimeoutError("no answer from the reader in 30 s")
        return self._status_of(request)

    def status(self, request: PaymentRequest, reference: str | None) -> AttemptStatus:
        self._watch("status", request)
        return self._status_of(request)

    def cancel(self, request: PaymentRequest, reference: str | None) -> AttemptStatus:
        self._watch("cancel", request)
        if self.seen.get(request.key) is not AttemptState.SUCCEEDED:
            self.seen[request.key] = AttemptState.CANCELED
        return self._status_of(request)

    def refund(self, reference: str, amount: int, currency: str, key: str) -> RefundOutcome:
        return RefundOutcome(True, "refunded", reference=f"re_{key}")

    def finish(self, key: str, amount: int) -> None:
        """The customer's card went through on the reader."""
        self.seen[key] = AttemptState.SUCCEEDED
        self.charges[key] = amount

    def _status_of(self, request: PaymentRequest) -> AttemptStatus:
        state = self.seen.get(request.key)
        ref = f"pi_{request.key}"
        if state is None:  # the reader never got it: nothing can have been taken
            return AttemptStatus(AttemptState.CANCELED, "never reached the reader")
        if state is AttemptState.SUCCEEDED:
            return AttemptStatus(state, "approved", reference=ref, card_brand="visa",
                                 card_last4="4242")
        if state is AttemptState.FAILED:
            return AttemptStatus(state, "declined: insufficient funds", reference=ref,
                                 error_code="card_declined")
        if state is AttemptState.CANCELED:
            return AttemptStatus(state, "cancelled", reference=ref)
        return AttemptStatus(state, "present card", reference=ref)

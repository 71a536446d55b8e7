"""The till's one door to the register services: every call off the UI thread, outcomes as signals.

Widgets never call :class:`~app.till.register.RegisterSession` themselves. They ask the
controller (``controller.call("scan", text)``); the call runs on the task runner's single
database worker (or the I/O pool for card calls), so the cashier's actions are served in the
order they were made and the UI thread never waits. What comes back is announced by type, so
every page that shows a cart repaints from the same ``cart_changed`` whoever caused it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Callable, Literal

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication
from shiboken6 import isValid

from app.domain.errors import DomainError
from app.domain.permissions import Permission
from app.till import ApprovalNeeded
from app.till.views import (CartView, PaymentView, RefundResult, ReturnSaleView, SaleResult,
                            SearchResult, ShiftView, SignedIn, ZReport)
from db.engine import StoreError
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

CallKind = Literal["db", "io"]

UNEXPECTED = "Something went wrong; it is in the log"
#: calls whose ``None`` result means the register is now locked (nobody signed in)
LOCKING_CALLS = frozenset({"lock", "sign_out"})
#: fields whose errors are worth a beep: the cashier is looking at the customer, not the screen
AUDIBLE_FIELDS = frozenset({"scan"})


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A manager must approve ``method``: ask for their PIN, then ``retry(approver_id)``."""

    permission: Permission
    message: str
    method: str
    retry: Callable[[str], None]


class TillController(QObject):
    """Runs :class:`RegisterSession` methods on the task runner and reports their outcome.

    Signals (GUI thread): ``cart_changed(CartView)``, ``payment_changed(PaymentView)``,
    ``sale_completed(SaleResult)``, ``signed_in(SignedIn)``, ``locked()``,
    ``shift_changed(ShiftView)``, ``report_ready(ZReport)``, ``search_results(SearchResult)``
    (only the answer to the latest search text), ``sale_found(ReturnSaleView)``,
    ``refund_done(RefundResult)``, ``error(field, message)``, ``approval_needed(ApprovalRequest)``,
    ``busy_changed(bool)``, ``notice(str)`` and ``error_sound()`` (an audible error was beeped).
    """

    cart_changed = Signal(object)
    payment_changed = Signal(object)
    sale_completed = Signal(object)
    signed_in = Signal(object)
    locked = Signal()
    shift_changed = Signal(object)
    report_ready = Signal(object)
    search_results = Signal(object)
    sale_found = Signal(object)
    refund_done = Signal(object)
    error = Signal(str, str)
    approval_needed = Signal(object)
    busy_changed = Signal(bool)
    notice = Signal(str)
    error_sound = Signal()

    def __init__(self, session: Any, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        #: the runner calls go through (pages print and render on its I/O pool too)
        self.runner = runner
        self._outstanding = 0
        self._latest_query: str | None = None
        self._by_type: tuple[tuple[type, Signal], ...] = (
            (CartView, self.cart_changed), (PaymentView, self.payment_changed),
            (SaleResult, self.sale_completed), (SignedIn, self.signed_in),
            (ZReport, self.report_ready), (SearchResult, self.search_results),
            (RefundResult, self.refund_done), (ReturnSaleView, self.sale_found),
            (ShiftView, self.shift_changed),
        )

    @property
    def busy(self) -> bool:
        """A call is outstanding (Pay/Complete stay disabled meanwhile: a double press is safe)."""
        return self._outstanding > 0

    def call(self, method: str, *args: Any, on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[DomainError], None] | None = None, kind: CallKind = "db",
             owner: QObject | None = None, **kwargs: Any) -> None:
        """Run ``session.<method>(*args, **kwargs)`` off the UI thread.

        On success the result's signal is emitted, then ``on_done(result)``. A refusal emits
        ``error(field, message)`` (or ``approval_needed``) and then ``on_error(exc)``, so a
        dialog can keep itself open on its own field's error. Every failure reaches
        ``on_error`` as a :class:`DomainError`: a bug or a broken store arrives as one with
        field "" and words fit to show, so no widget waits for ever on an answer that came
        back as something else. The callbacks are skipped once
        ``owner`` (or the QObject a callback is a method of) has been deleted: a dialog closed
        with Esc before its answer arrived is gone, while the signals still tell the rest.
        """
        if self.runner.closed:  # the window is closing: a late timer or key does nothing
            return
        # bound here, not passed through run(): a session keyword (park's ``label``) must not
        # collide with the runner's own keywords
        work = functools.partial(getattr(self.session, method), *args, **kwargs)
        if method == "search" and args:
            self._latest_query = args[0]
        self._set_outstanding(self._outstanding + 1)
        self.runner.run(
            work, kind=kind, label=f"till {method}", owner=self,
            on_success=lambda result: self._succeeded(method, args, result,
                                                      _guarded(on_done, owner)),
            on_failure=lambda exc: self._failed(method, args, kwargs, exc, on_done, on_error,
                                                kind, owner))

    def search(self, text: str, **kwargs: Any) -> None:
        """Search as you type: an answer to an older keystroke is dropped when it arrives."""
        self.call("search", text, **kwargs)

    def clear_search(self) -> None:
        """Forget the pending query, so a late answer does not reopen a closed results list."""
        self._latest_query = None

    # -- outcomes ----------------------------------------------------------------------------

    def _succeeded(self, method: str, args: tuple, result: Any,
                   on_done: Callable[[Any], None] | None) -> None:
        try:
            # judged by the text asked for, not the answer's (the service may normalise it)
            if method == "search" and args and args[0] != self._latest_query:
                return
            self._announce(method, result)
            if on_done is not None:
                on_done(result)
        finally:
            self._set_outstanding(self._outstanding - 1)

    def _announce(self, method: str, result: Any) -> None:
        if result is None and method in LOCKING_CALLS:
            self.locked.emit()
            return
        for kind, signal in self._by_type:
            if isinstance(result, kind):
                signal.emit(result)
                break
        if isinstance(result, CartView) and result.notice:
            self.notice.emit(result.notice)
        elif isinstance(result, SignedIn) and result.cart is not None:
            self.cart_changed.emit(result.cart)
            # a held cart that came back without a part that no longer prices says so
            if result.cart.notice:
                self.notice.emit(result.cart.notice)

    def _failed(self, method: str, args: tuple, kwargs: dict, exc: BaseException,
                on_done: Callable[[Any], None] | None,
                on_error: Callable[[DomainError], None] | None, kind: CallKind,
                owner: QObject | None) -> None:
        try:
            error = as_domain_error(exc)
            if isinstance(error, ApprovalNeeded):
                self.approval_needed.emit(ApprovalRequest(
                    error.permission, error.message, method,
                    self._retry(method, args, kwargs, on_done, on_error, kind, owner)))
            else:
                self._report(error.field or "", error.message)
            on_error = _guarded(on_error, owner)
            if on_error is not None:
                on_error(error)
        finally:
            self._set_outstanding(self._outstanding - 1)

    def _retry(self, method: str, args: tuple, kwargs: dict,
               on_done: Callable[[Any], None] | None,
               on_error: Callable[[DomainError], None] | None,
               kind: CallKind, owner: QObject | None) -> Callable[[str], None]:
        def retry(approver_id: str) -> None:
            self.call(method, *args, on_done=on_done, on_error=on_error, kind=kind, owner=owner,
                      **{**kwargs, "approver_id": approver_id})
        return retry

    def _report(self, field: str, message: str) -> None:
        self.error.emit(field, message)
        if field in AUDIBLE_FIELDS:
            QApplication.beep()
            self.error_sound.emit()

    def _set_outstanding(self, count: int) -> None:
        was_busy = self.busy
        self._outstanding = count
        if self.busy != was_busy:
            self.busy_changed.emit(self.busy)


def as_domain_error(exc: BaseException) -> DomainError:
    """``exc`` as the till shows it: a refusal as it is, a broken store or a bug in words."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, StoreError):
        return DomainError(f"The local store cannot be used: {exc}", field="")
    # a bug (or the database failing under us): the task runner logged it with its traceback
    return DomainError(UNEXPECTED, field="")


class InFlight:
    """One call of an action at a time: pressed again while its call is out, it does nothing.

    Per action, not per controller: a scan on its way must not swallow the F12 pressed after
    it (the database worker serves calls in order, so the payment begins after the scan).
    ``changed(busy)`` lets the widget grey its button out meanwhile (a bound method of the
    widget: it is skipped once the widget is deleted).
    """

    def __init__(self, changed: Callable[[bool], None] | None = None) -> None:
        self._busy = False
        self._changed = changed

    @property
    def busy(self) -> bool:
        return self._busy

    def run(self, controller: "TillController", method: str, *args: Any,
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[DomainError], None] | None = None, **kwargs: Any) -> bool:
        """``controller.call(method, ...)`` unless one is out already; True if it was made."""
        if self._busy:
            return False
        self._set(True)

        def done(result: Any) -> None:
            self._set(False)
            callback = _guarded(on_done, None)  # a method of a widget deleted meanwhile: skip
            if callback is not None:
                callback(result)

        def failed(error: DomainError) -> None:
            self._set(False)
            callback = _guarded(on_error, None)
            if callback is not None:
                callback(error)
        controller.call(method, *args, on_done=done, on_error=failed, **kwargs)
        return True

    def _set(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            changed = _guarded(self._changed, None)  # the widget may be gone by the answer
            if changed is not None:
                changed(busy)


def _guarded(callback: Callable[[Any], None] | None,
             owner: QObject | None) -> Callable[[Any], None] | None:
    """``callback``, or None when its owner (or the QObject it is a method of) is deleted."""
    if callback is None:
        return None
    bound_to = getattr(callback, "__self__", None)
    for holder in (owner, bound_to):
        if isinstance(holder, QObject) and not isValid(holder):
            return None
    return callback

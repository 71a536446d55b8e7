"""The till screen: sign-in, selling and payment pages behind one status strip.

It switches pages on the controller's signals only — whoever made the call (a key, a dialog,
a timer), the screen follows the register's state: signed in → selling; a payment begun →
payment; the payment page finished or a cart came back → selling; locked → sign-in.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QStackedWidget, QVBoxLayout, QWidget

from app import printing
from app.till.views import CartView, PaymentView, ShiftView, SignedIn, ZReport
from ui.till.approval_dialog import ApprovalPrompter
from ui.till.cards_taken import CardsTakenPanel
from ui.till.controller import TillController
from ui.till.dialog_slot import DialogSlot
from ui.till.idle_lock import IdleLock
from ui.till.payment_panel import PaymentPanel
from ui.till.return_dialog import ReturnDialog
from ui.till.selling_page import SellingPage
from ui.till.shift_dialogs import CashMovementDialog, CloseShiftDialog, OpenShiftDialog
from ui.till.signin_page import SignInPage
from ui.till.status_strip import StatusStrip

log = logging.getLogger(__name__)

HIGH_CONTRAST = Path(__file__).resolve().parents[2] / "resources" / "styles" / "high_contrast.qss"
PAGES = ("signin", "selling", "payment")


def high_contrast_stylesheet(path: Path = HIGH_CONTRAST) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.warning("no high-contrast style sheet at %s", path)
        return ""


class RegisterScreen(QWidget):
    """``registerScreen``: ``statusStrip`` over a stack of ``signInPage``, ``sellingPage`` and
    ``paymentPanel``. Also installs the inactivity lock and the manager-approval prompt, and
    opens the shift and return dialogs the selling page asks for."""

    def __init__(self, controller: TillController, settings: Any | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("registerScreen")
        self.setAccessibleName("Till")
        self.controller = controller
        self._settings = settings
        self._signed: SignedIn | None = None
        self.dialogs = DialogSlot(self._refocus)  # a shift/return dialog opened by this screen

        self.status_strip = StatusStrip()
        #: card money no sale recorded: stays over every page until a manager refunds it
        self.cards_taken = CardsTakenPanel(controller)
        self.signin_page = SignInPage(controller)
        self.selling_page = SellingPage(controller)
        self.payment_page = PaymentPanel(controller, settings)
        self.pages = QStackedWidget()
        self.pages.setObjectName("registerPages")
        for page in (self.signin_page, self.selling_page, self.payment_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.status_strip)
        layout.addWidget(self.cards_taken)
        layout.addWidget(self.pages, 1)

        self.approvals = ApprovalPrompter(controller, self)
        self.idle_lock = IdleLock(controller, int(self._setting("till.lock_after_seconds", 300)),
                                  self)
        if self._setting("till.high_contrast", False):
            self.setStyleSheet(high_contrast_stylesheet())
            self.setProperty("theme", "high_contrast")
            # inside the window a plain QWidget paints no style-sheet background: the pages
            # would sit on the window's light grey
            self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)

        # after the prompter's own slot (connected first), which has opened the dialog by then
        controller.approval_needed.connect(lambda _request: self._follow_approval())
        controller.signed_in.connect(self._signed_in)
        controller.locked.connect(self._locked)
        controller.cart_changed.connect(self._cart_changed)
        controller.shift_changed.connect(self._shift_changed)
        controller.report_ready.connect(self._report)
        controller.error.connect(self._error)
        self.payment_page.finished.connect(self._payment_finished)
        self.payment_page.next_scan.connect(self.selling_page.scan_code)
        self.selling_page.return_requested.connect(
            lambda: self._open(ReturnDialog(controller, self)))
        self.selling_page.cash_requested.connect(
            lambda: self._open(CashMovementDialog(controller, self)))
        self.selling_page.close_shift_requested.connect(
            lambda: self._open(CloseShiftDialog(controller, self,
                                                printing=self.payment_page.receipts)))
        controller.sale_completed.connect(self._sale_completed)
        controller.payment_changed.connect(self._payment_changed)
        self._show("signin")
        self._warm_up_receipts()
        self.cards_taken.refresh()

    # -- public ---------------------------------------------------------------------------------

    def attach_sync(self, controller) -> None:  # noqa: ANN001 - ui.sync_controller.SyncController
        """Show the window's sync state (online/offline, pending) in the status strip."""
        self.status_strip.attach_sync(controller)

    def current_page_name(self) -> str:
        return PAGES[self.pages.currentIndex()]

    @property
    def signed(self) -> SignedIn | None:
        return self._signed

    @property
    def dialog(self) -> QDialog | None:
        """The shift or return dialog this screen has open, if any."""
        return self.dialogs.dialog

    # -- following the register ----------------------------------------------------------------

    def _signed_in(self, signed: SignedIn) -> None:
        self._signed = signed
        self.cards_taken.set_signed_in(True)
        self.status_strip.show_signed_in(signed)
        self._show("selling")
        self.selling_page.favourites.load()
        if signed.cart is None:
            self.controller.call("cart")
        if signed.shift is None:
            self.open_shift()

    def _locked(self) -> None:
        self._signed = None
        self.cards_taken.set_signed_in(False)
        self._close_dialogs()
        self.status_strip.show_locked()
        self._show("signin")

    def _cart_changed(self, _view: CartView) -> None:
        if self._signed is not None and self.current_page_name() != "selling" \
                and self.payment_page.view is None:
            self._show("selling")

    def _payment_changed(self, view: PaymentView) -> None:
        self._show("payment")
        if view.notice:  # e.g. a late card answer for a sale no longer on screen: now listed
            self.cards_taken.refresh()

    def _sale_completed(self, _sale: object) -> None:
        self.cards_taken.refresh()

    def _payment_finished(self) -> None:
        if self._signed is not None:
            self._show("selling")

    def _shift_changed(self, shift: ShiftView) -> None:
        self.status_strip.show_shift(shift)
        if isinstance(self.dialog, OpenShiftDialog):  # opened elsewhere (or by this dialog)
            self.dialog.accept()

    def _report(self, report: ZReport) -> None:
        self.status_strip.show_report(report)

    def _error(self, field: str, _message: str) -> None:
        # selling needs an open shift: offer to open one rather than leave the cashier stuck
        if field == "shift" and self._signed is not None and self.dialog is None:
            self.open_shift()

    def _follow_approval(self) -> None:
        dialog = self.approvals.dialog
        if dialog is not None:
            dialog.finished.connect(lambda _result: QTimer.singleShot(0, self, self._refocus))

    def _refocus(self) -> None:
        if self.current_page_name() == "selling":
            self.selling_page.focus_scan()
        elif self.current_page_name() == "payment":
            self.payment_page.refocus()

    def open_shift(self) -> None:
        self._open(OpenShiftDialog(self.controller, self))

    # -- pages and dialogs ---------------------------------------------------------------------

    def _show(self, name: str) -> None:
        page = self.pages.widget(PAGES.index(name))
        if self.pages.currentWidget() is not page:
            self.pages.setCurrentWidget(page)
        if name == "selling":
            QTimer.singleShot(0, self.selling_page, self.selling_page.focus_scan)

    def _open(self, dialog: QDialog) -> None:
        self.dialogs.open(dialog)

    def _close_dialogs(self) -> None:
        self.dialogs.close()
        self.selling_page.dialogs.close()
        if self.approvals.dialog is not None:
            self.approvals.dialog.reject()

    def _warm_up_receipts(self) -> None:
        # the first receipt of the day would load reportlab and its fonts on the database
        # worker (~0.3 s), holding up the next customer's scans: done now, on the I/O pool
        runner = self.controller.runner
        if not runner.closed:
            runner.run(printing.warm_up, kind="io", label="till warm up receipts", owner=self)

    def _setting(self, key: str, default: Any) -> Any:
        if self._settings is None:
            return default
        try:
            return self._settings.get(key)
        except Exception:  # noqa: BLE001 - a bad settings file must not stop the till
            log.warning("setting %s unreadable; using %r", key, default, exc_info=True)
            return default

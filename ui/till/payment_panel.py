"""The payment page: what is due, the tenders taken so far, cash (with quick amounts), card and
store credit, split across as many as the customer likes; Complete only once fully paid.

Keys (the amount field keeps focus): type an amount, then Enter or F1 cash / F2 card / F3 store
credit (F1–F3 with no amount = the rest due). F5… quick cash. Up/Down choose a tender, Ctrl+Del
removes it. A standalone card terminal: Enter when it approved, Esc when it declined; a linked
reader (Stripe Terminal): Esc cancels it, F4 hands an undecided payment to it again. F12
completes (so does an empty Enter once fully paid: an empty Enter never takes money). A code
scanned into the amount field is refused, not taken as cash. Esc otherwise goes back to the
cart (refused by the register once a card was captured). After the sale the same page offers
the receipt (``after_sale``) and then says ``finished``. Whether cards can be taken is asked
when the page opens and every few seconds while they cannot.

Each action has its own in-flight guard (one tender, one completion at a time), so a key
pressed twice acts once, while a call of another kind still queued does not block it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QListWidgetItem, QStackedWidget, QVBoxLayout, QWidget

from app.payments.base import AttemptState
from app.till.views import CardProgress, PaymentView, SaleResult, TenderView
from ui.till.after_sale import AfterSalePanel
from ui.till.controller import InFlight, TillController
from ui.till.payment_layout import QUICK_CASH_KEYS, PaymentLayout
from ui.till.receipt_output import ReceiptOutput
from ui.till.scan_timing import ScanTiming

CARD_POLL_MS = 500
CARD_RECHECK_MS = 5000  # how often an unusable card reader is asked again
#: errors of these fields are about this page and show under the amount
PAYMENT_FIELDS = frozenset({"amount", "pay", "card", "credit", "customer", "order", ""})
SCANNED = "That was a scan, not an amount: Esc to go back to the cart"
CARD_WAITING = ("The card terminal is waiting: clear the amount (Esc), then Enter if it approved "
                "or Esc if it declined")
STILL_DUE = ("Still due {due}: type the amount handed over and Enter, or F1 for exactly "
             "{due}; F12 completes once paid")


class PaymentPanel(PaymentLayout, QWidget):
    """``dueLabel``, ``paidLabel``, ``changeLabel``, ``tenderList``, ``amountField``,
    ``cashTenderButton``, ``cardTenderButton``, ``creditTenderButton``, ``quickCash0..3``,
    ``completeButton``, ``cardStatusLabel`` with ``cardApprovedButton``/``cardDeclinedButton``
    (standalone terminal) or ``cardCancelButton`` and ``cardRetryButton``; then the after-sale
    page."""

    #: the payment page is done: the sale completed and the receipt was dealt with, or the
    #: cashier went back to the cart
    finished = Signal()
    #: a code scanned on the after-sale page: it starts the next sale
    next_scan = Signal(str)

    def __init__(self, controller: TillController, settings: Any | None = None,
                 parent: QWidget | None = None, *, receipts: ReceiptOutput | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paymentPanel")
        self.setAccessibleName("Payment")
        self._controller = controller
        self.receipts = receipts or ReceiptOutput(controller, controller.runner, settings, self)
        self.view: PaymentView | None = None
        self._tendering = InFlight(self._busy_changed)
        self._completing = InFlight(self._busy_changed)
        self._leaving = InFlight()
        self._polling = InFlight()
        self._checking = InFlight()

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_tender_page())
        self.amount_field.returnPressed.connect(self.enter)
        self.amount_field.installEventFilter(self)
        self.timing = ScanTiming(self.amount_field)
        self.after_sale = AfterSalePanel(controller, self.receipts)
        self.after_sale.done.connect(self._after_sale_done)
        self.after_sale.scanned.connect(self.next_scan)
        self.pages.addWidget(self.after_sale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self._poll = QTimer(self)
        self._poll.setInterval(CARD_POLL_MS)
        self._poll.timeout.connect(self._poll_card)
        self._recheck = QTimer(self)
        self._recheck.setInterval(CARD_RECHECK_MS)
        self._recheck.timeout.connect(self._check_card)

        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.back)

        # bound methods only: Qt drops them with the panel (a lambda would outlive it)
        controller.payment_changed.connect(self.show_payment)
        controller.sale_completed.connect(self.show_sale)
        controller.locked.connect(self._locked)
        controller.error.connect(self._error)

    # -- showing -----------------------------------------------------------------------------

    def show_payment(self, view: PaymentView) -> None:
        new_sale = self.view is None or self.view.sale_id != view.sale_id
        self.view = view
        if new_sale:
            # ask the provider (Stripe reachable? reader online?) so an unusable reader is said
            # before the cashier presses Card; asked again while it stays unusable, so the
            # Card button comes back with the connection
            self._check_card()
        if view.card_available:
            self._recheck.stop()
        else:
            self._recheck.start()
        self.pages.setCurrentIndex(0)
        self.due_label.setText(view.due_text)
        self.paid_label.setText(view.paid_text)
        self.change_label.setText(view.change_text)
        self.total_label.setText(view.total_text)
        chosen = self.tender_list.currentRow()
        self.tender_list.clear()
        for tender in view.tenders:
            shown = f"{tender.label}   {tender.amount_text}"
            if tender.tendered_text and tender.tendered_text != tender.amount_text:
                shown += f"   (handed {tender.tendered_text})"
            if tender.removable_by_manager:
                shown += "   (a manager may remove it: Ctrl+Del)"
            item = QListWidgetItem(shown)
            item.setData(Qt.ItemDataRole.UserRole, tender.index)
            self.tender_list.addItem(item)
        if 0 <= chosen < self.tender_list.count():
            self.tender_list.setCurrentRow(chosen)
        for button, quick in zip(self.quick_cash, _padded(view.quick_cash)):
            if quick is None:
                button.hide()
                continue
            key = QUICK_CASH_KEYS[self.quick_cash.index(button)]
            button.setText(f"{quick[1]} ({key})")
            button.setProperty("amount_text", quick[1])
            button.setVisible(view.due > 0)
        self.card_button.setToolTip(view.card_unavailable_reason or "Pay by card (F2)")
        self.notice.show_message(view.notice or "")
        self.notice.setVisible(bool(view.notice))
        self._show_card(view.card)
        self._update_buttons()
        self.amount_field.setFocus()

    def _show_card(self, card: CardProgress | None) -> None:
        processing = card is not None and not AttemptState(card.state).final
        standalone = processing and card.needs_cashier
        self.card_status.setText("" if card is None else f"Card {card.amount_text}: {card.message}")
        self.card_status.setVisible(card is not None)
        self.card_approved.setVisible(standalone)
        self.card_declined.setVisible(standalone)
        self.card_cancel.setVisible(processing and not standalone)
        self.card_retry.setVisible(processing and card.state == AttemptState.UNKNOWN.value)
        if processing and not standalone:
            self._poll.start()
        else:
            self._poll.stop()

    def show_sale(self, sale: SaleResult) -> None:
        self._poll.stop()
        self._recheck.stop()
        self.view = None
        self.after_sale.show_sale(sale)
        self.pages.setCurrentIndex(1)
        self._update_buttons()

    def refocus(self) -> None:
        """The focus back where the page's keys work, after a dialog over it (an approval)."""
        if self.pages.currentIndex() != 0 or QApplication.activeModalWidget() is not None:
            return
        if QApplication.activeWindow() is None:
            # a closed dialog leaves no active window on some platforms (see focus_scan)
            self.window().activateWindow()
        self.amount_field.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- actions -----------------------------------------------------------------------------

    def enter(self) -> None:
        """Enter: a typed amount is cash; the standalone terminal approved; a paid sale
        completes. An empty Enter never takes money: F1 is the exact due."""
        text = self.amount_field.text().strip()
        if text and self._scanned(text):
            self._refuse_scan()
        elif self._card_with_cashier():
            if text:  # digits typed while the terminal shows its answer: not a confirmation
                self.message.show_message(CARD_WAITING)
            else:
                self.confirm_card(True)
        elif text:
            self.pay_cash()
        elif self.view is not None and self.view.complete:
            self.complete()
        elif self.view is not None:
            self.message.show_message(STILL_DUE.format(due=self.view.due_text))

    def back(self) -> None:
        """Esc: one level back — after the sale: no receipt; a typed amount: cleared; a card:
        declined or cancelled; else back to the cart."""
        if self.pages.currentIndex() == 1:
            self.after_sale.back()
        elif self.amount_field.text():  # the innermost level: what was typed
            self.amount_field.clear()
            self.message.show_message("")
        elif self._card_with_cashier():
            self.confirm_card(False)
        elif self._card_processing():
            self.cancel_card()
        elif self.view is not None:
            self._leaving.run(self._controller, "cancel_payment",
                              on_done=lambda _cart: self._left())

    def pay_cash(self) -> None:
        self._tender("add_cash")

    def pay_credit(self) -> None:
        self._tender("add_credit")

    def pay_card(self) -> None:
        if self.view is not None and not self.view.card_available:
            self.message.show_message(self.view.card_unavailable_reason
                                      or "Card payments are not available")
            return
        self._tender("start_card", kind="io")

    def quick(self, number: int) -> None:
        button = self.quick_cash[number]
        if button.isVisible():
            self._tendering.run(self._controller, "add_cash", button.property("amount_text"),
                                on_done=self._tendered)

    def remove_tender(self) -> None:
        """Ctrl+Del: the tender chosen with Up/Down (the last one when none is)."""
        if self.view is None or not self.view.tenders:
            return
        item = self.tender_list.currentItem()
        index = item.data(Qt.ItemDataRole.UserRole) if item else self.view.tenders[-1].index
        self._tendering.run(self._controller, "remove_tender", index, on_done=self._tendered)

    def confirm_card(self, approved: bool) -> None:
        self._tendering.run(self._controller, "confirm_card", approved, on_done=self._tendered)

    def retry_card(self) -> None:
        if self.view is not None and self.view.card is not None and (
                self.view.card.state == AttemptState.UNKNOWN.value):
            self._tendering.run(self._controller, "retry_card", kind="io",
                                on_done=self._tendered)

    def cancel_card(self) -> None:
        self._tendering.run(self._controller, "cancel_card", kind="io", on_done=self._tendered)

    def complete(self) -> None:
        """F12: one sale, however often it is pressed (the register is idempotent too)."""
        if self._completing.busy or self.view is None:
            return
        if not self.view.complete:
            self.message.show_message(f"Still due: {self.view.due_text}")
            return
        self._completing.run(self._controller, "complete")

    # -- outcomes ----------------------------------------------------------------------------

    def _tender(self, method: str, kind: str = "db") -> None:
        if self.view is None or self._card_processing():
            return
        text = self.amount_field.text().strip()
        if text and self._scanned(text):
            self._refuse_scan()
            return
        # Enter or F1 pressed twice: one tender, the second key finds the first still out
        self._tendering.run(self._controller, method, text or None, kind=kind,
                            on_done=self._tendered)

    def _scanned(self, text: str) -> bool:
        # a scanner types digits only, faster than anyone keys an amount ("20.00" has a point)
        return text.isdigit() and self.timing.scanned

    def _refuse_scan(self) -> None:
        self.amount_field.clear()
        self.timing.reset()
        self.message.show_message(SCANNED)
        QApplication.beep()

    def _tendered(self, _view: Any) -> None:
        self.amount_field.clear()
        self.amount_field.setFocus()

    def _left(self) -> None:
        self._poll.stop()
        self._recheck.stop()
        self.view = None
        self.finished.emit()

    def _after_sale_done(self) -> None:
        self.pages.setCurrentIndex(0)
        self.finished.emit()
        # the new, empty cart for the selling page
        self._controller.call("cart")

    def _locked(self) -> None:
        # the register parked the cart and dropped the payment (RegisterSession.lock)
        self._poll.stop()
        self._recheck.stop()
        self.view = None
        self.amount_field.clear()
        self.message.show_message("")
        self.notice.show_message("")
        self.notice.hide()
        self.pages.setCurrentIndex(0)

    def _error(self, field: str, message: str) -> None:
        if self.isVisible() and self.pages.currentIndex() == 0 and field in PAYMENT_FIELDS:
            self.message.show_message(message)
            self.amount_field.setFocus()

    def _check_card(self) -> None:
        if self.view is not None and self.pages.currentIndex() == 0:
            self._checking.run(self._controller, "check_card", self.view.sale_id, kind="io")

    def _poll_card(self) -> None:
        if self._card_processing():
            # a slow reader: the next tick finds the last poll still out and skips
            self._polling.run(self._controller, "card_status", kind="io")

    def _busy_changed(self, _busy: bool) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        view = self.view
        card_busy = self._card_processing()
        self.complete_button.setEnabled(view is not None and view.complete
                                        and not self._completing.busy)
        for button in (self.cash_button, self.credit_button, *self.quick_cash):
            button.setEnabled(view is not None and not card_busy and view.due > 0)
        self.card_button.setEnabled(view is not None and not card_busy and view.due > 0
                                    and view.card_available)
        # a card "approved" on the cashier's word may go with a manager's approval (the
        # register asks for it: ApprovalNeeded → the approval dialog → the call repeated)
        self.remove_button.setEnabled(view is not None and not card_busy
                                      and any(_removable(t) for t in view.tenders))

    def _card_processing(self) -> bool:
        card = self.view.card if self.view is not None else None
        return card is not None and not AttemptState(card.state).final

    def _card_with_cashier(self) -> bool:
        return self._card_processing() and self.view.card.needs_cashier

    # -- keys in the amount field --------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is not self.amount_field:
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.ShortcutOverride and _is_remove_key(event):
            return True  # not the field's "delete word": the Remove tender button's shortcut
        if (event.type() == QEvent.Type.KeyPress and not event.modifiers()
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)):
            self._step_tender(-1 if event.key() == Qt.Key.Key_Up else 1)
            return True
        return False

    def _step_tender(self, step: int) -> None:
        count = self.tender_list.count()
        if count:
            current = self.tender_list.currentRow()
            row = count - 1 if current < 0 else max(0, min(count - 1, current + step))
            self.tender_list.setCurrentRow(row)


def _removable(tender: TenderView) -> bool:
    return tender.removable or tender.removable_by_manager


def _is_remove_key(event) -> bool:  # noqa: ANN001 - QKeyEvent
    return (event.key() == Qt.Key.Key_Delete
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier)


def _padded(quick: tuple[tuple[int, str], ...]) -> list[tuple[int, str] | None]:
    shown: list[tuple[int, str] | None] = list(quick[:len(QUICK_CASH_KEYS)])
    return shown + [None] * (len(QUICK_CASH_KEYS) - len(shown))

"""The payment page: what is due, the tenders taken so far, cash (with quick amounts), card and
store credit, split across as many as the customer likes; Complete only once fully paid.

Keys (the amount field keeps focus): type an amount, then F1 cash / F2 card / F3 store credit
(no amount = the rest due; Enter = cash). F5… quick cash. A standalone card terminal: Enter
when it approved, Esc when it declined; a linked reader: Esc cancels it. F12 completes. Esc
otherwise goes back to the cart (refused by the register once a card was captured). After the
sale the same page offers the receipt (``after_sale``) and then says ``finished``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QStackedWidget, QVBoxLayout, QWidget)

from app.domain.errors import DomainError
from app.payments.base import AttemptState
from app.till.views import CardProgress, PaymentView, SaleResult
from ui.tasks import TaskRunner
from ui.till.after_sale import AfterSalePanel
from ui.till.controller import TillController
from ui.till.entry_fields import MIN_TOUCH, AmountField, MessageLabel, touch_button
from ui.till.receipt_output import ReceiptOutput

CARD_POLL_MS = 500
QUICK_CASH_KEYS = ("F5", "F6", "F7", "F8")
#: errors of these fields are about this page and show under the amount
PAYMENT_FIELDS = frozenset({"amount", "pay", "card", "credit", "customer", "order", ""})


def runner_of(controller: TillController) -> TaskRunner:
    """The task runner the controller runs on (printing goes to its I/O pool)."""
    runner = getattr(controller, "runner", None)
    return runner if isinstance(runner, TaskRunner) else controller._runner  # noqa: SLF001


class PaymentPanel(QWidget):
    """``dueLabel``, ``paidLabel``, ``changeLabel``, ``tenderList``, ``amountField``,
    ``cashTenderButton``, ``cardTenderButton``, ``creditTenderButton``, ``quickCash0..3``,
    ``completeButton``, ``cardStatusLabel`` with ``cardApprovedButton``/``cardDeclinedButton``
    (standalone terminal) or ``cardCancelButton``; then the after-sale page."""

    #: the payment page is done: the sale completed and the receipt was dealt with, or the
    #: cashier went back to the cart
    finished = Signal()

    def __init__(self, controller: TillController, settings: Any | None = None,
                 parent: QWidget | None = None, *, receipts: ReceiptOutput | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paymentPanel")
        self.setAccessibleName("Payment")
        self._controller = controller
        self.receipts = receipts or ReceiptOutput(controller, runner_of(controller), settings,
                                                  self)
        self.view: PaymentView | None = None
        self._completing = False
        self._polling = False
        self._leaving = False

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_tender_page())
        self.after_sale = AfterSalePanel(controller, self.receipts)
        self.after_sale.done.connect(self._after_sale_done)
        self.pages.addWidget(self.after_sale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self._poll = QTimer(self)
        self._poll.setInterval(CARD_POLL_MS)
        self._poll.timeout.connect(self._poll_card)

        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.back)

        controller.payment_changed.connect(self.show_payment)
        controller.sale_completed.connect(self.show_sale)
        # bound methods only: Qt drops them with the panel (a lambda would outlive it)
        controller.busy_changed.connect(self._busy_changed)
        controller.error.connect(self._error)

    # -- building ----------------------------------------------------------------------------

    def _build_tender_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("tenderPage")
        self.due_label = _big("dueLabel", "Amount due", 2.4)
        self.paid_label = _big("paidLabel", "Paid", 1.3)
        self.change_label = _big("changeLabel", "Change due", 1.3)
        self.total_label = _big("paymentTotalLabel", "Sale total", 1.0)

        self.tender_list = QListWidget()
        self.tender_list.setObjectName("tenderList")
        self.tender_list.setAccessibleName("Tenders taken")
        self.tender_list.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.message = MessageLabel("amountMessage")
        self.amount_field = AmountField("amountField", "Amount tendered", self.message)
        self.amount_field.setPlaceholderText("Amount (empty: the rest due)")
        self.amount_field.returnPressed.connect(self.enter)

        self.cash_button = touch_button("cashTenderButton", "Cash (F1)", "Pay cash", shortcut="F1")
        self.card_button = touch_button("cardTenderButton", "Card (F2)", "Pay by card",
                                        shortcut="F2")
        self.credit_button = touch_button("creditTenderButton", "Store credit (F3)",
                                          "Pay with store credit", shortcut="F3")
        self.cash_button.clicked.connect(self.pay_cash)
        self.card_button.clicked.connect(self.pay_card)
        self.credit_button.clicked.connect(self.pay_credit)
        self.remove_button = touch_button("removeTenderButton", "Remove tender (Ctrl+Del)",
                                          "Remove tender", shortcut="Ctrl+Del")
        self.remove_button.clicked.connect(self.remove_tender)
        self.complete_button = touch_button("completeButton", "Complete (F12)", "Complete sale",
                                            shortcut="F12")
        self.complete_button.setMinimumHeight(2 * MIN_TOUCH)
        self.complete_button.clicked.connect(self.complete)
        self.back_button = touch_button("paymentBackButton", "Back to cart (Esc)", "Back to cart")
        self.back_button.clicked.connect(self.back)

        self.quick_cash: list[QPushButton] = []
        quick_row = QHBoxLayout()
        for number, key in enumerate(QUICK_CASH_KEYS):
            button = touch_button(f"quickCash{number}", key, f"Quick cash {number + 1}",
                                  shortcut=key)
            button.clicked.connect(lambda _checked=False, n=number: self.quick(n))
            button.hide()
            quick_row.addWidget(button)
            self.quick_cash.append(button)
        quick_row.addStretch(1)

        self.card_status = QLabel()
        self.card_status.setObjectName("cardStatusLabel")
        self.card_status.setAccessibleName("Card payment")
        self.card_status.setWordWrap(True)
        self.card_approved = touch_button("cardApprovedButton", "Approved (Enter)",
                                          "The terminal approved")
        self.card_declined = touch_button("cardDeclinedButton", "Declined (Esc)",
                                          "The terminal declined")
        self.card_cancel = touch_button("cardCancelButton", "Cancel card (Esc)",
                                        "Cancel the card payment")
        self.card_approved.clicked.connect(lambda: self.confirm_card(True))
        self.card_declined.clicked.connect(lambda: self.confirm_card(False))
        self.card_cancel.clicked.connect(self.cancel_card)
        card_row = QHBoxLayout()
        card_row.addWidget(self.card_status, 1)
        for button in (self.card_approved, self.card_declined, self.card_cancel):
            button.hide()
            card_row.addWidget(button)

        figures = QGridLayout()
        for row, (caption, label) in enumerate((("Due", self.due_label),
                                                ("Paid", self.paid_label),
                                                ("Change", self.change_label),
                                                ("Total", self.total_label))):
            caption_label = QLabel(caption)
            caption_label.setBuddy(label)
            figures.addWidget(caption_label, row, 0)
            figures.addWidget(label, row, 1)
        figures.setColumnStretch(1, 1)

        tenders = QHBoxLayout()
        for button in (self.cash_button, self.card_button, self.credit_button):
            button.setMinimumHeight(2 * MIN_TOUCH)
            tenders.addWidget(button)
        actions = QHBoxLayout()
        actions.addWidget(self.back_button)
        actions.addWidget(self.remove_button)
        actions.addStretch(1)
        actions.addWidget(self.complete_button)

        left = QVBoxLayout()
        left.addLayout(figures)
        left.addWidget(QLabel("Tenders"))
        left.addWidget(self.tender_list, 1)
        right = QVBoxLayout()
        right.addWidget(QLabel("Amount"))
        right.addWidget(self.amount_field)
        right.addWidget(self.message)
        right.addLayout(tenders)
        right.addLayout(quick_row)
        right.addLayout(card_row)
        right.addStretch(1)
        right.addLayout(actions)
        body = QHBoxLayout(page)
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        return page

    # -- showing -----------------------------------------------------------------------------

    def show_payment(self, view: PaymentView) -> None:
        self.view = view
        self._leaving = False
        self.pages.setCurrentIndex(0)
        self.due_label.setText(view.due_text)
        self.paid_label.setText(view.paid_text)
        self.change_label.setText(view.change_text)
        self.total_label.setText(view.total_text)
        self.tender_list.clear()
        for tender in view.tenders:
            shown = f"{tender.label}   {tender.amount_text}"
            if tender.tendered_text and tender.tendered_text != tender.amount_text:
                shown += f"   (handed {tender.tendered_text})"
            item = QListWidgetItem(shown)
            item.setData(Qt.ItemDataRole.UserRole, tender.index)
            self.tender_list.addItem(item)
        for button, quick in zip(self.quick_cash, _padded(view.quick_cash)):
            if quick is None:
                button.hide()
                continue
            key = QUICK_CASH_KEYS[self.quick_cash.index(button)]
            button.setText(f"{quick[1]} ({key})")
            button.setProperty("amount_text", quick[1])
            button.setVisible(view.due > 0)
        self.card_button.setToolTip(view.card_unavailable_reason or "Pay by card (F2)")
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
        if processing and not standalone:
            self._poll.start()
        else:
            self._poll.stop()

    def show_sale(self, sale: SaleResult) -> None:
        self._completing = False
        self._poll.stop()
        self.view = None
        self.after_sale.show_sale(sale)
        self.pages.setCurrentIndex(1)
        self._update_buttons()

    # -- actions -----------------------------------------------------------------------------

    def enter(self) -> None:
        """Enter: the standalone terminal approved; or complete a paid sale; or cash."""
        if self._card_with_cashier():
            self.confirm_card(True)
        elif self.view is not None and self.view.complete and not self.amount_field.text():
            self.complete()
        else:
            self.pay_cash()

    def back(self) -> None:
        """Esc: one level back — after the sale: no receipt; a card: declined or cancelled;
        else back to the cart."""
        if self.pages.currentIndex() == 1:
            self.after_sale.back()
        elif self._card_with_cashier():
            self.confirm_card(False)
        elif self._card_processing():
            self.cancel_card()
        elif self.amount_field.text():
            self.amount_field.clear()
            self.message.show_message("")
        elif not self._leaving and self.view is not None:
            self._leaving = True
            self._controller.call("cancel_payment", on_done=lambda _cart: self._left(),
                                  on_error=lambda _error: setattr(self, "_leaving", False))

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
            self._controller.call("add_cash", button.property("amount_text"),
                                  on_done=self._tendered)

    def remove_tender(self) -> None:
        if self.view is None or not self.view.tenders:
            return
        item = self.tender_list.currentItem()
        index = item.data(Qt.ItemDataRole.UserRole) if item else self.view.tenders[-1].index
        self._controller.call("remove_tender", index, on_done=self._tendered)

    def confirm_card(self, approved: bool) -> None:
        self._controller.call("confirm_card", approved, on_done=self._tendered)

    def cancel_card(self) -> None:
        self._controller.call("cancel_card", kind="io", on_done=self._tendered)

    def complete(self) -> None:
        """F12: one sale, however often it is pressed (the register is idempotent too)."""
        if (self._completing or self._controller.busy or self.view is None
                or not self.view.complete):
            if self.view is not None and not self.view.complete and not self._completing:
                self.message.show_message(f"Still due: {self.view.due_text}")
            return
        self._completing = True
        self._update_buttons()
        self._controller.call("complete", on_error=self._complete_refused)

    # -- outcomes ----------------------------------------------------------------------------

    def _tender(self, method: str, kind: str = "db") -> None:
        if self.view is None or self._card_processing():
            return
        text = self.amount_field.text().strip() or None
        self._controller.call(method, text, kind=kind, on_done=self._tendered)

    def _tendered(self, _view: Any) -> None:
        self.amount_field.clear()
        self.amount_field.setFocus()

    def _complete_refused(self, error: DomainError) -> None:
        self._completing = False
        self._update_buttons()

    def _left(self) -> None:
        self._poll.stop()
        self.view = None
        self.finished.emit()

    def _after_sale_done(self) -> None:
        self.pages.setCurrentIndex(0)
        self.finished.emit()
        # the new, empty cart for the selling page
        self._controller.call("cart")

    def _error(self, field: str, message: str) -> None:
        if self.isVisible() and self.pages.currentIndex() == 0 and field in PAYMENT_FIELDS:
            self.message.show_message(message)

    def _poll_card(self) -> None:
        if self._polling or not self._card_processing():
            return
        self._polling = True

        def polled(_result: Any = None) -> None:
            self._polling = False
        self._controller.call("card_status", kind="io", on_done=polled, on_error=polled)

    def _busy_changed(self, _busy: bool) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self._controller.busy
        view = self.view
        card_busy = self._card_processing()
        self.complete_button.setEnabled(view is not None and view.complete and not busy
                                        and not self._completing)
        for button in (self.cash_button, self.credit_button, *self.quick_cash):
            button.setEnabled(view is not None and not card_busy and view.due > 0)
        self.card_button.setEnabled(view is not None and not card_busy and view.due > 0
                                    and view.card_available)
        self.remove_button.setEnabled(view is not None and not card_busy
                                      and any(t.removable for t in view.tenders))

    def _card_processing(self) -> bool:
        card = self.view.card if self.view is not None else None
        return card is not None and not AttemptState(card.state).final

    def _card_with_cashier(self) -> bool:
        return self._card_processing() and self.view.card.needs_cashier


def _padded(quick: tuple[tuple[int, str], ...]) -> list[tuple[int, str] | None]:
    shown: list[tuple[int, str] | None] = list(quick[:len(QUICK_CASH_KEYS)])
    return shown + [None] * (len(QUICK_CASH_KEYS) - len(shown))


def _big(name: str, accessible: str, scale: float) -> QLabel:
    label = QLabel("—")
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(scale > 1.2)
    label.setFont(font)
    return label

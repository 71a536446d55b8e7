"""The payment page's widgets and where they sit (the keys and calls are in ``payment_panel``).

Left: what is due, paid and handed back, and the tenders taken. Right: the amount field over the
tender buttons, the quick-cash notes, the card's progress, then "Back to cart" and "Remove
tender" over a full-width "Complete": no row holds more faces than fit at 1024 px in the
high-contrast theme. No button takes the focus when tapped: the amount typed stays typed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QListWidget, QPushButton,
                               QVBoxLayout, QWidget)

from ui.till.entry_fields import MIN_TOUCH, AmountField, MessageLabel, touch_button

QUICK_CASH_KEYS = ("F5", "F6", "F7", "F8")


class PaymentLayout:
    """Mixed into :class:`~ui.till.payment_panel.PaymentPanel`, which has the slots the
    buttons are connected to (``pay_cash``, ``pay_card``, ``quick``, ``complete`` …)."""

    def _build_tender_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("tenderPage")
        self.due_label = _big("dueLabel", "Amount due", 2.4)
        self.paid_label = _big("paidLabel", "Paid", 1.3)
        self.change_label = _big("changeLabel", "Change due", 1.3)
        self.total_label = _big("paymentTotalLabel", "Sale total", 1.0)

        self.tender_list = QListWidget()
        self.tender_list.setObjectName("tenderList")
        self.tender_list.setAccessibleName("Tenders taken (Up/Down choose, Ctrl+Del removes)")
        # Up/Down in the amount field choose a tender: the field keeps the keys
        self.tender_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.message = MessageLabel("amountMessage")
        # the total changed since the cart showed it: said apart from the field's errors, so
        # the next refusal or keystroke does not wipe what the cashier must tell the customer
        self.notice = MessageLabel("paymentNoticeLabel")
        self.notice.setAccessibleName("Payment notice")
        self.notice.setProperty("kind", "notice")
        self.notice.hide()
        self.amount_field = AmountField("amountField", "Amount tendered", self.message)
        self.amount_field.setPlaceholderText("Amount handed over, then Enter")

        self.cash_button = self._button("cashTenderButton", "Cash (F1)", "Pay cash", "F1",
                                        self.pay_cash)
        self.card_button = self._button("cardTenderButton", "Card (F2)", "Pay by card", "F2",
                                        self.pay_card)
        self.credit_button = self._button("creditTenderButton", "Store credit (F3)",
                                          "Pay with store credit", "F3", self.pay_credit)
        self.remove_button = self._button("removeTenderButton", "Remove tender (Ctrl+Del)",
                                          "Remove tender", "Ctrl+Del", self.remove_tender)
        self.complete_button = self._button("completeButton", "Complete (F12)", "Complete sale",
                                            "F12", self.complete)
        self.complete_button.setMinimumHeight(2 * MIN_TOUCH)
        self.back_button = self._button("paymentBackButton", "Back to cart (Esc)",
                                        "Back to cart", None, self.back)

        self.quick_cash: list[QPushButton] = []
        quick_row = QHBoxLayout()
        for number, key in enumerate(QUICK_CASH_KEYS):
            button = self._button(f"quickCash{number}", key, f"Quick cash {number + 1}", key,
                                  lambda _checked=False, n=number: self.quick(n))
            button.hide()
            quick_row.addWidget(button)
            self.quick_cash.append(button)
        quick_row.addStretch(1)

        tenders = QHBoxLayout()
        for button in (self.cash_button, self.card_button, self.credit_button):
            button.setMinimumHeight(2 * MIN_TOUCH)
            tenders.addWidget(button)
        actions = QHBoxLayout()
        actions.addWidget(self.back_button)
        actions.addWidget(self.remove_button)

        left = QVBoxLayout()
        left.addWidget(self.notice)
        left.addLayout(self._figures())
        left.addWidget(QLabel("Tenders"))
        left.addWidget(self.tender_list, 1)
        right = QVBoxLayout()
        right.addWidget(QLabel("Amount"))
        right.addWidget(self.amount_field)
        right.addWidget(self.message)
        right.addLayout(tenders)
        right.addLayout(quick_row)
        right.addLayout(self._card_row())
        right.addStretch(1)
        right.addLayout(actions)
        right.addWidget(self.complete_button)
        body = QHBoxLayout(page)
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        return page

    def _figures(self) -> QGridLayout:
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
        return figures

    def _card_row(self) -> QHBoxLayout:
        self.card_status = QLabel()
        self.card_status.setObjectName("cardStatusLabel")
        self.card_status.setAccessibleName("Card payment")
        self.card_status.setWordWrap(True)
        self.card_approved = self._button("cardApprovedButton", "Approved (Enter)",
                                          "The terminal approved", None,
                                          lambda: self.confirm_card(True))
        self.card_declined = self._button("cardDeclinedButton", "Declined (Esc)",
                                          "The terminal declined", None,
                                          lambda: self.confirm_card(False))
        self.card_cancel = self._button("cardCancelButton", "Cancel card (Esc)",
                                        "Cancel the card payment", None, self.cancel_card)
        # an undecided payment (a timeout, a reader that dropped it) goes to the reader again:
        # the same payment, never a second one beside it
        self.card_retry = self._button("cardRetryButton", "Try card again (F4)",
                                       "Hand the same card payment to the reader again", "F4",
                                       self.retry_card)
        row = QHBoxLayout()
        row.addWidget(self.card_status, 1)
        for button in (self.card_approved, self.card_declined, self.card_retry,
                       self.card_cancel):
            button.hide()
            row.addWidget(button)
        return row

    @staticmethod
    def _button(name: str, text: str, accessible: str, shortcut: str | None,
                slot) -> QPushButton:  # noqa: ANN001 - a callable
        button = touch_button(name, text, accessible, shortcut=shortcut)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button


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

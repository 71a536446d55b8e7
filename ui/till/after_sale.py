"""After the sale: the change to hand back, then print the receipt (F1), email it (F2), print
it with a gift receipt (F3) or none (Esc, handed on by the payment page). Whatever the cashier
picks, the page is done at once (``done``): printing and queueing the email finish in the
background and say so as a notice; a receipt that did not print waits in the till's strip
with a Retry.

"Reprint (F4)" prints the last receipt this till printed again, marked COPY (the previous
customer back at the counter for another one); it leaves this sale's choices open.

The next customer is often already at the counter: the focus waits in ``nextSaleField``, so a
code scanned now (digits and Enter) means "no receipt" and goes on to the next sale's cart
(``scanned``) instead of being lost on a button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.domain.errors import DomainError
from app.till.views import SaleResult
from ui.till.controller import InFlight, TillController
from ui.till.entry_fields import MIN_TOUCH, MessageLabel, touch_button
from ui.till.receipt_output import ReceiptOutput

CHOOSE = ("Print (F1), Email (F2), Gift receipt (F3) or No receipt (Esc); or scan the next "
          "customer's first item")


class AfterSalePanel(QWidget):
    """``saleDoneLabel``, ``saleChangeLabel``; ``receiptPrintButton`` "Print (F1)",
    ``receiptEmailButton`` "Email (F2)" (then ``receiptEmailField``, Enter sends),
    ``giftReceiptButton`` "Gift receipt (F3)" (the receipt and a gift receipt),
    ``noReceiptButton`` "No receipt (Esc)", ``reprintButton`` "Reprint … (F4)" (shown once a
    receipt was printed); ``nextSaleField`` keeps the focus for a scan."""

    done = Signal()
    #: a code scanned (or typed) and Enter: no receipt, the code starts the next sale
    scanned = Signal(str)

    def __init__(self, controller: TillController, receipts: ReceiptOutput,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("afterSalePanel")
        self.setAccessibleName("Receipt")
        self._controller = controller
        self._receipts = receipts
        self.sale: SaleResult | None = None
        self._sending = InFlight()

        self.done_label = QLabel()
        self.done_label.setObjectName("saleDoneLabel")
        self.done_label.setWordWrap(True)
        self.change_label = QLabel()
        self.change_label.setObjectName("saleChangeLabel")
        self.change_label.setAccessibleName("Change due")
        font = self.change_label.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        self.change_label.setFont(font)
        for label in (self.done_label, self.change_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.print_button = touch_button("receiptPrintButton", "Print (F1)", "Print receipt",
                                         shortcut="F1")
        self.email_button = touch_button("receiptEmailButton", "Email (F2)", "Email receipt",
                                         shortcut="F2")
        self.gift_button = touch_button("giftReceiptButton", "Gift receipt (F3)",
                                        "Print the receipt and a gift receipt", shortcut="F3")
        self.none_button = touch_button("noReceiptButton", "No receipt (Esc)", "No receipt")
        self.reprint_button = touch_button("reprintButton", "Reprint (F4)",
                                           "Reprint the last receipt, marked copy", shortcut="F4")
        self.print_button.clicked.connect(self.print_receipt)
        self.email_button.clicked.connect(self.ask_email)
        self.gift_button.clicked.connect(self.print_with_gift_receipt)
        self.none_button.clicked.connect(self.finish)
        self.reprint_button.clicked.connect(self.reprint_last)
        self._choices = (self.print_button, self.email_button, self.gift_button,
                         self.none_button, self.reprint_button)
        for button in self._choices:
            # a tap must not take the focus from the field the next scan types into
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.next_field = QLineEdit()
        self.next_field.setObjectName("nextSaleField")
        self.next_field.setAccessibleName("Next customer: scan their first item")
        self.next_field.setPlaceholderText("Next customer? Scan their first item (no receipt)")
        self.next_field.setMinimumHeight(MIN_TOUCH)
        self.next_field.setMaxLength(128)
        self.next_field.returnPressed.connect(self._next_sale)

        self.email_field = QLineEdit()
        self.email_field.setObjectName("receiptEmailField")
        self.email_field.setAccessibleName("Email address for the receipt")
        self.email_field.setPlaceholderText("customer@example.com, then Enter")
        self.email_field.setMinimumHeight(MIN_TOUCH)
        self.email_field.setMaxLength(254)
        self.email_field.returnPressed.connect(self.send_email)
        self.email_field.hide()
        self.message = MessageLabel("receiptMessage")

        buttons = QHBoxLayout()
        for button in self._choices:
            button.setMinimumHeight(2 * MIN_TOUCH)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.done_label)
        layout.addWidget(self.change_label)
        layout.addSpacing(MIN_TOUCH // 2)
        layout.addLayout(buttons)
        layout.addWidget(self.next_field)
        layout.addWidget(self.email_field)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.reprint_button.hide()  # until a receipt has been printed

    def show_sale(self, sale: SaleResult) -> None:
        self.sale = sale
        drawer = " · drawer open" if sale.drawer_opened else ""
        self.done_label.setText(f"Sale {sale.number} complete · {sale.total_text}{drawer}")
        self.change_label.setText(f"Change {sale.change_text}" if sale.change
                                  else "No change due")
        self.email_field.hide()
        self.email_field.setText(sale.customer_email or "")
        self.message.show_message("")
        self._show_reprint()
        self.next_field.clear()
        self.next_field.setFocus()

    def _show_reprint(self) -> None:
        last = self._receipts.last_receipt
        self.reprint_button.setVisible(last is not None)
        if last is not None:
            self.reprint_button.setText(f"Reprint {last[1]} (F4)")
            self.reprint_button.setAccessibleName(f"Reprint the receipt of {last[1]}, "
                                                  "marked copy")

    def print_receipt(self) -> None:
        if self.sale is None:
            return
        self._receipts.print_receipt(self.sale.order_id, self.sale.number)
        self.finish()

    def print_with_gift_receipt(self) -> None:
        """The customer's receipt and a gift receipt without prices (to go with the present;
        its barcode is the sale's, so the present can come back)."""
        if self.sale is None:
            return
        self._receipts.print_receipt(self.sale.order_id, self.sale.number)
        self._receipts.print_receipt(self.sale.order_id, self.sale.number, gift=True)
        self.finish()

    def reprint_last(self) -> None:
        last = self._receipts.last_receipt
        if self.sale is None or last is None:
            return
        self._receipts.reprint_last()
        self.message.show_message(f"A copy of {last[1]}'s receipt is printing; now choose "
                                  "for this sale")
        self.next_field.setFocus()

    def ask_email(self) -> None:
        if self.sale is None:
            return
        self.email_field.show()
        self.email_field.setFocus()
        self.email_field.selectAll()

    def send_email(self) -> None:
        if self.sale is not None:
            self._sending.run(self._controller, "email_receipt", self.sale.order_id,
                              self.email_field.text(), on_done=self._sent,
                              on_error=self._refused)

    def finish(self) -> None:
        self.sale = None
        self.done.emit()

    def _next_sale(self) -> None:
        code = self.next_field.text().strip()
        self.next_field.clear()
        if not code:
            self.message.show_message(CHOOSE)
            return
        self.finish()
        self.scanned.emit(code)

    def _sent(self, said: str) -> None:
        self._controller.notice.emit(said)
        self.finish()

    def _refused(self, error: DomainError) -> None:
        self.message.show_message(error.message)
        self.email_field.setFocus()

    def back(self) -> None:
        """Esc (the payment page passes it on): from the address back to the choices, else
        no receipt."""
        if self.email_field.isVisible():  # one level back: from the address to the choices
            self.email_field.hide()
            self.message.show_message("")
            self.next_field.setFocus()
            return
        self.finish()

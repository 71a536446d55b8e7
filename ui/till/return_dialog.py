"""Returns and exchanges: find the sale by scanning its receipt (or typing its number), choose
the lines and quantities, refund to the original tender (or cash / store credit where the
cashier may). Only the receipt's barcode carries the check that proves the receipt
(``app.sales.receipt_code``): a sale found by its typed number is a return without a receipt,
and the register asks for a manager then."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QStackedWidget, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.domain.quantity import format_quantity
from app.till.views import RefundResult, ReturnSaleView
from ui.till.controller import TillController
from ui.till.entry_fields import MIN_TOUCH, MessageLabel, touch_button
from ui.till.shift_dialogs import TillDialog

REFUND_TO = (("original", "Original tender"), ("cash", "Cash"), ("credit", "Store credit"))
QUANTITY_COLUMN = 4
COLUMNS = ("Item", "Sold", "Returnable", "Each", "Return")
QUANTITY_KEYS = frozenset("0123456789.")
NOTHING_CHOSEN = "Choose what comes back: type a quantity on its line (Space: all of it)"


class ReturnDialog(TillDialog):
    """``receiptField`` (scan or number, Enter), the lines table ``returnLines`` (Up/Down choose a
    line, digits type its quantity to return, Space toggles all of it, Enter or F12 refunds), ``refundToCombo`` (F4 changes it),
    ``returnReasonField``, ``refundButton`` "Refund (F12)", then the result; Esc backs out."""

    refunded = Signal(object)  # RefundResult

    def __init__(self, controller: TillController, parent: QWidget | None = None) -> None:
        super().__init__("returnDialog", "Return", controller, parent)
        self.sale: ReturnSaleView | None = None
        self.result: RefundResult | None = None
        self._typing_row: int | None = None  # the row whose quantity the keys are typing
        self.resize(760, 520)
        self.message = MessageLabel("returnMessage")

        self.receipt_field = QLineEdit()
        self.receipt_field.setObjectName("receiptField")
        self.receipt_field.setAccessibleName("Receipt barcode or number")
        self.receipt_field.setPlaceholderText("Scan the receipt, or type its number")
        self.receipt_field.setMinimumHeight(MIN_TOUCH)
        self.receipt_field.setMaxLength(80)
        self.receipt_field.returnPressed.connect(self.find)
        self.find_button = touch_button("findSaleButton", "Find (Enter)", "Find the sale")
        self.find_button.clicked.connect(self.find)
        self._action_buttons.append(self.find_button)

        self.sale_label = QLabel()
        self.sale_label.setObjectName("returnSaleLabel")
        self.sale_label.setWordWrap(True)
        self.lines = QTableWidget(0, len(COLUMNS))
        self.lines.setObjectName("returnLines")
        self.lines.setAccessibleName("Lines of the sale")
        self.lines.setHorizontalHeaderLabels(list(COLUMNS))
        self.lines.verticalHeader().setVisible(False)
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # keys type the quantity straight into the cell (see eventFilter); a tap edits it
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked)
        self.lines.currentCellChanged.connect(lambda *_cells: self._stop_typing())
        self.lines.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.lines.verticalHeader().setDefaultSectionSize(MIN_TOUCH)
        self.lines.installEventFilter(self)

        self.refund_to = QComboBox()
        self.refund_to.setObjectName("refundToCombo")
        self.refund_to.setAccessibleName("Refund to")
        self.refund_to.setMinimumHeight(MIN_TOUCH)
        for value, text in REFUND_TO:
            self.refund_to.addItem(text, value)
        self.reason_field = QLineEdit()
        self.reason_field.setObjectName("returnReasonField")
        self.reason_field.setAccessibleName("Reason for the return")
        self.reason_field.setPlaceholderText("Reason (optional)")
        self.reason_field.setMinimumHeight(MIN_TOUCH)
        self.reason_field.setMaxLength(200)
        self.refund_button = touch_button("refundButton", "Refund (F12)", "Refund",
                                          shortcut="F12")
        self.refund_button.clicked.connect(self.refund)
        self._action_buttons.append(self.refund_button)
        refund_to_key = QShortcut(QKeySequence("F4"), self)
        refund_to_key.activated.connect(self._next_refund_to)

        self.result_label = QLabel()
        self.result_label.setObjectName("refundResultLabel")
        self.result_label.setWordWrap(True)
        self.done_button = touch_button("refundDoneButton", "Done (Enter)", "Done")
        self.done_button.setAutoDefault(True)
        self.done_button.clicked.connect(self.accept)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._page(self._row(self.receipt_field, self.find_button)))
        refund_to_label = QLabel("Refund to (F4)")
        refund_to_label.setBuddy(self.refund_to)
        self.pages.addWidget(self._page(
            self.sale_label, self.lines,
            self._row(refund_to_label, self.refund_to, self.reason_field, self.refund_button)))
        self.pages.addWidget(self._page(self.result_label, self._row(self.done_button)))
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.message)
        self.receipt_field.setFocus()

    # -- steps -------------------------------------------------------------------------------

    def find(self) -> None:
        ref = self.receipt_field.text().strip()
        if not ref:
            self.message.show_message("Scan the receipt's barcode or type its number")
            return
        self.submit("find_sale", ref, on_done=self._found, message=self.message)

    def refund(self) -> None:
        if self.sale is None or self.pages.currentIndex() != 1:
            return
        self.lines.setCurrentCell(self.lines.currentRow(), 0)  # commits a cell being edited
        chosen = self.chosen_lines()
        if not chosen:
            self.message.show_message(NOTHING_CHOSEN)
            self.lines.setFocus()
            return
        # the look-up's request id: a second Refund press (or a retry) pays back once; on the
        # io pool, because a card share goes back through Stripe over the network
        self.submit("refund", self.sale.order_id, chosen, self.refund_to.currentData(),
                    reason=self.reason_field.text().strip(), request_id=self.sale.request_id,
                    on_done=self._refunded, message=self.message, kind="io")

    def chosen_lines(self) -> list[tuple[int, str | None]]:
        """(line number, quantity text) for every line with a quantity typed in."""
        chosen = []
        for row in range(self.lines.rowCount()):
            item = self.lines.item(row, QUANTITY_COLUMN)
            text = item.text().strip() if item is not None else ""
            if text and text not in ("0", "0.0", "0.000"):
                chosen.append((item.data(Qt.ItemDataRole.UserRole), text))
        return chosen

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt's name
        # Esc reaches here only when no cell editor took it first (that one drops its edit)
        if event.key() == Qt.Key.Key_Escape:
            self.back()
            return
        super().keyPressEvent(event)

    def back(self) -> None:
        """Esc: from the result, close; from the lines, back to the receipt; else close."""
        page = self.pages.currentIndex()
        if page == 1:
            self.sale = None
            self.pages.setCurrentIndex(0)
            self.receipt_field.selectAll()
            self.receipt_field.setFocus()
            self.message.show_message("")
        elif page == 2:
            self.accept()
        else:
            self.reject()

    # -- outcomes ----------------------------------------------------------------------------

    def _found(self, sale: ReturnSaleView) -> None:
        self.sale = sale
        how = "receipt scanned" if sale.scanned else "no receipt: a manager approves the refund"
        customer = f" · {sale.customer.name}" if sale.customer else ""
        self.sale_label.setText(f"Sale {sale.number} · {sale.created_at:%d %b %Y %H:%M} · "
                                f"{sale.total_text} · {', '.join(sale.tenders)}{customer}\n{how}")
        self.lines.setRowCount(len(sale.lines))
        for row, line in enumerate(sale.lines):
            cells = (line.name, line.sold_text, line.returnable_text, line.unit_total_text)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.lines.setItem(row, column, item)
            quantity = QTableWidgetItem("")
            quantity.setData(Qt.ItemDataRole.UserRole, line.line_no)
            quantity.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if line.returnable_milli <= 0:
                quantity.setFlags(quantity.flags() & ~Qt.ItemFlag.ItemIsEditable)
                quantity.setText("—")
            self.lines.setItem(row, QUANTITY_COLUMN, quantity)
        self.pages.setCurrentIndex(1)
        self.lines.setFocus()
        if sale.lines:
            self.lines.setCurrentCell(0, QUANTITY_COLUMN)

    def _refunded(self, result: RefundResult) -> None:
        self.result = result
        self.result_label.setText(f"Refund {result.number}: {result.amount_text}\n"
                                  + "\n".join(result.to))
        self.pages.setCurrentIndex(2)
        self.done_button.setFocus()
        self.refunded.emit(result)

    # -- keys --------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (watched is not self.lines or event.type() != QEvent.Type.KeyPress
                or self.sale is None
                or self.lines.state() == QAbstractItemView.State.EditingState):
            return super().eventFilter(watched, event)
        key, text = event.key(), event.text()
        if key == Qt.Key.Key_Space:
            self._toggle_all(self.lines.currentRow())
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.refund()
        elif key == Qt.Key.Key_Backspace:
            self._type_quantity(None)
        elif text and text in QUANTITY_KEYS:
            self._type_quantity(text)
        else:
            return super().eventFilter(watched, event)
        return True

    def _type_quantity(self, char: str | None) -> None:
        """Digits typed on a line become its quantity to return (Backspace takes one back)."""
        row = self.lines.currentRow()
        item = self.lines.item(row, QUANTITY_COLUMN) if row >= 0 else None
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEditable:
            return
        current = item.text() if self._typing_row == row else ""
        item.setText(current[:-1] if char is None else (current + char)[:12])
        self._typing_row = row
        self.message.show_message("")

    def _stop_typing(self) -> None:
        self._typing_row = None

    def _toggle_all(self, row: int) -> None:
        if self.sale is None or not 0 <= row < len(self.sale.lines):
            return
        line = self.sale.lines[row]
        item = self.lines.item(row, QUANTITY_COLUMN)
        if line.returnable_milli <= 0 or item is None:
            return
        item.setText("" if item.text().strip() else format_quantity(line.returnable_milli))
        self._stop_typing()

    def _next_refund_to(self) -> None:
        self.refund_to.setCurrentIndex((self.refund_to.currentIndex() + 1) % self.refund_to.count())

    @staticmethod
    def _row(*widgets: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        for widget in widgets:
            row.addWidget(widget, 1 if isinstance(widget, (QLineEdit, QComboBox)) else 0)
        return row

    @staticmethod
    def _page(*parts: QWidget | QHBoxLayout) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        for part in parts:
            if isinstance(part, QHBoxLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part, 1 if isinstance(part, QTableWidget) else 0)
        return page

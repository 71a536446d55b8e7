"""The cart's totals under the lines, as the session formatted them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from app.till.views import CartView

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class TotalsPanel(QWidget):
    """``totalsPanel``: ``subtotalLabel``, ``discountLabel``, ``taxLabel``, ``totalLabel``
    (values only; captions beside them), ``itemCountLabel``, ``customerLabel``, ``couponLabel``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("totalsPanel")
        self.setAccessibleName("Totals")
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        self.item_count = self._value(grid, 0, 0, "itemCountLabel", "Items", "")
        self.customer = self._value(grid, 1, 0, "customerLabel", "Customer", "Customer")
        self.coupon = self._value(grid, 2, 0, "couponLabel", "Coupon", "Coupon")
        self.subtotal = self._value(grid, 0, 2, "subtotalLabel", "Subtotal", "Subtotal")
        self.discount = self._value(grid, 1, 2, "discountLabel", "Discount", "Discount")
        self.tax = self._value(grid, 2, 2, "taxLabel", "Tax", "Tax")
        self.total = self._value(grid, 3, 2, "totalLabel", "Total", "Total")
        font = self.total.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.total.setFont(font)
        grid.setColumnStretch(1, 1)

    def show_cart(self, view: CartView) -> None:
        self.item_count.setText(view.item_count_text)
        self.subtotal.setText(view.subtotal_text)
        discount = view.discount_text if view.discount_total else "—"
        if view.order_discount_text:
            discount = f"{view.discount_text} (order {view.order_discount_text})"
        self.discount.setText(discount)
        self.tax.setText(view.tax_text)
        self.total.setText(view.total_text)
        if view.customer is not None:
            credit = f" · credit {view.customer.credit_text}" if view.customer.credit_balance else ""
            self.customer.setText(f"{view.customer.name}{credit}")
        else:
            self.customer.setText("—")
        self.coupon.setText(view.coupon_code or "—")

    @staticmethod
    def _value(grid: QGridLayout, row: int, column: int, name: str, accessible: str,
               caption: str) -> QLabel:
        if caption:
            grid.addWidget(QLabel(caption), row, column)
        value = QLabel("—")
        value.setObjectName(name)
        value.setAccessibleName(accessible)
        value.setAlignment(_RIGHT if column else Qt.AlignmentFlag.AlignLeft)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(value, row, column + 1)
        return value

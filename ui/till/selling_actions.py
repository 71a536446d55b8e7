"""What the selling page's buttons (and their shortcuts) do: each opens a small dialog or makes
one call, on the selected line where it needs one; the focus comes back to the scan field."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWidget

from app.till.views import CartLineView
from ui.till import dialogs
from ui.till.customer_dialog import CustomerDialog
from ui.till.parked_dialog import ParkedDialog

CHOOSE_LINE = "Choose a line first: Up/Down move through the cart"


class SellingActions:
    """Mixed into :class:`~ui.till.selling_page.SellingPage` (it has ``_controller``,
    ``cart_model``, ``dialog``, ``selected_row``, ``show_error``, ``focus_scan`` and the
    ``return_requested``/``cash_requested``/``close_shift_requested`` signals)."""

    def pay(self) -> None:
        if not self.cart_model.rowCount() or self._controller.busy:
            return
        self._controller.call("begin_payment")

    def change_quantity(self) -> None:
        line = self._selected_line()
        if line is not None:
            self._open(dialogs.quantity_dialog(self._controller, line.index, line.quantity_text,
                                               self))

    def line_discount(self) -> None:
        line = self._selected_line()
        if line is not None:
            self._open(dialogs.line_discount_dialog(self._controller, line.index, self))

    def order_discount(self) -> None:
        view = self.cart_model.view
        current = view.order_discount_text if view is not None else ""
        self._open(dialogs.order_discount_dialog(self._controller, current, self))

    def override_price(self) -> None:
        line = self._selected_line()
        if line is not None:
            self._open(dialogs.price_dialog(self._controller, line.index, line.unit_price_text,
                                            self))

    def coupon(self) -> None:
        view = self.cart_model.view
        self._open(dialogs.coupon_dialog(self._controller,
                                         view.coupon_code if view is not None else None, self))

    def customer(self) -> None:
        view = self.cart_model.view
        self._open(CustomerDialog(self._controller, view.customer if view else None, self))

    def park(self) -> None:
        self._open(dialogs.park_dialog(self._controller,
                                       lambda _parked: self._controller.call("cart"), self))

    def resume(self) -> None:
        self._open(ParkedDialog(self._controller, self))

    def remove_line(self) -> None:
        line = self._selected_line()
        if line is not None:
            self._controller.call("remove_line", line.index)

    def void_sale(self) -> None:
        if self.cart_model.rowCount():
            self._controller.call("void_sale")

    def lock(self) -> None:
        self._controller.call("lock")

    def request_return(self) -> None:
        self.return_requested.emit()

    def request_cash(self) -> None:
        self.cash_requested.emit()

    def request_close_shift(self) -> None:
        self.close_shift_requested.emit()

    def _selected_line(self) -> CartLineView | None:
        row = self.selected_row()
        line = self.cart_model.line(row) if row is not None else None
        if line is None:
            self.show_error("lines", CHOOSE_LINE)
        return line

    def _open(self, dialog: QWidget) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result, opened=dialog: self._dialog_closed(opened))
        dialog.open()

    def _dialog_closed(self, dialog: QWidget) -> None:
        if self.dialog is dialog:
            self.dialog = None
        # after Qt has finished closing it (the modal state ends after ``finished``)
        QTimer.singleShot(0, self.focus_scan)

"""What the selling page's buttons (and their shortcuts) do: each opens a small dialog or makes
one call, on the selected line where it needs one; the focus comes back to the scan field."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from app.till.views import CartLineView
from ui.till import dialogs
from ui.till.customer_dialog import CustomerDialog
from ui.till.parked_dialog import ParkedDialog

CHOOSE_LINE = "Choose a line first: Up/Down move through the cart"
VOID_QUESTION = ("Void the whole sale ({total}, {lines} line(s))? It is recorded as a void; "
                 "a manager approves it next")


class SellingActions:
    """Mixed into :class:`~ui.till.selling_page.SellingPage` (it has ``_controller``,
    ``cart_model``, ``dialogs``, ``_paying``, ``selected_row``, ``show_error``, ``focus_scan``
    and the ``return_requested``/``cash_requested``/``close_shift_requested`` signals)."""

    @property
    def dialog(self) -> QDialog | None:
        """The input dialog open over the page, if any."""
        return self.dialogs.dialog

    def pay(self) -> None:
        # F12 twice begins one payment; a scan still out is served first by the same worker
        self._paying.run(self._controller, "begin_payment")

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
        """Ctrl+Del, a key beside Del: asked once more before the whole cart goes."""
        view = self.cart_model.view
        if not self.cart_model.rowCount() or view is None:
            return
        self._open(dialogs.ConfirmDialog(
            name="voidConfirmDialog", title="Void sale", confirm_text="Void sale (Enter)",
            question=VOID_QUESTION.format(total=view.total_text, lines=len(view.lines)),
            on_confirm=lambda: self._controller.call("void_sale"), parent=self))

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

    def _open(self, dialog: QDialog) -> None:
        self.dialogs.open(dialog)

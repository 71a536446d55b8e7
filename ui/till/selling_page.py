"""The selling page: the scan field, the cart, its totals, favourites and the action buttons.

The scan field keeps the focus all day. A barcode scanner types digits and Enter (→ ``scan``);
letters start a search as you type, its results under the field (Up/Down choose, Enter adds,
Esc closes); with no results open Up/Down move the cart's selection, which Qty/Discount/Price/
Remove act on. Every action goes through the controller, and the focus comes back here.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from app.till.views import CartView, ItemHit
from ui.till import dialogs
from ui.till.action_grid import ActionGrid
from ui.till.actions import ACTIONS
from ui.till.cart_model import CartModel
from ui.till.cart_table import CartTable
from ui.till.controller import InFlight, TillController
from ui.till.dialog_slot import DialogSlot
from ui.till.entry_fields import MIN_TOUCH, MessageLabel, touch_button
from ui.till.favourites import FavouritesGrid
from ui.till.selling_actions import SellingActions
from ui.till.search_list import SearchList
from ui.till.totals_panel import TotalsPanel

#: letters typed: search after this pause (a person types ~5 keys a second)
LETTER_DELAY_MS = 60
#: digits only: a scanner finishes with Enter long before this, a person typing a code does not
DIGIT_DELAY_MS = 350
MIN_SEARCH = 2
MIN_DIGIT_SEARCH = 4
SCAN_PROMPT = "Scan or type a barcode, SKU or name"


class ScanField(QLineEdit):
    """The field a scanner types into (``scanField``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scanField")
        self.setAccessibleName("Scan or search")
        self.setPlaceholderText(SCAN_PROMPT)
        self.setMaxLength(128)
        self.setMinimumHeight(MIN_TOUCH + 8)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.setFont(font)


class SellingPage(SellingActions, QWidget):
    """Signals for what the register screen opens itself (U2's dialogs):
    ``return_requested``, ``cash_requested``, ``close_shift_requested``."""

    return_requested = Signal()
    cash_requested = Signal()
    close_shift_requested = Signal()

    def __init__(self, controller: TillController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sellingPage")
        self.setAccessibleName("Selling")
        self._controller = controller
        self.dialogs = DialogSlot(self.focus_scan)  # the input dialog open over the page
        self._picked = False  # the cashier moved through the results with Up/Down
        #: Pay's own guard: a scan still on its way does not swallow F12 (calls run in order)
        self._paying = InFlight(self._paying_changed)
        self._adding = 0  # scans and item adds not answered yet: Pay waits behind them

        self.scan_field = ScanField()
        self.scan_field.textEdited.connect(self._typed)
        self.scan_field.installEventFilter(self)
        self.message_label = MessageLabel("messageLabel")
        self.search_list = SearchList(self)
        self.search_list.chosen.connect(self._add_hit)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.timeout.connect(self._search)

        self.cart_model = CartModel(self)
        self.cart_view = CartTable(self.cart_model)
        self.totals = TotalsPanel()
        self.favourites = FavouritesGrid(controller)
        self.favourites.add_requested.connect(
            lambda hit: self._add_variant(hit.variant_id, sold_by_weight=hit.sold_by_weight,
                                          name=hit.name))
        self.buttons: dict[str, QPushButton] = {}

        left = QVBoxLayout()
        left.addWidget(self.scan_field)
        left.addWidget(self.message_label)
        left.addWidget(self.cart_view, 1)
        left.addWidget(self.totals)
        right = QVBoxLayout()
        right.addWidget(self.favourites, 1)
        right.addWidget(self._action_grid())
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

        controller.cart_changed.connect(self.show_cart)
        controller.error.connect(self.show_error)
        controller.notice.connect(self.show_notice)
        controller.search_results.connect(self._show_results)
        self._enable_pay()

    # -- building -----------------------------------------------------------------------------

    def _action_grid(self) -> ActionGrid:
        buttons = []
        for name, text, accessible, shortcut, method in ACTIONS:
            button = touch_button(name, text, accessible, shortcut=shortcut)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(getattr(self, method))
            self.buttons[name] = button
            if name == "payButton":
                button.setMinimumHeight(MIN_TOUCH * 2)
            else:
                buttons.append(button)
        self.action_grid = ActionGrid(buttons, self.buttons["payButton"])
        return self.action_grid

    # -- showing ------------------------------------------------------------------------------

    def show_cart(self, view: CartView) -> None:
        self.cart_model.setCartView(view)
        self.totals.show_cart(view)
        rows = self.cart_model.rowCount()
        if rows:
            row = view.changed_index if view.changed_index is not None else self.selected_row()
            row = rows - 1 if row is None or row >= rows else row
            self.cart_view.selectRow(row)
            self.cart_view.scrollTo(self.cart_model.index(row, 0))
        self._enable_pay()
        self.focus_scan()

    def show_error(self, field: str, message: str) -> None:
        self.message_label.setProperty("kind", "error")
        self.message_label.show_message(message)
        self._repolish(self.message_label)
        self.focus_scan()

    def show_notice(self, text: str) -> None:
        self.message_label.setProperty("kind", "notice")
        self.message_label.show_message(text)
        self._repolish(self.message_label)

    def focus_scan(self) -> None:
        """Back to the scan field, unless a dialog is open over the page."""
        if not self.isVisible() or QApplication.activeModalWidget() is not None:
            return
        if QApplication.activeWindow() is None:
            # a closed dialog leaves no active window on some platforms (offscreen, some X11
            # window managers): without one, no key would reach the scan field
            self.window().activateWindow()
        self.scan_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def selected_row(self) -> int | None:
        rows = self.cart_view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    # -- keys in the scan field ---------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is not self.scan_field:
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.ShortcutOverride and self._is_page_shortcut(event):
            return True  # not accepted: the button's shortcut gets the key, not the field
        if event.type() == QEvent.Type.KeyPress:
            return self._key(event.key(), event.modifiers())
        return False

    def _is_page_shortcut(self, event) -> bool:  # noqa: ANN001 - QKeyEvent
        if event.key() == Qt.Key.Key_Delete and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            return not self.scan_field.text()  # with text, Delete edits it
        pressed = QKeySequence(event.keyCombination())
        return any(button.shortcut() == pressed for button in self.buttons.values()
                   if button.isEnabled())

    def _key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        if modifiers not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
            return False
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            if self.search_list.open:
                self.search_list.step(step)
                self._picked = True
            else:
                self._move_cart_selection(step)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._enter()
            return True
        if key == Qt.Key.Key_Escape:
            self._escape()
            return True
        return False

    def _enter(self) -> None:
        text = self.scan_field.text().strip()
        hit = self.search_list.current_hit() if self.search_list.open else None
        if hit is not None and (self._picked or _has_letters(text)):
            self._add_hit(hit)
        elif text:
            self._scan(text)

    def _escape(self) -> None:
        if self.search_list.open:
            self._close_search()
        elif self.scan_field.text():
            self.scan_field.clear()
        else:
            self.message_label.show_message("")

    def _move_cart_selection(self, step: int) -> None:
        rows = self.cart_model.rowCount()
        if rows:
            current = self.selected_row()
            row = rows - 1 if current is None else max(0, min(rows - 1, current + step))
            self.cart_view.selectRow(row)
            self.cart_view.scrollTo(self.cart_model.index(row, 0))

    # -- scanning and searching ---------------------------------------------------------------

    def scan_code(self, code: str) -> None:
        """A code scanned elsewhere (after the last sale) for this cart."""
        self._close_search()
        self._call_adding("scan", code, on_error=lambda _error: self._put_back(code))

    def _scan(self, text: str) -> None:
        self._close_search()
        # cleared now: a scanner may already be typing the next code while this one is served
        self.scan_field.clear()
        self._call_adding("scan", text, on_error=lambda _error: self._put_back(text))

    def _call_adding(self, method: str, *args, on_error=None) -> None:  # noqa: ANN001, ANN002
        """A call that adds to the cart: Pay stays possible while it is out (see ``_enable_pay``)."""
        self._adding += 1
        self._enable_pay()

        def answered(_outcome: object = None) -> None:
            self._adding -= 1
            self._enable_pay()

        def refused(error) -> None:  # noqa: ANN001 - DomainError
            answered()
            if on_error is not None:
                on_error(error)
        self._controller.call(method, *args, on_done=answered, on_error=refused, owner=self)

    def _put_back(self, text: str) -> None:
        if not self.scan_field.text():
            self.scan_field.setText(text)
            self.scan_field.selectAll()  # the next scan replaces it

    def _typed(self, text: str) -> None:
        self.message_label.show_message("")
        stripped = text.strip()
        if _has_letters(stripped) and len(stripped) >= MIN_SEARCH:
            self._search_timer.start(LETTER_DELAY_MS)
        elif stripped.isdigit() and len(stripped) >= MIN_DIGIT_SEARCH:
            self._search_timer.start(DIGIT_DELAY_MS)
        else:
            self._close_search()

    def _search(self) -> None:
        text = self.scan_field.text().strip()
        if text:
            self._controller.search(text)

    def _show_results(self, result) -> None:  # noqa: ANN001 - SearchResult
        if result.query != self.scan_field.text().strip():
            return
        self._picked = False
        self.search_list.show_result(result)
        self._place_search_list()

    def _close_search(self) -> None:
        self._search_timer.stop()
        self._controller.clear_search()
        self.search_list.close_list()
        self._picked = False

    def _place_search_list(self) -> None:
        field = self.scan_field
        top_left = field.mapTo(self, QPoint(0, field.height()))
        self.search_list.setGeometry(top_left.x(), top_left.y(), field.width(),
                                     self.search_list.sizeHint().height())
        self.search_list.raise_()

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt's name
        super().resizeEvent(event)
        if self.search_list.open:
            self._place_search_list()

    def _add_hit(self, hit: ItemHit) -> None:
        self._close_search()
        self.scan_field.clear()
        self._add_variant(hit.variant_id, sold_by_weight=hit.sold_by_weight, name=hit.name)

    def _add_variant(self, variant_id: str, *, sold_by_weight: bool = False,
                     name: str = "") -> None:
        if sold_by_weight:
            self._open(dialogs.InputDialog(
                self._controller, title="Weight", prompt=f"Weight of {name} in kg",
                field_name="weightField", accessible="Weight", placeholder="e.g. 0.455",
                allow_empty=False, parent=self,
                submit=lambda text: ("add_item", (variant_id, text), {})))
            return
        self._call_adding("add_item", variant_id)

    def _enable_pay(self) -> None:
        has_items = bool(self.cart_model.rowCount()) or self._adding > 0
        self.buttons["payButton"].setEnabled(has_items and not self._paying.busy)

    def _paying_changed(self, _busy: bool) -> None:
        self._enable_pay()

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


"""The cart as a Qt table model: rows are the lines of the latest CartView, already formatted."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.till.views import CartLineView, CartView

#: (header, attribute of CartLineView shown, alignment)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
COLUMNS: tuple[tuple[str, str, Qt.AlignmentFlag], ...] = (
    ("Item", "name", _LEFT),
    ("Qty", "quantity_text", _RIGHT),
    ("Price", "unit_price_text", _RIGHT),
    ("Discount", "discount_text", _RIGHT),
    ("Total", "total_text", _RIGHT),
)

AnyIndex = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGNMENTS = tuple(int(alignment) for _header, _attribute, alignment in COLUMNS)


def _shown(line: CartLineView) -> tuple:
    """What a row displays: a line that only moved (its index changed) need not repaint."""
    return (line.variant_id, line.name, line.sku, line.quantity_text, line.unit_price_text,
            line.discount_text, line.total_text, line.price_source)


class CartModel(QAbstractTableModel):
    """Holds the lines of the cart the session last returned.

    :meth:`setCartView` tells the view only what changed — rows updated in place, inserted or
    removed — so a long cart is not rebuilt on every scan and the selection survives.
    """

    def __init__(self, parent=None) -> None:  # noqa: ANN001 - a QObject
        super().__init__(parent)
        self._lines: tuple[CartLineView, ...] = ()
        self._cells: tuple[tuple[str, ...], ...] = ()
        self.view: CartView | None = None

    # -- Qt's model interface ----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # asked for every role of every visible cell on each paint: kept to a tuple lookup
        if role == _DISPLAY or role == _ACCESSIBLE:
            row = index.row()
            return self._cells[row][index.column()] if 0 <= row < len(self._cells) else None
        if role == _ALIGN:
            return _ALIGNMENTS[index.column()]
        if role == _TOOLTIP and index.column() == 0 and 0 <= index.row() < len(self._lines):
            line = self._lines[index.row()]
            return f"{line.name} · {line.sku}"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return int(COLUMNS[section][2])
        return None

    # -- the cart ----------------------------------------------------------------------------

    def line(self, row: int) -> CartLineView | None:
        return self._lines[row] if 0 <= row < len(self._lines) else None

    def setCartView(self, view: CartView) -> None:  # noqa: N802 - Qt-style name (contract)
        """Show ``view``'s lines, signalling only the rows that differ from the last view."""
        old, new = self._lines, view.lines
        self.view = view
        start = 0
        while start < len(old) and start < len(new) and _shown(old[start]) == _shown(new[start]):
            start += 1
        end_old, end_new = len(old), len(new)
        while (end_old > start and end_new > start
               and _shown(old[end_old - 1]) == _shown(new[end_new - 1])):
            end_old, end_new = end_old - 1, end_new - 1
        changed_old, changed_new = end_old - start, end_new - start
        replaced = min(changed_old, changed_new)
        if changed_old > changed_new:
            first = start + replaced
            self.beginRemoveRows(QModelIndex(), first, first + changed_old - changed_new - 1)
            self._set_lines(new[:start + replaced] + old[end_old:])
            self.endRemoveRows()
        elif changed_new > changed_old:
            first = start + replaced
            self.beginInsertRows(QModelIndex(), first, first + changed_new - changed_old - 1)
            self._set_lines(new[:end_new] + old[end_old:])
            self.endInsertRows()
        # the new lines whole: the unchanged ones also carry their new index positions
        self._set_lines(new)
        if replaced:
            self.dataChanged.emit(self.index(start, 0),
                                  self.index(start + replaced - 1, len(COLUMNS) - 1))

    def _set_lines(self, lines: tuple[CartLineView, ...]) -> None:
        self._lines = lines
        self._cells = tuple(tuple(getattr(line, attribute) for _h, attribute, _a in COLUMNS)
                            for line in lines)

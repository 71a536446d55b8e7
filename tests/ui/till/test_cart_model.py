"""CartModel tells the view only what changed: a long cart is never rebuilt on each scan."""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtWidgets import QTableView

from app.till.views import CartLineView, CartView
from ui.till.cart_model import CartModel


def _line(index: int, quantity: int = 1) -> CartLineView:
    return CartLineView(index=index, variant_id=f"v{index}", sku=f"SKU-{index:05d}",
                        name=f"Item {index}", quantity_milli=quantity * 1000,
                        quantity_text=str(quantity), unit_price=150, unit_price_text="1.50",
                        discount=0, discount_text="", total=150 * quantity,
                        total_text=f"{150 * quantity // 100}.{150 * quantity % 100:02d}", price_source="catalogue",
                        sold_by_weight=False)


def _cart(lines: list[CartLineView]) -> CartView:
    lines = [replace(line, index=i) for i, line in enumerate(lines)]
    return CartView(lines=tuple(lines), currency="EUR", subtotal=0, subtotal_text="0.00",
                    discount_total=0, discount_text="0.00", tax_total=0, tax_text="0.00",
                    total=0, total_text="0.00")


class Recorder:
    def __init__(self, model: CartModel) -> None:
        self.events: list[tuple] = []
        model.rowsInserted.connect(lambda _p, first, last: self.events.append(("insert", first, last)))
        model.rowsRemoved.connect(lambda _p, first, last: self.events.append(("remove", first, last)))
        model.dataChanged.connect(lambda tl, br, _roles=(): self.events.append(
            ("changed", tl.row(), br.row())))
        model.modelReset.connect(lambda: self.events.append(("reset",)))

    def take(self) -> list[tuple]:
        events, self.events = self.events, []
        return events


def test_a_scan_inserts_one_row_and_a_change_repaints_one_row(qtbot):
    model = CartModel()
    lines = [_line(i) for i in range(200)]
    model.setCartView(_cart(lines))
    recorder = Recorder(model)

    model.setCartView(_cart(lines + [_line(200)]))
    assert recorder.take() == [("insert", 200, 200)]

    lines.append(_line(200))
    lines[57] = _line(57, quantity=3)
    model.setCartView(_cart(lines))
    assert recorder.take() == [("changed", 57, 57)]
    assert model.line(57).quantity_text == "3"
    assert model.rowCount() == 201


def test_removing_a_line_removes_one_row_and_the_rest_only_move(qtbot):
    model = CartModel()
    lines = [_line(i) for i in range(50)]
    model.setCartView(_cart(lines))
    recorder = Recorder(model)

    del lines[10]
    model.setCartView(_cart(lines))

    assert recorder.take() == [("remove", 10, 10)]
    assert [model.line(r).name for r in (9, 10, 48)] == ["Item 9", "Item 11", "Item 49"]
    assert model.line(10).index == 10  # the new position, which set_quantity takes


def test_an_emptied_cart_removes_every_row_and_a_resumed_one_inserts_them(qtbot):
    model = CartModel()
    lines = [_line(i) for i in range(5)]
    model.setCartView(_cart(lines))
    recorder = Recorder(model)

    model.setCartView(_cart([]))
    model.setCartView(_cart(lines))

    assert recorder.take() == [("remove", 0, 4), ("insert", 0, 4)]


def test_the_selection_survives_a_scan_and_a_200_line_cart_updates_fast(qtbot):
    model = CartModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    lines = [_line(i) for i in range(200)]
    model.setCartView(_cart(lines))
    view.selectRow(120)

    started = time.perf_counter()
    for n in range(200, 400):
        lines.append(_line(n))
        model.setCartView(_cart(lines))
    per_update_ms = (time.perf_counter() - started) * 1000 / 200

    assert view.selectionModel().selectedRows()[0].row() == 120
    assert model.rowCount() == 400
    assert per_update_ms < 5, per_update_ms


def test_cells_show_the_session_text_right_aligned_for_figures(qtbot):
    from PySide6.QtCore import Qt

    model = CartModel()
    model.setCartView(_cart([_line(0, quantity=2)]))

    assert [model.data(model.index(0, c)) for c in range(5)] == ["Item 0", "2", "1.50", "", "3.00"]
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)] == [
        "Item", "Qty", "Price", "Discount", "Total"]
    assert model.data(model.index(0, 4), Qt.ItemDataRole.TextAlignmentRole) & int(
        Qt.AlignmentFlag.AlignRight)

"""One order on the Orders page: its figures, lines, payments, refunds, history and shipments
as read by ``app.back_office.orders.detail``, and the buttons for what the person signed in
may do with it next. The panel only shows and asks: every action is a service run on a worker
(``OrderActions``), which checks the permission again."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.back_office.orders.detail import OrderDetail
from app.domain.permissions import Permission
from ui.back_office.context import PageContext

MOVE_LABELS = {"confirmed": "Confirm", "processing": "Start picking", "shipped": "Mark shipped",
               "delivered": "Mark delivered", "cancelled": "Cancel order"}


def _table(titles: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(titles))
    table.setHorizontalHeaderLabels(titles)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.setItem(r, c, QTableWidgetItem(text))


class OrderDetailPanel(QWidget):
    """Signals the page acts on: ``move_requested(status)``, ``pack_requested()``,
    ``label_requested(weight_grams, parcels)``, ``refund_requested(lines, reason)`` with lines
    as {line number: quantity in thousandths}."""

    move_requested = Signal(str)
    pack_requested = Signal()
    label_requested = Signal(int, int)
    refund_requested = Signal(object, str)  # a dict with int keys: not a QVariantMap
    invoice_requested = Signal()

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.detail: OrderDetail | None = None
        self.may_update = context.user.may(Permission.ORDERS_UPDATE)
        self.may_refund = context.user.may(Permission.REFUND)
        self.may_invoice = context.user.may(Permission.SELL)  # what issuing an invoice takes
        layout = QVBoxLayout(self)
        self.heading = QLabel("Choose an order")
        self.heading.setObjectName("orderHeading")
        self.figures = QLabel("")
        self.figures.setWordWrap(True)
        layout.addWidget(self.heading)
        layout.addWidget(self.figures)
        documents = QHBoxLayout()
        self.invoice_button = QPushButton("Print invoice")
        self.invoice_button.clicked.connect(self.invoice_requested.emit)
        self.invoice_note = QLabel("")
        self.invoice_note.setWordWrap(True)
        documents.addWidget(self.invoice_button)
        documents.addWidget(self.invoice_note, 1)
        layout.addLayout(documents)

        self.moves = QWidget()
        self.moves_row = QHBoxLayout(self.moves)
        self.moves_row.setContentsMargins(0, 0, 0, 0)
        self.move_buttons: dict[str, QPushButton] = {}
        layout.addWidget(self.moves)

        self.fulfilment = QGroupBox("Fulfilment")
        row = QHBoxLayout(self.fulfilment)
        self.pack_button = QPushButton("Pack")
        self.pack_button.clicked.connect(self.pack_requested.emit)
        self.weight = QSpinBox()
        self.weight.setRange(1, 30_000)
        self.weight.setSuffix(" g")
        self.weight.setValue(500)
        self.parcels = QSpinBox()
        self.parcels.setRange(1, 20)
        self.parcels.setPrefix("× ")
        self.label_button = QPushButton("Print shipping label")
        self.label_button.clicked.connect(
            lambda: self.label_requested.emit(self.weight.value(), self.parcels.value()))
        for widget in (self.pack_button, QLabel("Weight"), self.weight, self.parcels,
                       self.label_button):
            row.addWidget(widget)
        layout.addWidget(self.fulfilment)

        self.lines = _table(["#", "SKU", "Item", "Qty", "Unit", "Total", "Returned", "Return"])
        layout.addWidget(QLabel("Lines"))
        layout.addWidget(self.lines)
        self.refund_box = QWidget()
        refund_row = QHBoxLayout(self.refund_box)
        refund_row.setContentsMargins(0, 0, 0, 0)
        self.refund_reason = QLineEdit()
        self.refund_reason.setPlaceholderText("Why it comes back")
        self.refund_button = QPushButton("Refund to the original payments")
        self.refund_button.clicked.connect(self._refund_clicked)
        refund_row.addWidget(self.refund_reason)
        refund_row.addWidget(self.refund_button)
        layout.addWidget(self.refund_box)
        self.refund_note = QLabel("")
        self.refund_note.setWordWrap(True)
        layout.addWidget(self.refund_note)
        self.return_spins: dict[int, QDoubleSpinBox] = {}

        lists = QFormLayout()
        self.payments = _table(["Payment", "Amount", "Refunded"])
        self.refunds = _table(["Refund", "When", "Amount", "Reason", "Paid back"])
        self.history = _table(["When", "What", "Who", "Reason"])
        self.shipments = _table(["Carrier", "Service", "Tracking", "Parcels", "Printed"])
        for title, table in (("Payments", self.payments), ("Refunds", self.refunds),
                             ("History", self.history), ("Shipments", self.shipments)):
            lists.addRow(QLabel(title), table)
        layout.addLayout(lists)
        self.message = QLabel("")
        self.message.setObjectName("orderMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.show_detail(None)

    # -- showing ------------------------------------------------------------------------------
    def show_detail(self, detail: OrderDetail | None) -> None:
        self.detail = detail
        enabled = detail is not None
        for widget in (self.moves, self.fulfilment, self.refund_box, self.lines):
            widget.setEnabled(enabled)
        if detail is None:
            self.heading.setText("Choose an order")
            self.figures.setText("")
            for table in (self.lines, self.payments, self.refunds, self.history, self.shipments):
                table.setRowCount(0)
            self._set_moves(())
            self.fulfilment.setVisible(False)
            self.refund_box.setVisible(False)
            self.refund_note.setText("")
            self.invoice_button.setVisible(False)
            self.invoice_note.setText("")
            return
        where = "online" if detail.channel == "online" else "till"
        self.heading.setText(f"{detail.number} · {detail.status} · {where}")
        figures = [f"{detail.created}", f"customer: {detail.customer or '—'}",
                   f"total {detail.total} {detail.currency}", f"paid {detail.paid}"]
        if detail.refunded != "0.00":
            figures.append(f"refunded {detail.refunded}")
        if detail.tracking_number:
            figures.append(f"tracking {detail.tracking_number}")
        if detail.ship_to:
            figures.append("ship to: " + ", ".join(detail.ship_to.splitlines()))
        self.figures.setText(" · ".join(figures))
        self._show_lines(detail)
        _fill(self.payments, [(p.label, p.amount, p.refunded) for p in detail.payments])
        _fill(self.refunds, [(r.number, r.at, r.amount, r.reason, r.paid_back)
                             for r in detail.refunds])
        _fill(self.history, [(h.at, h.what, h.who, h.reason) for h in detail.history])
        _fill(self.shipments, [(s.carrier, s.service, s.tracking_number, str(s.parcels),
                                "yes" if s.printed else "waiting") for s in detail.shipments])
        self._set_moves(detail.moves if self.may_update else ())
        shippable = detail.to_ship and detail.status in ("confirmed", "processing")
        self.fulfilment.setVisible(self.may_update and shippable)
        self.pack_button.setEnabled(detail.status == "confirmed")
        self.refund_box.setVisible(self.may_refund and detail.can_refund)
        self.refund_note.setText(detail.refund_refused if self.may_refund else "")
        self.invoice_button.setVisible(self.may_invoice and not detail.invoice_refused)
        self.invoice_button.setText(f"Print invoice {detail.invoice}" if detail.invoice
                                    else "Issue and print invoice")
        self.invoice_note.setText(detail.invoice_refused if self.may_invoice else "")

    def _show_lines(self, detail: OrderDetail) -> None:
        _fill(self.lines, [(str(l.line_no), l.sku, l.name, l.quantity, l.unit_price, l.total,
                            l.refunded, "") for l in detail.lines])
        self.return_spins = {}
        if not (self.may_refund and detail.can_refund):
            return
        for row, line in enumerate(detail.lines):
            spin = QDoubleSpinBox()
            spin.setDecimals(3)
            spin.setRange(0, line.returnable_milli / 1000)
            spin.setEnabled(line.returnable_milli > 0)
            self.lines.setCellWidget(row, 7, spin)
            self.return_spins[line.line_no] = spin

    def _set_moves(self, moves: tuple[str, ...]) -> None:
        for button in self.move_buttons.values():
            self.moves_row.removeWidget(button)
            button.deleteLater()
        self.move_buttons = {}
        for status in moves:
            button = QPushButton(MOVE_LABELS.get(status, status.title()))
            button.setObjectName(f"move_{status}")
            button.clicked.connect(lambda _checked=False, s=status: self.move_requested.emit(s))
            self.moves_row.addWidget(button)
            self.move_buttons[status] = button
        self.moves.setVisible(bool(moves))

    def say(self, text: str) -> None:
        self.message.setText(text)

    def busy(self, busy: bool) -> None:
        for widget in (self.moves, self.fulfilment, self.refund_box):
            widget.setEnabled(not busy and self.detail is not None)

    # -- asking -------------------------------------------------------------------------------
    def _refund_clicked(self) -> None:
        wanted = {number: int(Decimal(str(spin.value())) * 1000)
                  for number, spin in self.return_spins.items() if spin.value() > 0}
        self.refund_requested.emit(wanted, self.refund_reason.text())

    def set_return(self, line_no: int, quantity: float) -> None:
        """Type a quantity to return on a line (what a clerk does in its box)."""
        self.return_spins[line_no].setValue(quantity)


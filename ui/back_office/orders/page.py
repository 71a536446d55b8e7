"""The Orders page: every order of the shop — this till's sales and the orders the server
showed it — in one paged list with filters (number, customer, status, channel, days), and the
chosen order's detail beside it with what the person may do: move it along the state machine
(``orders:update``), pick, pack and label orders to ship (the label through the window's print
queue; its printing ships the order), and refund this till's sales (``sale:refund``).

Nothing here touches the store on the UI thread: the list reads its pages on the database
worker (``PagedTableModel``), every action is a service run through ``context.runner``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QScrollArea,
                               QSplitter, QTableView, QVBoxLayout, QWidget)

from app.back_office.orders import detail as details
from app.back_office.orders import fulfilment, invoicing, refunds, status
from app.back_office.orders.listing import CHANNELS, OrderFilter, OrdersSource
from app.domain.errors import DomainError
from app.domain.orders import OrderStatus
from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.back_office.orders.detail_panel import OrderDetailPanel
from ui.back_office.paged_model import PagedTableModel

NO_DATE = QDate(2000, 1, 1)  # the date boxes' "any day"
#: typing waits this long for the next key before the list is read again: each new filter
#: is a count on the one database worker, and a customer search over a million orders is
#: not free (``python -m tests.perf.bench_order_list``)
TYPING_MS = 250


def _reason(error: BaseException) -> str:
    if isinstance(error, DomainError):
        field = getattr(error, "field", None)
        return f"{field}: {error}" if field else str(error)
    return f"it did not work: {error}"


class OrdersPage(QWidget):
    """Signals for tests and the status line: ``detail_shown(str)`` (the order's id, once its
    detail is on screen), ``acted(str)`` (what was done, in words), ``refused(str)``."""

    detail_shown = Signal(str)
    acted = Signal(str)
    refused = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        context.user.require(Permission.ORDERS_READ)
        super().__init__(parent)
        self.context = context
        self._order_id: str | None = None
        self._label_jobs: dict[str, str] = {}  # print job id -> order id
        layout = QVBoxLayout(self)
        layout.addLayout(self._filters())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model = PagedTableModel(context.runner, context.store, OrdersSource(), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._row_chosen(current.row()))
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        actions = QHBoxLayout()
        self.count_label = QLabel("")
        self.pick_button = QPushButton("Pick list for the chosen orders")
        self.pick_button.clicked.connect(self.print_pick_list)
        self.pick_button.setVisible(context.user.may(Permission.ORDERS_UPDATE))
        actions.addWidget(self.count_label)
        actions.addStretch(1)
        actions.addWidget(self.pick_button)
        left_layout.addLayout(actions)
        self.panel = OrderDetailPanel(context)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.panel)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter)
        self.model.counted.connect(lambda n: self.count_label.setText(
            f"{n} order{'s' if n != 1 else ''}"))
        self.model.failed.connect(self.panel.say)
        self.panel.move_requested.connect(self.move)
        self.panel.pack_requested.connect(self.pack)
        self.panel.label_requested.connect(self.print_label)
        self.panel.refund_requested.connect(self.refund)
        self.panel.invoice_requested.connect(self.print_invoice)
        self.acted.connect(self.panel.say)
        self.refused.connect(self.panel.say)
        if context.printing is not None:
            context.printing.delivered.connect(self._delivered)
            context.printing.failed.connect(self._print_failed)

    # -- the list -----------------------------------------------------------------------------
    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.number_filter = QLineEdit()
        self.number_filter.setPlaceholderText("Number")
        self.customer_filter = QLineEdit()
        self.customer_filter.setPlaceholderText("Customer name or email")
        self.status_filter = QComboBox()
        self.status_filter.addItem("Any status", "")
        for s in OrderStatus:
            self.status_filter.addItem(s.value.title(), s.value)
        self.channel_filter = QComboBox()
        self.channel_filter.addItem("Till and online", "")
        for channel in CHANNELS:
            self.channel_filter.addItem(channel.title(), channel)
        self.from_filter, self.to_filter = QDateEdit(), QDateEdit()
        for box, word in ((self.from_filter, "from any day"), (self.to_filter, "to any day")):
            box.setCalendarPopup(True)
            box.setDisplayFormat("yyyy-MM-dd")
            box.setMinimumDate(NO_DATE)
            box.setSpecialValueText(word)
            box.setDate(NO_DATE)
            box.dateChanged.connect(self.apply_filters)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_MS)
        self._typing.timeout.connect(self.apply_filters)
        self.number_filter.textChanged.connect(lambda _text: self._typing.start())
        self.customer_filter.textChanged.connect(lambda _text: self._typing.start())
        self.status_filter.currentIndexChanged.connect(self.apply_filters)
        self.channel_filter.currentIndexChanged.connect(self.apply_filters)
        self.filter_message = QLabel("")
        for widget in (self.number_filter, self.customer_filter, self.status_filter,
                       self.channel_filter, self.from_filter, self.to_filter,
                       self.filter_message):
            row.addWidget(widget)
        return row

    @staticmethod
    def _day(box: QDateEdit) -> date | None:
        chosen = box.date()
        return None if chosen == NO_DATE else date(chosen.year(), chosen.month(), chosen.day())

    def apply_filters(self) -> None:
        self._typing.stop()
        wanted = OrderFilter(status=self.status_filter.currentData() or "",
                             channel=self.channel_filter.currentData() or "",
                             number=self.number_filter.text(),
                             customer=self.customer_filter.text(),
                             date_from=self._day(self.from_filter),
                             date_to=self._day(self.to_filter))
        try:
            source = self.model.source.with_filter(wanted)
        except DomainError as error:
            self.filter_message.setText(_reason(error))
            return
        self.filter_message.setText("")
        self.model.set_source(source)

    def _row_chosen(self, row: int) -> None:
        found = self.model.row(row)
        if found is not None:
            self.show_order(found.id)

    def chosen_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [r.id for r in (self.model.row(n) for n in rows) if r is not None]

    # -- one order ----------------------------------------------------------------------------
    def show_order(self, order_id: str) -> None:
        self._order_id = order_id
        if self.context.runner.closed:  # a late outcome while the window closes
            return

        def read() -> details.OrderDetail:
            with self.context.store.read() as session:
                return details.load_detail(session, order_id)

        self.context.runner.run(read, kind="db", label="orders: detail", owner=self,
                                on_success=lambda d: self._shown(order_id, d),
                                on_failure=lambda e: self.refused.emit(_reason(e)))

    def _shown(self, order_id: str, detail: details.OrderDetail) -> None:
        if order_id != self._order_id:
            return  # another order was chosen meanwhile
        self.panel.show_detail(detail)
        self.detail_shown.emit(order_id)

    def _write(self, fn: Callable[..., Any], label: str, done: Callable[[Any], str],
               **kwargs: Any) -> None:
        """Run the service ``fn(session, staff_id=…, **kwargs)`` in one write transaction, then
        show the order again and refresh the list."""
        order_id, store = self._order_id, self.context.store
        staff_id = self.context.user.id

        def write() -> Any:
            with store.write() as session:
                return fn(session, staff_id=staff_id, **kwargs)

        def succeeded(result: Any) -> None:
            self.panel.busy(False)
            self.acted.emit(done(result))
            self.model.refresh()
            if order_id is not None:
                self.show_order(order_id)

        def failed(error: BaseException) -> None:
            self.panel.busy(False)
            self.refused.emit(_reason(error))

        self.panel.busy(True)
        self.context.runner.run(write, kind="db", label=label, owner=self,
                                on_success=succeeded, on_failure=failed)

    def move(self, target: str) -> None:
        detail = self.panel.detail
        if detail is None:
            return
        self._write(status.change_order_status, "orders: status", order_id=detail.id,
                    target=target, expected_version=detail.version,
                    done=lambda new: f"{detail.number} is {new} now"
                    + (" (the server is told at the next sync)" if detail.remote else ""))

    def pack(self) -> None:
        detail = self.panel.detail
        if detail is not None:
            self._write(fulfilment.pack, "orders: pack", order_id=detail.id,
                        done=lambda new: f"{detail.number} is being packed ({new})")

    def print_label(self, weight_grams: int, parcels: int) -> None:
        detail, printing = self.panel.detail, self.context.printing
        if detail is None:
            return
        if printing is None:
            self.refused.emit("printing is not running in this window: print the label with "
                              f"`tillpoint print label {detail.number}`")
            return

        def booked(shipment_id: str) -> str:
            printing.submit_document(
                "label", shipment_id, owner=self,
                on_queued=lambda job_id: self._label_jobs.__setitem__(job_id, detail.id),
                on_refused=lambda e: self.refused.emit(_reason(e)))
            return f"label for {detail.number} sent to the label printer"

        self._write(fulfilment.book_label, "orders: label", order_id=detail.id,
                    weight_grams=weight_grams, parcels=parcels, done=booked)

    def _delivered(self, job_id: str, where: str) -> None:
        order_id = self._label_jobs.pop(job_id, None)
        if order_id is None:
            return
        self.acted.emit(f"label printed ({where}): the order is shipped")
        self.model.refresh()
        if order_id == self._order_id:
            self.show_order(order_id)

    def _print_failed(self, job_id: str, title: str, reason: str) -> None:
        if job_id in self._label_jobs:
            self.refused.emit(f"the label did not print ({reason}): the order is not shipped; "
                              "retry it from the printing problems")

    def print_invoice(self) -> None:
        detail, printing = self.panel.detail, self.context.printing
        if detail is None:
            return
        if printing is None:
            self.refused.emit("printing is not running in this window: print the invoice with "
                              f"`tillpoint print invoice {detail.number}`")
            return

        def issued(invoice: tuple[str, str]) -> str:
            printing.submit_document("invoice", invoice[0], owner=self,
                                     on_refused=lambda e: self.refused.emit(_reason(e)))
            return f"invoice {invoice[1]} sent to the printer"

        self._write(invoicing.invoice_for, "orders: invoice", order_id=detail.id, done=issued)

    def print_pick_list(self) -> None:
        ids, printing = self.chosen_ids(), self.context.printing
        if not ids:
            self.refused.emit("choose the orders to pick (Ctrl-click several)")
            return
        if printing is None:
            self.refused.emit("printing is not running in this window")
            return
        printing.submit_document("pick_list", ",".join(ids), owner=self,
                                 on_queued=lambda _job: self.acted.emit(
                                     f"pick list for {len(ids)} order(s) sent to the printer"),
                                 on_refused=lambda e: self.refused.emit(_reason(e)))

    def refund(self, lines: dict, reason: str) -> None:
        detail = self.panel.detail
        if detail is None:
            return
        if not lines:
            self.refused.emit("lines: type how many come back on at least one line")
            return
        store, settings = self.context.store, self.context.settings

        def done(result: refunds.RefundDone) -> str:
            if result.cards_pending:  # recorded first; the card provider is asked after
                self.context.runner.run(refunds.send_card_refunds, store, settings,
                                        result.refund_id, kind="io",
                                        label="orders: card refund", owner=self,
                                        on_success=self._cards_sent,
                                        on_failure=lambda e: self.refused.emit(_reason(e)))
                return f"refund {result.number} recorded; sending the card refund…"
            return f"refund {result.number} recorded"

        self._write(refunds.refund_order, "orders: refund", order_id=detail.id, lines=lines,
                    reason=reason, done=done)

    def _cards_sent(self, failures: list[str]) -> None:
        if failures:
            self.refused.emit("the card refund did not go through (" + "; ".join(failures)
                              + "): it stays owed; `tillpoint refund --retry-cards` sends it "
                              "again")
        else:
            self.acted.emit("card refund done")
        if self._order_id:
            self.show_order(self._order_id)

"""The Customers page: the shop's customers in one paged list searched by name, email or phone
digits (read a page at a time on the database worker), and the chosen customer's detail beside
it: their record, purchase history and store credit. What the signed-in person may do follows
their role: ``customers:read`` shows, ``customers:write`` creates and edits, ``customers:gdpr``
exports and erases. Every read and write is a service run through ``context.runner``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QScrollArea, QSplitter, QTableView, QVBoxLayout,
                               QWidget)

from app import customers
from app.back_office.customers import gdpr
from app.back_office.customers.detail import CustomerDetail, customer_detail
from app.back_office.customers.listing import CustomerSource
from app.domain.errors import DomainError
from app.domain.permissions import Permission
from app.sales.identity import this_register
from ui.back_office.context import PageContext
from ui.back_office.customers.panel import CustomerPanel
from ui.back_office.paged_model import PagedTableModel

#: a search waits this long for the next key before the list is counted again (each new
#: search is a count on the one database worker: a phone search over 100,000 customers ~0.4 s)
TYPING_MS = 250

def reason(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return str(error)  # "field: what is wrong" when a field is to blame
    return f"it did not work: {error}"


class CustomersPage(QWidget):
    """Signals for tests and the status line: ``detail_shown(str)`` (the customer's id once
    shown), ``acted(str)`` (what was done, in words), ``refused(str)``."""

    detail_shown = Signal(str)
    acted = Signal(str)
    refused = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        context.user.require(Permission.CUSTOMERS_READ)
        super().__init__(parent)
        self.setObjectName("customersPage")
        self.context = context
        self._customer_id: str | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("customerSearch")
        self.search.setPlaceholderText("Search by name, email or phone")
        self.search.setAccessibleName("Search customers")
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_MS)
        self._typing.timeout.connect(lambda: self.apply_search(self.search.text()))
        self.search.textChanged.connect(lambda _text: self._typing.start())
        self.count_label = QLabel("")
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        layout.addLayout(top)
        self.model = PagedTableModel(context.runner, context.store, CustomerSource(), self)
        self.table = QTableView()
        self.table.setObjectName("customerTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._row_chosen(current.row()))
        self.panel = CustomerPanel(context)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.panel)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self.model.counted.connect(lambda n: self.count_label.setText(
            f"{n} customer{'s' if n != 1 else ''}"))
        self.model.failed.connect(self.panel.say)
        self.panel.save_requested.connect(self.save)
        self.panel.export_requested.connect(self.choose_export_file)
        self.panel.erase_confirmed.connect(self.erase)
        self.acted.connect(self.panel.say)
        self.refused.connect(self.panel.say)

    # -- the list -----------------------------------------------------------------------------
    def apply_search(self, text: str) -> None:
        self.model.set_source(self.model.source.with_search(text))

    def _row_chosen(self, row: int) -> None:
        found = self.model.row(row)
        if found is not None:
            self.show_customer(found.id)

    # -- one customer -------------------------------------------------------------------------
    def show_customer(self, customer_id: str) -> None:
        self._customer_id = customer_id
        store = self.context.store

        def read() -> tuple[CustomerDetail, str]:
            with store.read() as session:
                shop, _ = this_register(session)
                return customer_detail(session, customer_id), shop.currency

        self.context.runner.run(read, kind="db", label="customers: detail", owner=self,
                                on_success=lambda found: self._shown(customer_id, *found),
                                on_failure=lambda e: self.refused.emit(reason(e)))

    def _shown(self, customer_id: str, detail: CustomerDetail, currency: str) -> None:
        if customer_id != self._customer_id:
            return  # another customer was chosen meanwhile
        self.panel.show_detail(detail, currency)
        self.detail_shown.emit(customer_id)

    def _run(self, work: Callable[[], Any], label: str, done: Callable[[Any], str]) -> None:
        def succeeded(result: Any) -> None:
            self.panel.busy(False)
            self.acted.emit(done(result))
            self.model.refresh()
            if self._customer_id is not None:
                self.show_customer(self._customer_id)

        def failed(error: BaseException) -> None:
            self.panel.busy(False)
            self.refused.emit(reason(error))

        self.panel.busy(True)
        self.context.runner.run(work, kind="db", label=label, owner=self,
                                on_success=succeeded, on_failure=failed)

    def save(self, customer_id: str | None, values: dict[str, str]) -> None:
        if not self.context.user.may(Permission.CUSTOMERS_WRITE):
            self.refused.emit("you may not change customers")
            return
        store, staff_id = self.context.store, self.context.user.id

        def write() -> str:
            with store.write() as session:
                if customer_id is None:
                    return customers.create_customer(session, staff_id=staff_id,
                                                     **values).id
                customers.update_customer(session, staff_id=staff_id,
                                          customer_id=customer_id, changes=values)
                return customer_id

        def done(saved_id: str) -> str:
            self._customer_id = saved_id
            return f"{values.get('name', '').strip()} saved"

        self._run(write, "customers: save", done)

    def choose_export_file(self) -> None:
        if self.panel.detail is None:
            return
        folder = self.context.paths.data_dir / "exports" if self.context.paths else Path.home()
        dialog = QFileDialog(self, "Export the customer's data (GDPR)",
                             str(folder / f"customer-{self.panel.detail.id}.json"),
                             "JSON (*.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda chosen: self.export_to(Path(chosen)))
        dialog.open()

    def export_to(self, path: Path) -> None:
        detail = self.panel.detail
        if detail is None:
            return
        store, staff_id = self.context.store, self.context.user.id
        self._run(lambda: gdpr.export_to_file(store, staff_id=staff_id, customer_id=detail.id,
                                              path=path),
                  "customers: GDPR export",
                  lambda written: f"exported to {written} (what this till holds; the server's "
                                  "export is the complete one)")

    def erase(self) -> None:
        detail = self.panel.detail
        if detail is None:
            return
        store, staff_id = self.context.store, self.context.user.id

        def write() -> None:
            with store.write() as session:
                gdpr.erase_customer(session, staff_id=staff_id, customer_id=detail.id)

        self._run(write, "customers: GDPR erase",
                  lambda _: "erased here; the server erases its copy at the next sync")

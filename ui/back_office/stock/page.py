"""The Stock page of the back office (``backoffice:open`` and ``stock:read``: stock clerks,
managers, owners — a cashier reads stock at the till, not here): this
store's levels with each item's movements and adjustments, the low-stock list, receiving
deliveries, stock counts and transfers, one tab each. What changes stock is shown only to
those holding ``stock:write``, and every service checks it again when it writes.

Nothing here touches the store on the UI thread: lists read their pages on the database
worker (``PagedTableModel``), every action is a service run through ``context.runner``."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.back_office.stock import levels
from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.back_office.stock.common import paged_table
from ui.back_office.stock.counts_tab import CountsTab
from ui.back_office.stock.deliveries_tab import DeliveriesTab
from ui.back_office.stock.levels_tab import LevelsTab
from ui.back_office.stock.transfers_tab import TransfersTab


class StockPage(QWidget):
    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        context.user.require(Permission.BACK_OFFICE)  # never a cashier, whatever it reads
        context.user.require(Permission.STOCK_READ)
        super().__init__(parent)
        self.setObjectName("stockPage")
        self.context = context
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stockTabs")
        self.levels = LevelsTab(context)
        self.low, self.low_model = paged_table(context, levels.low_stock(), self, "stockLow")
        self.deliveries = DeliveriesTab(context)
        self.counts = CountsTab(context)
        self.transfers = TransfersTab(context)
        self.tabs.addTab(self.levels, "Levels")
        self.tabs.addTab(self.low, "Low stock")
        self.tabs.addTab(self.deliveries, "Receive deliveries")
        self.tabs.addTab(self.counts, "Stock counts")
        self.tabs.addTab(self.transfers, "Transfers")
        self.tabs.currentChanged.connect(self._tab_shown)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

    def _tab_shown(self, index: int) -> None:
        # what the other tabs posted moves levels: read them again when they are looked at
        if self.tabs.widget(index) is self.levels:
            self.levels.model.refresh()
        elif self.tabs.widget(index) is self.low:
            self.low_model.refresh()

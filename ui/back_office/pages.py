"""Which widget each back-office page is: ``"module:Class"``, imported when the page is first
opened (the back office's modules load only for people who use them). Every class takes a
``PageContext`` (and an optional parent) and builds its page from it."""

from __future__ import annotations

import importlib

from PySide6.QtWidgets import QWidget

from ui.back_office.context import PageContext

FACTORIES: dict[str, str] = {
    "products": "ui.back_office.products.page:ProductsPage",
    "stock": "ui.back_office.stock.page:StockPage",
    "orders": "ui.back_office.orders.page:OrdersPage",
    "customers": "ui.back_office.customers.page:CustomersPage",
    "staff": "ui.back_office.staff.page:StaffPage",
    "data": "ui.back_office.data.page:DataPage",
    "settings": "ui.back_office.settings_page:SettingsPage",
}


def build_page(key: str, context: PageContext, parent: QWidget | None = None) -> QWidget:
    module_name, _, class_name = FACTORIES[key].partition(":")
    page_class = getattr(importlib.import_module(module_name), class_name)
    return page_class(context, parent)

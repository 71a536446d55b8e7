"""The list of people to choose from: who signs in, which manager approves. One look for both:
a row a finger can hit, "name · role", the staff id behind it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.till.views import StaffCard
from ui.till.entry_fields import MIN_TOUCH

STAFF_ID = Qt.ItemDataRole.UserRole


def staff_list(name: str, accessible: str, parent: QWidget | None = None) -> QListWidget:
    widget = QListWidget(parent)
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setStyleSheet(f"QListWidget::item {{ min-height: {MIN_TOUCH}px; }}")
    return widget


def fill_staff(widget: QListWidget, cards: list[StaffCard], chosen: str | None = None) -> None:
    """Rows for ``cards``; ``chosen`` (a staff id) is selected, else the first row."""
    widget.clear()
    for card in cards:
        item = QListWidgetItem(f"{card.name}  ·  {card.role}")
        item.setData(STAFF_ID, card.id)
        widget.addItem(item)
        if card.id == chosen:
            widget.setCurrentItem(item)
    if widget.currentItem() is None and widget.count():
        widget.setCurrentRow(0)


def current_staff_id(widget: QListWidget) -> str | None:
    item = widget.currentItem()
    return item.data(STAFF_ID) if item is not None else None

"""The store's parked carts (from any till): choose one with Up/Down and resume it with Enter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout,
                               QWidget)

from app.domain.errors import DomainError
from app.till.views import ParkedView
from ui.till.controller import InFlight, TillController
from ui.till.entry_fields import MIN_TOUCH, MessageLabel, touch_button

PARKED_ROLE = Qt.ItemDataRole.UserRole
LOADING = "Loading parked carts…"
NONE_PARKED = "No parked carts in this store"


def describe_parked(parked: ParkedView) -> str:
    at = parked.created_at.astimezone().strftime("%H:%M")
    label = parked.label or "(no label)"
    return (f"{label} · {parked.item_count_text} · {parked.total_text} · "
            f"{parked.staff_name} on {parked.register_code} at {at}")


class ParkedDialog(QDialog):
    """``parkedList`` of the store's parked carts; Enter (or ``resumeParkedButton``) resumes
    the chosen one, Esc closes. Refusals (the cart is not empty) show in ``parkedMessage``."""

    def __init__(self, controller: TillController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("parkedDialog")
        self.setWindowTitle("Parked carts")
        self.setAccessibleName("Parked carts")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._controller = controller
        self._resuming = InFlight()
        self.message = MessageLabel("parkedMessage")
        self.message.show_message(LOADING)
        self.list = QListWidget()
        self.list.setObjectName("parkedList")
        self.list.setAccessibleName("Parked carts")
        self.list.setStyleSheet(f"QListWidget::item {{ min-height: {MIN_TOUCH}px; }}")
        self.list.itemActivated.connect(lambda _item: self.resume_current())
        resume = touch_button("resumeParkedButton", "Resume (Enter)", "Resume the chosen cart")
        resume.clicked.connect(self.resume_current)
        close = touch_button("parkedCancel", "Close (Esc)", "Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(resume)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.setMinimumSize(520, 360)
        self.loaded = False
        controller.call("parked", on_done=self._show, on_error=self._refused, owner=self)

    def _show(self, parked: list[ParkedView]) -> None:
        self.loaded = True
        self.list.clear()
        for entry in parked:
            item = QListWidgetItem(describe_parked(entry))
            item.setData(PARKED_ROLE, entry)
            self.list.addItem(item)
        if parked:
            self.list.setCurrentRow(0)
        self.message.show_message("" if parked else NONE_PARKED)
        self.list.setFocus()

    def resume_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._resuming.run(self._controller, "resume", item.data(PARKED_ROLE).id,
                               owner=self, on_done=lambda _cart: self.accept(),
                               on_error=self._refused)

    def _refused(self, error: DomainError) -> None:
        self.message.show_message(error.message)

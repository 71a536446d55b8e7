"""The category tree's dialog: every category by its path; choose one to rename or move it
(under another, or to the top), or add a new one. It collects what is typed; the page runs
``app.back_office.products.categories.save_category`` on the database worker."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from app.back_office.products.detail import Choices

CATEGORY_ID = 0x0100  # Qt.UserRole


class CategoriesDialog(QDialog):
    """``save_requested(category_id or "", name, parent_id or "")``: "" names a new category,
    or the top of the tree."""

    save_requested = Signal(str, str, str)

    def __init__(self, choices: Choices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Categories")
        layout = QVBoxLayout(self)
        self.tree = QListWidget()
        layout.addWidget(self.tree)
        form = QFormLayout()
        self.name_field = QLineEdit()
        self.parent_box = QComboBox()
        form.addRow("Name", self.name_field)
        form.addRow("Under", self.parent_box)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.new_button, self.save_button = QPushButton("New category"), QPushButton("Save")
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        self.new_button.clicked.connect(self.start_new)
        self.save_button.clicked.connect(self._save)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.tree.currentItemChanged.connect(lambda item, _old: self._chosen(item))
        self.editing = ""
        self.show_choices(choices)

    def show_choices(self, choices: Choices) -> None:
        self.paths = dict(choices.categories)
        self.tree.clear()
        for category_id, path in choices.categories:
            item = QListWidgetItem(path)
            item.setData(CATEGORY_ID, category_id)
            self.tree.addItem(item)
        self.parent_box.clear()
        self.parent_box.addItem("(the top)", "")
        for category_id, path in choices.categories:
            self.parent_box.addItem(path, category_id)

    def start_new(self) -> None:
        self.editing = ""
        self.tree.clearSelection()
        self.name_field.clear()
        self.message.setText("A new category")

    def _chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        self.editing = item.data(CATEGORY_ID)
        path = self.paths.get(self.editing, "")
        *above, name = path.split(" › ")
        self.name_field.setText(name)
        parent = " › ".join(above)
        parent_id = next((cid for cid, p in self.paths.items() if p == parent), "") \
            if above else ""
        self.parent_box.setCurrentIndex(max(0, self.parent_box.findData(parent_id)))
        self.message.setText("")

    def _save(self) -> None:
        self.save_requested.emit(self.editing, self.name_field.text(),
                                 self.parent_box.currentData() or "")

    def say(self, text: str) -> None:
        self.message.setText(text)

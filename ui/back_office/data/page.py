"""The back office's "Import, export, backups" page (``settings:manage``: owner, manager):
CSV import with its preview, CSV export of products, stock levels and customers, and the
backups (folder, last backup, Back up now, the list). Every read and write runs on the task
runner: the page never touches the store or a file on the UI thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from app import exports
from app.config.paths import Paths
from app.domain.permissions import Permission
from ui.back_office.context import PageContext
from ui.back_office.data.backups import BackupsPanel
from ui.back_office.data.import_panel import ImportPanel, reason

EXPORT_PERMISSION = {"products": Permission.CATALOG_READ, "stock": Permission.STOCK_READ,
                     "customers": Permission.CUSTOMERS_READ}


class DataPage(QWidget):
    """Signals: ``exported(str)`` with what was written, in words; ``failed(str)``."""

    exported = Signal(str)
    failed = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        context.user.require(Permission.SETTINGS_MANAGE)
        super().__init__(parent)
        self.context = context
        paths = context.paths or Paths(Path(context.store.path).parent)
        layout = QVBoxLayout(self)
        self.importer = ImportPanel(context, self)
        layout.addWidget(self.importer, 3)
        layout.addWidget(self._export_box())
        self.backups = BackupsPanel(context.runner, paths, context.settings, self)
        layout.addWidget(self.backups, 1)
        self.dialog: QFileDialog | None = None

    def _export_box(self) -> QGroupBox:
        box = QGroupBox("Export to CSV")
        row = QHBoxLayout(box)
        self.export_buttons: dict[str, QPushButton] = {}
        for what in exports.EXPORTS:
            button = QPushButton(f"Export {what}…")
            button.setVisible(self.context.user.may(EXPORT_PERMISSION[what]))
            button.clicked.connect(lambda _checked=False, w=what: self.choose_export(w))
            self.export_buttons[what] = button
            row.addWidget(button)
        self.export_message = QLabel("")
        row.addWidget(self.export_message, 1)
        return box

    def choose_export(self, what: str) -> None:
        self.dialog = QFileDialog(self, f"Export {what}", f"{what}.csv", "CSV files (*.csv)")
        self.dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.dialog.setDefaultSuffix("csv")
        self.dialog.fileSelected.connect(lambda path: self.export_to(what, path))
        self.dialog.open()

    def export_to(self, what: str, path: str) -> None:
        self.export_message.setText(f"Exporting {what}…")
        # a read transaction of its own on the io pool: writing a million rows to a file must
        # not hold the db worker every page reads and writes through
        self.context.runner.run(exports.export, self.context.store, what, Path(path), kind="io",
                                owner=self, label=f"export {what}",
                                on_success=lambda n: self._exported(what, path, n),
                                on_failure=self._export_failed)

    def _exported(self, what: str, path: str, rows: int) -> None:
        text = f"Exported {rows:,} {what} rows to {path}"
        self.export_message.setText(text)
        self.exported.emit(text)

    def _export_failed(self, error: BaseException) -> None:
        text = f"The export failed: {reason(error)}"
        self.export_message.setText(text)
        self.failed.emit(text)

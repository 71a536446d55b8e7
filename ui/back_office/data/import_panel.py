"""The import section: choose what and which file, Preview (every row checked on the database
worker, nothing written: the counts, the errors by row and column, the first rows as they will
be imported), then Import (one transaction on the database worker, with progress) or Cancel
(before: the preview is dropped; during: the import stops and nothing of it is kept)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QProgressBar, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from app.back_office.data import service
from app.back_office.data.plan import ImportCancelled, ImportRefused, Preview
from app.domain.errors import DomainError
from ui.back_office.context import PageContext
from ui.back_office.data.models import ErrorsModel, SampleModel


def reason(error: BaseException) -> str:
    return str(error) if isinstance(error, DomainError) else f"it did not work: {error}"


class _Relay(QObject):
    """Lives on the GUI thread: the import's worker emits through it, Qt queues the call."""

    progress = Signal(int, int)


class ImportPanel(QGroupBox):
    """Signals: ``previewed(object)`` (the ``Preview``), ``imported(object)`` (the
    ``ImportResult``), ``stopped(str)`` (cancelled or refused, in words: nothing imported)."""

    previewed = Signal(object)
    imported = Signal(object)
    stopped = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__("Import from CSV", parent)
        self.setObjectName("importPanel")
        self.context = context
        self.preview_shown: Preview | None = None
        self._cancel = threading.Event()
        self._importing = False
        self._relay = _Relay(self)
        self._relay.progress.connect(self._progress)
        layout = QVBoxLayout(self)
        choose = QHBoxLayout()
        self.kind = QComboBox()
        for name, kind in service.KINDS.items():
            if context.user.may(kind.permission):  # the service checks again when it writes
                self.kind.addItem(name.capitalize(), name)
        self.kind.currentIndexChanged.connect(lambda _i: self.discard())
        self.file_field = QLineEdit()
        self.file_field.setPlaceholderText("the CSV file (the columns the export writes)")
        self.file_field.textChanged.connect(lambda _t: self.discard())
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self.choose_file)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setObjectName("previewImport")
        self.preview_button.clicked.connect(self.preview)
        for widget in (self.kind, self.file_field, self.choose_button, self.preview_button):
            choose.addWidget(widget, 1 if widget is self.file_field else 0)
        layout.addLayout(choose)
        self.summary = QLabel("Choose what to import and the file, then Preview: nothing is "
                              "written until you press Import.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.errors = ErrorsModel()
        self.errors_view = self._table(self.errors)
        self.sample = SampleModel()
        self.sample_view = self._table(self.sample)
        layout.addWidget(QLabel("Errors (nothing is imported while there are any):"))
        layout.addWidget(self.errors_view, 1)
        layout.addWidget(QLabel("The first rows, as they will be imported:"))
        layout.addWidget(self.sample_view, 1)
        actions = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("runImport")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.run_import)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.import_button)
        actions.addWidget(self.cancel_button)
        layout.addLayout(actions)
        self.dialog: QFileDialog | None = None

    @staticmethod
    def _table(model) -> QTableView:  # noqa: ANN001
        view = QTableView()
        view.setModel(model)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setStretchLastSection(True)
        view.verticalHeader().setVisible(False)
        return view

    def choose_file(self) -> None:
        self.dialog = QFileDialog(self, "File to import", "", "CSV files (*.csv);;All files (*)")
        self.dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.dialog.fileSelected.connect(self.file_field.setText)
        self.dialog.open()  # window-modal: the event loop carries on

    def choose(self, kind: str, path: str) -> None:
        """What the combo box and the file dialog do (and tests)."""
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self.file_field.setText(path)

    # preview -------------------------------------------------------------------------------
    def preview(self) -> None:
        kind, path = self.kind.currentData(), self.file_field.text().strip()
        if kind is None or not path:
            self.summary.setText("Choose what to import and the file first.")
            return
        self.discard()
        self.preview_button.setEnabled(False)
        self.summary.setText("Checking every row…")
        self.context.runner.run(service.preview, self.context.store, kind, path,
                                staff_id=self.context.user.id, kind="db", owner=self,
                                label="import: preview", on_success=self._previewed,
                                on_failure=self._preview_failed)

    def _previewed(self, preview: Preview) -> None:
        self.preview_button.setEnabled(True)
        self.preview_shown = preview
        self.errors.show(preview)
        self.sample.show(preview)
        if preview.ok:
            verdict = "No errors: Import writes it all, in one go." \
                if preview.create or preview.update else "Nothing to change."
        else:
            verdict = f"{len(preview.errors):,} error(s): correct the file and Preview again."
        self.summary.setText(f"{preview.summary()}. {verdict}")
        self.import_button.setEnabled(preview.ok and bool(preview.create or preview.update))
        self.cancel_button.setEnabled(True)
        self.previewed.emit(preview)

    def _preview_failed(self, error: BaseException) -> None:
        self.preview_button.setEnabled(True)
        self.summary.setText(reason(error))
        self.stopped.emit(reason(error))

    def discard(self) -> None:
        """Drop the preview (Cancel before importing, or another kind or file chosen)."""
        if self._importing:
            return
        self.preview_shown = None
        self.errors.show(None)
        self.sample.show(None)
        self.import_button.setEnabled(False)
        self.cancel_button.setEnabled(False)

    # import --------------------------------------------------------------------------------
    def run_import(self) -> None:
        preview = self.preview_shown
        if preview is None or not preview.ok or self._importing:
            return
        self._importing = True
        self._cancel.clear()
        self.import_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.summary.setText("Importing…")
        self.context.runner.run(service.run_import, self.context.store, preview.kind,
                                preview.file, staff_id=self.context.user.id,
                                expected_sha256=preview.sha256,
                                progress=self._relay.progress.emit,
                                cancelled=self._cancel.is_set, kind="db", owner=self,
                                label="import: write", on_success=self._imported,
                                on_failure=self._import_failed)

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def cancel(self) -> None:
        if self._importing:
            self._cancel.set()  # the worker stops at its next chunk and rolls back
            self.summary.setText("Cancelling…")
        else:
            self.discard()
            self.summary.setText("Cancelled: nothing was imported.")
            self.stopped.emit("cancelled")

    def _finish(self) -> None:
        self._importing = False
        self.progress.setVisible(False)
        self.preview_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _imported(self, result: service.ImportResult) -> None:
        self._finish()
        self.preview_shown = None
        self.summary.setText(f"Imported {result.preview.kind}: {result.preview.create:,} "
                             f"created, {result.preview.update:,} updated, "
                             f"{result.preview.unchanged:,} unchanged.")
        self.imported.emit(result)

    def _import_failed(self, error: BaseException) -> None:
        self._finish()
        if isinstance(error, ImportRefused):  # the store or file changed since the preview
            self._previewed(error.preview)
        text = "Cancelled: nothing was imported." if isinstance(error, ImportCancelled) else \
            f"Nothing was imported: {reason(error)}"
        self.summary.setText(text)
        self.import_button.setEnabled(False)
        self.stopped.emit(text)

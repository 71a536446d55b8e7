"""Print preview: a drawn document shown with QtPdf's viewer, then printed (through the print
worker, on the printer chosen for its kind) or saved as a PDF — saving is always offered, with
or without a printer.

The PDF arrives already drawn (on the database worker); the dialog only shows it, and writes
the file on the I/O pool.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Signal
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from ui.tasks import TaskRunner


def save_pdf(pdf: bytes, path: Path) -> Path:
    """Write ``pdf`` to ``path`` through a temporary file, so a half-written PDF never
    replaces one the user chose to overwrite (any thread)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


class PrintPreview(QDialog):
    """Shows ``pdf``; ``on_print`` (when given) sends it to its printer. ``saved(path)`` once
    a copy is on disk."""

    saved = Signal(str)

    def __init__(self, pdf: bytes, title: str, runner: TaskRunner, parent: QWidget | None = None,
                 *, on_print: Callable[[], None] | None = None,
                 printer_name: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Preview — {title}")
        self.resize(640, 800)
        self.pdf, self.title = bytes(pdf), title
        self._runner = runner
        self._on_print = on_print
        # the document reads from this buffer for as long as it is shown
        self._data = QByteArray(self.pdf)
        self._buffer = QBuffer(self)
        self._buffer.setData(self._data)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.print_button = QPushButton(f"Print on {printer_name}" if printer_name else "Print",
                                        self)
        self.print_button.clicked.connect(self._print)
        self.save_button = QPushButton("Save as PDF…", self)
        self.save_button.clicked.connect(self._ask_where)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.setVisible(on_print is not None)  # after addButton, which shows it
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        if self.document.status() == QPdfDocument.Status.Error:
            self.status.setText("This document cannot be shown; it can still be saved")

    @property
    def pages(self) -> int:
        return self.document.pageCount()

    def _print(self) -> None:
        if self._on_print is not None:
            self._on_print()
        self.accept()

    def _ask_where(self) -> None:
        suggested = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.title)
        path, _filter = QFileDialog.getSaveFileName(self, "Save as PDF", f"{suggested}.pdf",
                                                    "PDF documents (*.pdf)")
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Save the document at ``path`` (on the I/O pool)."""
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self._runner.run(save_pdf, self.pdf, path, kind="io", label="preview save", owner=self,
                         on_success=self._saved, on_failure=self._not_saved)

    def _saved(self, path: Path) -> None:
        self.save_button.setEnabled(True)
        self.status.setText(f"Saved to {path}")
        self.saved.emit(str(path))

    def _not_saved(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        self.status.setText(f"Not saved: {reason}")

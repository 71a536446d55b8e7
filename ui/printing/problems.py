"""The documents that did not print, each with its reason and a Retry: a strip the window shows
while anything is waiting for the cashier (paper to change, a printer to switch on)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.printing.queue import Job
from ui.printing.worker import PrintWorker


class PrintProblems(QWidget):
    """Lists the print worker's failed jobs; hidden while there are none."""

    def __init__(self, worker: PrintWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.rows: dict[str, QWidget] = {}
        self.setHidden(True)
        worker.changed.connect(self.refresh)

    def refresh(self) -> None:
        self._worker.failed_jobs(self._show, owner=self)

    def _show(self, jobs: list[Job]) -> None:
        for row in self.rows.values():
            row.deleteLater()
        self.rows = {job.id: self._row(job) for job in jobs}
        for row in self.rows.values():
            self._layout.addWidget(row)
        self.setHidden(not jobs)

    def _row(self, job: Job) -> QWidget:
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        where = job.printer or "the default printer"
        label = QLabel(f"{job.title} not printed on {where}: {job.error or 'failed'}", row)
        label.setObjectName("reason")
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        retry = QPushButton("Retry", row)
        retry.setObjectName("retry")
        retry.clicked.connect(lambda: self._worker.retry(job.id))
        discard = QPushButton("Discard", row)
        discard.setObjectName("discard")
        discard.setToolTip("forget this job; the document can be printed again as a copy")
        discard.clicked.connect(lambda: self._worker.discard(job.id))
        line.addWidget(label, 1)
        line.addWidget(retry)
        line.addWidget(discard)
        return row

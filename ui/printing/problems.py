"""The documents that did not print, each with its reason and a Retry: a strip the window shows
while anything is waiting for the cashier (paper to change, a printer to switch on).

On the till the strip is ``compact``: its buttons never take the focus (a scanner's keys must
keep landing in the scan field) and it shows the first few jobs, saying how many more wait in
Settings › Printers, so a printer left off all morning cannot push the cart off the screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.printing.queue import Job
from ui.printing.worker import PrintWorker

COMPACT_ROWS = 3


class PrintProblems(QWidget):
    """Lists the print worker's failed jobs; hidden while there are none. ``listed(n)`` each
    time the list was read again."""

    listed = Signal(int)

    def __init__(self, worker: PrintWorker, parent: QWidget | None = None, *,
                 compact: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("printProblems")
        self.setAccessibleName("Documents not printed")
        self._worker = worker
        self._compact = compact
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.rows: dict[str, QWidget] = {}
        self.more = QLabel(self)
        self.more.setObjectName("moreProblems")
        self.more.hide()
        self.setHidden(True)
        worker.changed.connect(self.refresh)

    def refresh(self) -> None:
        self._worker.failed_jobs(self._show, owner=self)

    def _show(self, jobs: list[Job]) -> None:
        for row in self.rows.values():
            row.deleteLater()
        shown = jobs[:COMPACT_ROWS] if self._compact else jobs
        self.rows = {job.id: self._row(job) for job in shown}
        self._layout.removeWidget(self.more)
        for row in self.rows.values():
            self._layout.addWidget(row)
        hidden = len(jobs) - len(shown)
        self.more.setText(f"… and {hidden} more not printed: see Settings › Printers")
        self.more.setVisible(hidden > 0)
        self._layout.addWidget(self.more)
        self.setHidden(not jobs)
        self.listed.emit(len(jobs))

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
        retry.setAccessibleName(f"Retry {job.title}")
        retry.clicked.connect(lambda: self._worker.retry(job.id))
        discard = QPushButton("Discard", row)
        discard.setObjectName("discard")
        discard.setAccessibleName(f"Discard {job.title}")
        discard.setToolTip("forget this job; the document can be printed again as a copy")
        discard.clicked.connect(lambda: self._worker.discard(job.id))
        if self._compact:
            for widget in (label, retry, discard):
                widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        line.addWidget(label, 1)
        line.addWidget(retry)
        line.addWidget(discard)
        return row

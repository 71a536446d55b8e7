"""The Settings sections one under another in a scroll area (a 1024×768 screen shows them whole
or scrolls). Printers is built here; the back office's Settings page
(``ui.back_office.settings_page``) adds its other sections around it with
:meth:`SettingsScreen.add_section`."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from ui.printing.chooser import system_printers
from ui.printing.worker import PrintWorker
from ui.settings.printers import PrintersSection
from ui.tasks import TaskRunner

NO_PRINT_WORKER = ("Printers are set up in the window, which prints every document through its "
                   "one print worker.")


class SettingsScreen(QWidget):
    """``settingsScreen``: ``settingsTitle`` over its sections (``printers``, or
    ``noPrintWorker`` where there is no print worker to test pages on)."""

    def __init__(self, runner: TaskRunner, settings: Any, worker: PrintWorker | None,
                 parent: QWidget | None = None, *,
                 list_printers: Callable[[], list[str]] = system_printers) -> None:
        super().__init__(parent)
        self.setObjectName("settingsScreen")
        self.setAccessibleName("Settings")
        self.worker = worker
        title = QLabel("Settings")
        title.setObjectName("settingsTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        self.printers: PrintersSection | None = None
        if worker is not None:
            self.printers = PrintersSection(runner, settings, worker, list_printers=list_printers)
            printers: QWidget = self.printers
        else:
            printers = QLabel(NO_PRINT_WORKER)
            printers.setObjectName("noPrintWorker")
            printers.setWordWrap(True)

        body = QWidget()
        self._sections = QVBoxLayout(body)
        self._sections.addWidget(title)
        self._sections.addWidget(printers)
        self._printers = printers
        self._sections.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.scroll = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def add_section(self, section: QWidget, *, before_printers: bool = False) -> None:
        """Add a section under the others (or just above Printers)."""
        index = (self._sections.indexOf(self._printers) if before_printers
                 else self._sections.count() - 1)  # the stretch stays last
        self._sections.insertWidget(index, section)

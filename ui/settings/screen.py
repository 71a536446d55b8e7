"""The window's Settings screen: sections one under another in a scroll area (a 1024×768 till
shows them whole or scrolls). Printers is the first; card reader and pairing plug in beside it
as they arrive."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from ui.printing.chooser import system_printers
from ui.printing.worker import PrintWorker
from ui.settings.printers import PrintersSection
from ui.tasks import TaskRunner


class SettingsScreen(QWidget):
    """``settingsScreen``: ``settingsTitle`` over its sections (``printers``)."""

    def __init__(self, runner: TaskRunner, settings: Any, worker: PrintWorker,
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
        self.printers = PrintersSection(runner, settings, worker, list_printers=list_printers)

        body = QWidget()
        sections = QVBoxLayout(body)
        sections.addWidget(title)
        sections.addWidget(self.printers)
        sections.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

"""Backups in the window: ``DailyBackups`` takes the daily backup on the I/O pool when the
window starts and checks again every hour (the lead wires one into ``ui/app.py``:
``DailyBackups(runner, paths, settings, parent=window).start()``); ``BackupsPanel`` is the
page's section: the folder, the last backup, Back up now and the list of backups."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLabel, QListWidget, QPushButton,
                               QVBoxLayout, QWidget)

from app import backup_schedule
from app.config.paths import Paths
from ui.tasks import TaskRunner

HOUR_MS = 60 * 60 * 1000


class DailyBackups(QObject):
    """Signals: ``checked(object)`` with the ``DailyResult`` of each check (``taken`` None when
    one was taken today already), ``failed(str)`` with the reason (a full disk, a folder that
    cannot be written): the window says so, the till keeps selling."""

    checked = Signal(object)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, paths: Paths, settings, parent: QObject | None = None,
                 *, interval_ms: int = HOUR_MS) -> None:  # noqa: ANN001 - Settings
        super().__init__(parent)
        self.runner, self.paths, self.settings = runner, paths, settings
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self._running = False

    def start(self) -> None:
        self.check()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def check(self) -> None:
        if self._running or self.runner.closed:  # a slow backup is not started twice
            return
        self._running = True
        self.runner.run(backup_schedule.run_if_due, self.paths, self.settings, kind="io",
                        label="daily backup", owner=self,
                        on_success=self._done, on_failure=self._failed)

    def _done(self, result: backup_schedule.DailyResult) -> None:
        self._running = False
        self.checked.emit(result)

    def _failed(self, error: BaseException) -> None:
        self._running = False
        self.failed.emit(f"the daily backup failed: {error}")


class BackupsPanel(QGroupBox):
    """Signals: ``listed(int)`` once the list of backups is shown, ``backed_up(str)`` with the
    new file's path, ``failed(str)``."""

    listed = Signal(int)
    backed_up = Signal(str)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, paths: Paths, settings,
                 parent: QWidget | None = None) -> None:  # noqa: ANN001 - Settings
        super().__init__("Backups", parent)
        self.setObjectName("backupsPanel")
        self.runner, self.paths, self.settings = runner, paths, settings
        layout = QVBoxLayout(self)
        self.folder_label = QLabel("")
        self.last_label = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.backup_button = QPushButton("Back up now")
        self.backup_button.setObjectName("backUpNow")
        self.backup_button.clicked.connect(self.back_up_now)
        top = QHBoxLayout()
        top.addWidget(self.folder_label, 1)
        top.addWidget(self.backup_button)
        layout.addLayout(top)
        layout.addWidget(self.last_label)
        self.list = QListWidget()
        self.list.setObjectName("backupList")
        layout.addWidget(self.list, 1)
        layout.addWidget(self.message)
        self.refresh()

    def folder(self) -> Path:
        return backup_schedule.backup_folder(self.paths, self.settings)

    def refresh(self) -> None:
        folder = self.folder()
        self.folder_label.setText(f"Folder: {folder} (daily, the newest "
                                  f"{self.settings.get('backup.keep')} kept; Settings › Backups)")
        self.runner.run(backup_schedule.list_backups, folder, kind="io", owner=self,
                        label="list backups", on_success=self._show,
                        on_failure=lambda e: self._fail(f"the folder cannot be read: {e}"))

    def _show(self, backups: list[backup_schedule.BackupFile]) -> None:
        self.list.clear()
        for b in backups:
            kind = "daily" if b.automatic else "by hand"
            self.list.addItem(f"{b.taken_at:%Y-%m-%d %H:%M:%S}  {kind}  "
                              f"{b.bytes / 2**20:.1f} MB  {b.path.name}")
        self.last_label.setText(f"Last backup: {backups[0].taken_at:%Y-%m-%d %H:%M}"
                                if backups else "Last backup: none yet")
        self.listed.emit(len(backups))

    def back_up_now(self) -> None:
        self.backup_button.setEnabled(False)
        self.message.setText("Backing up…")
        self.runner.run(backup_schedule.back_up_now, self.paths, self.settings, kind="io",
                        owner=self, label="back up now", on_success=self._backed_up,
                        on_failure=lambda e: self._fail(f"the backup failed: {e}"))

    def _backed_up(self, report) -> None:  # noqa: ANN001 - app.backup.BackupReport
        self.backup_button.setEnabled(True)
        self.message.setText(f"Backed up to {report.file} ({report.bytes / 2**20:.1f} MB in "
                             f"{report.seconds:.1f} s)")
        self.backed_up.emit(str(report.file))
        self.refresh()

    def _fail(self, text: str) -> None:
        self.backup_button.setEnabled(True)
        self.message.setText(text)
        self.failed.emit(text)

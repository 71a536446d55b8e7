"""What every back-office page is built from: the store, the task runner, the settings, the
person signed in, and the window's shared workers (printing, sync) where the window has them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.back_office.access import BackOfficeUser
from app.config.paths import Paths
from db.engine import LocalStore
from ui.tasks import TaskRunner


@dataclass(frozen=True, slots=True)
class PageContext:
    store: LocalStore
    runner: TaskRunner
    settings: Any  # app.config.settings.Settings
    user: BackOfficeUser
    paths: Paths | None = None
    printing: Any = None  # ui.printing.worker.PrintWorker: the window's one print worker
    sync: Any = None  # ui.sync_controller.SyncController, when the till is paired

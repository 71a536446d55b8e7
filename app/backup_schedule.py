"""Automatic daily backups of the local store, with rotation.

The window asks ``run_if_due`` at start and then every hour (``ui.back_office.data.backups``):
a backup is due when the backup folder holds no Tillpoint backup taken today (local date),
automatic or by hand. Automatic backups are named ``tillpoint-auto-YYYYMMDD-HHMMSS.sqlite3``
and only those are ever deleted: the newest ``backup.keep`` stay. A backup taken by hand
(``tillpoint backup``, "Back up now": ``tillpoint-YYYYMMDD-HHMMSS.sqlite3``) and any other
file in the folder are left alone.

The copy itself is ``app.backup.backup``: SQLite's online backup, consistent while the till
keeps selling, written aside and renamed into place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from app.backup import BackupReport, backup, default_backup_file
from app.config.paths import Paths
from app.domain.errors import InvalidInput

AUTO_PREFIX = "tillpoint-auto-"
_NAME = re.compile(r"^tillpoint-(auto-)?(\d{8})-(\d{6})\.sqlite3$")
MAX_KEEP = 3650


@dataclass(frozen=True, slots=True)
class BackupFile:
    path: Path
    taken_at: datetime  # local time, from the name
    automatic: bool
    bytes: int


@dataclass(frozen=True, slots=True)
class DailyResult:
    taken: BackupReport | None  # None: one was taken today already
    removed: tuple[Path, ...] = field(default_factory=tuple)


def backup_folder(paths: Paths, settings) -> Path:  # noqa: ANN001 - app.config.settings.Settings
    """``backup.dir``, or ``backups/`` in the data directory when it is empty."""
    chosen = settings.get("backup.dir")
    return Path(chosen).expanduser() if chosen else paths.backups


def keep_count(settings) -> int:  # noqa: ANN001
    keep = settings.get("backup.keep")
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_KEEP}", field="backup.keep")
    return keep


def list_backups(folder: Path) -> list[BackupFile]:
    """The Tillpoint backups in ``folder`` (by their names), newest first."""
    found: list[BackupFile] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if not match or not path.is_file():
            continue
        try:
            taken = datetime.strptime(match.group(2) + match.group(3), "%Y%m%d%H%M%S")
            size = path.stat().st_size
        except (ValueError, OSError):
            continue  # a name that is no date, or a file gone meanwhile
        found.append(BackupFile(path, taken, bool(match.group(1)), size))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def is_due(folder: Path, now: datetime | None = None) -> bool:
    today = (now or datetime.now()).date()
    return not any(b.taken_at.date() == today for b in list_backups(folder))


def automatic_file(folder: Path, now: datetime | None = None) -> Path:
    plain = default_backup_file(folder, now)
    return plain.with_name(plain.name.replace("tillpoint-", AUTO_PREFIX, 1))


def rotate(folder: Path, keep: int) -> tuple[Path, ...]:
    """Delete the automatic backups beyond the newest ``keep``; returns what was deleted."""
    automatic = [b for b in list_backups(folder) if b.automatic]
    removed = []
    for old in automatic[keep:]:
        old.path.unlink(missing_ok=True)
        removed.append(old.path)
    return tuple(removed)


def take_daily(store_path: Path, folder: Path, *, keep: int,
               now: datetime | None = None) -> DailyResult:
    """The daily backup if none was taken today, then the rotation."""
    if not is_due(folder, now):
        return DailyResult(None, rotate(folder, keep))
    report = backup(store_path, automatic_file(folder, now))
    return DailyResult(report, rotate(folder, keep))


def run_if_due(paths: Paths, settings, now: datetime | None = None) -> DailyResult:  # noqa: ANN001
    return take_daily(paths.store, backup_folder(paths, settings), keep=keep_count(settings),
                      now=now)


def back_up_now(paths: Paths, settings,  # noqa: ANN001 - app.config.settings.Settings
                now: datetime | None = None) -> BackupReport:
    """A backup by hand into the backup folder (never rotated away)."""
    return backup(paths.store, default_backup_file(backup_folder(paths, settings), now))

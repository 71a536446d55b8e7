"""Every path Tillpoint uses, resolved once: ``--data-dir`` beats ``TILLPOINT_DATA_DIR`` beats
the platform's user data directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app.domain.errors import InvalidInput

APP_NAME = "tillpoint"
ENV_DATA_DIR = "TILLPOINT_DATA_DIR"


@dataclass(frozen=True, slots=True)
class Paths:
    data_dir: Path

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> "Paths":
        if data_dir is not None and not str(data_dir).strip():
            # An unset shell variable must not quietly select the live store.
            raise InvalidInput("an empty --data-dir names no directory", field="data_dir")
        chosen = data_dir or os.environ.get(ENV_DATA_DIR) or platformdirs.user_data_dir(APP_NAME)
        return cls(Path(chosen).expanduser().resolve())

    @property
    def store(self) -> Path:
        return self.data_dir / "tillpoint.sqlite3"

    @property
    def settings(self) -> Path:
        return self.data_dir / "settings.toml"

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"

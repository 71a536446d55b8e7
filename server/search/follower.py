"""The background worker that keeps the search read model within a second of the catalogue's change log."""

from __future__ import annotations

from typing import Callable

from pymongo.database import Database

from server.config import ServerSettings


def background_starter(db: Database, settings: ServerSettings) -> Callable[[], Callable[[], None]]:
    """What ``create_app`` puts in ``app.state.background``: starts the worker, returns its stop."""

    def start() -> Callable[[], None]:
        return lambda: None  # not built yet

    return start

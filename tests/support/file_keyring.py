"""A keyring backend that keeps secrets in a JSON file: the real ``keyring`` API path for tests
on machines without a keyring (CI). In-process it is set with ``keyring.set_keyring``; a
subprocess selects it with ``PYTHON_KEYRING_BACKEND=tests.support.file_keyring.FileKeyring``
and ``TILLPOINT_TEST_KEYRING=<file>`` (and the repository on ``PYTHONPATH``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from jaraco.classes import properties

ENV_FILE = "TILLPOINT_TEST_KEYRING"
REPO = Path(__file__).resolve().parents[2]


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - keyring's class property
        # Viable only where a test asked for it: keyring's auto-detection instantiates every
        # backend class it knows, and must never pick this one for other tests.
        if not os.environ.get(ENV_FILE):
            raise RuntimeError(f"{ENV_FILE} is not set")
        return 1

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = Path(path or os.environ.get(ENV_FILE) or os.devnull)

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def _save(self, values: dict[str, str]) -> None:
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(values, indent=1, sort_keys=True))
        os.replace(partial, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        values = self._load()
        values[f"{service}/{username}"] = password
        self._save(values)

    def delete_password(self, service: str, username: str) -> None:
        values = self._load()
        if values.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("no such secret")
        self._save(values)

    def secrets(self) -> dict[str, str]:
        return self._load()


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileKeyring]:
    """This process's keyring is a file in ``tmp_path`` for the test (restored afterwards)."""
    monkeypatch.delenv("TILLPOINT_DEVICE_KEY", raising=False)
    before = keyring.get_keyring()
    monkeypatch.setenv(ENV_FILE, str(tmp_path / "keyring.json"))
    backend = FileKeyring(tmp_path / "keyring.json")
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No usable keyring backend, as on a headless till."""
    from keyring.backends import fail

    monkeypatch.delenv("TILLPOINT_DEVICE_KEY", raising=False)
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def subprocess_env(keyring_file: Path | None = None, **extra: str) -> dict[str, str]:
    """An environment for a ``tillpoint`` subprocess: no inherited TILLPOINT_* variables; with
    ``keyring_file`` its keyring is that file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLPOINT_")
           and k != "PYTHON_KEYRING_BACKEND"}
    if keyring_file is not None:
        env.update({"PYTHON_KEYRING_BACKEND": f"{__name__}.FileKeyring",
                    ENV_FILE: str(keyring_file),
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                                env.get("PYTHONPATH")]))})
    else:
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.update(extra)
    return env

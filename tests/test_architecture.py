"""The import rules of ARCHITECTURE.md, checked on the syntax tree of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: package -> top-level modules it must never import
FORBIDDEN = {
    "app": {"PySide6", "shiboken6", "requests", "ui", "sync", "server", "fastapi"},
    "db": {"PySide6", "shiboken6", "requests", "ui", "sync", "server", "app", "fastapi"},
    "server": {"PySide6", "shiboken6", "ui", "sync", "db"},
    "sync": {"PySide6", "shiboken6", "ui", "server"},
    "ui": {"server", "requests"},
}
#: Widgets get plain data from services, never live ORM rows (they lazy-load and must not
#: cross threads): ui/ may open the store through db.engine but not touch db.models.
FORBIDDEN_MODULES = {"ui": ("db.models", "sqlalchemy.orm")}
#: the only parts of app/ the server may use: the pure domain
SERVER_MAY_USE_FROM_APP = ("app.domain",)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(package: str, root: Path = REPO) -> list[str]:
    bad: list[str] = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(root)}:{line} imports {module}"
            if top in FORBIDDEN[package] or module.startswith(FORBIDDEN_MODULES.get(package, ("\0",))):
                bad.append(where)
            if package == "server" and top == "app" and not module.startswith(SERVER_MAY_USE_FROM_APP):
                bad.append(where + " (the server may use only app.domain)")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_import_rules(package: str) -> None:
    assert violations(package) == []


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.py").write_text("import os\nfrom PySide6.QtWidgets import QWidget\n")
    (tmp_path / "app" / "worse.py").write_text("def f():\n    import requests\n")
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "x.py").write_text("from app.sales.checkout import checkout\n")
    assert violations("app", tmp_path) == ["app/bad.py:2 imports PySide6.QtWidgets",
                                           "app/worse.py:2 imports requests"]
    assert violations("server", tmp_path) == [
        "server/x.py:1 imports app.sales.checkout (the server may use only app.domain)"]

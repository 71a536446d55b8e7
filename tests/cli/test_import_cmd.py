"""``tillpoint export|import products|stock|customers FILE.csv`` run as scripts run them: an
export imported back changes nothing, a good file is imported, a file with errors exits 1 with
the first 50 of them (row and column) and a count on standard error and imports nothing, and a
dry run writes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

import main
from db.engine import LocalStore
from db.models import Customer, OutboxEntry

MANAGER = "manager@demo.tillpoint"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("import-cmd")
    assert main.main(["--data-dir", str(path), "init", "--demo", "--products", "120"]) == 0
    return path


def _counts(data_dir) -> tuple[int, int]:
    store = LocalStore.open(data_dir / "tillpoint.sqlite3")
    try:
        with store.read() as s:
            return (s.scalar(select(func.count()).select_from(OutboxEntry)),
                    s.scalar(select(func.count()).select_from(Customer)))
    finally:
        store.close()


def test_every_kind_exports_and_imports_back_unchanged(demo_dir, capsys):
    before = _counts(demo_dir)
    for kind in ("products", "stock", "customers"):
        target = demo_dir / f"{kind}.csv"
        code, out, _ = run(capsys, "--data-dir", str(demo_dir), "export", kind, str(target))
        assert code == 0 and json.loads(out)["rows"] > 20
        code, out, err = run(capsys, "--data-dir", str(demo_dir), "import", kind, str(target),
                             "--staff", MANAGER)
        result = json.loads(out)
        assert code == 0 and err == ""
        assert result["unchanged"] == result["rows"] and result["written"] == 0
    assert _counts(demo_dir) == before


def test_a_file_with_errors_exits_1_names_them_and_imports_nothing(demo_dir, capsys, tmp_path):
    rows = [",Good Customer,good@example.com"] + \
        [f",Customer {n},broken-{n}" for n in range(60)]
    path = tmp_path / "customers.csv"
    path.write_text("id,name,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
    before = _counts(demo_dir)
    code, out, err = run(capsys, "--data-dir", str(demo_dir), "import", "customers", str(path),
                         "--staff", MANAGER)
    lines = err.splitlines()
    assert code == 1 and out == ""
    assert lines[0] == "tillpoint: row 3, email: 'broken-0' is not an email address"
    assert lines[49].startswith("tillpoint: row 52, email:")
    assert lines[50] == "tillpoint: … and 10 more error(s)"
    assert lines[51].endswith("60 error(s) in " + str(path) + ": nothing imported")
    assert _counts(demo_dir) == before

    code, out, err = run(capsys, "--data-dir", str(demo_dir), "import", "customers", str(path),
                         "--staff", MANAGER, "--dry-run")
    assert code == 1 and json.loads(out)["refused"] == 60 and json.loads(out)["create"] == 1


def test_a_good_file_is_imported_and_a_dry_run_writes_nothing(demo_dir, capsys, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("name,email\nAda Lovelace,ada@example.org\n", encoding="utf-8")
    before = _counts(demo_dir)
    code, out, _ = run(capsys, "--data-dir", str(demo_dir), "import", "customers", str(path),
                       "--staff", MANAGER, "--dry-run")
    assert code == 0 and json.loads(out)["create"] == 1 and _counts(demo_dir) == before
    code, out, _ = run(capsys, "--data-dir", str(demo_dir), "import", "customers", str(path),
                       "--staff", MANAGER)
    assert code == 0 and json.loads(out)["written"] == 1
    assert _counts(demo_dir) == (before[0] + 1, before[1] + 1)


def test_who_imports_must_be_a_manager_or_owner(demo_dir, capsys, tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("sku,quantity\nD0000001,5\n", encoding="utf-8")
    code, _, err = run(capsys, "--data-dir", str(demo_dir), "import", "stock", str(path),
                       "--staff", "stock@demo.tillpoint")
    assert code == 1 and "staff: a stock_clerk may not do this (settings:manage)" in err
    code, _, err = run(capsys, "--data-dir", str(demo_dir), "import", "stock", str(path),
                       "--staff", "nobody@demo.tillpoint")
    assert code == 1 and "no active member of staff nobody@demo.tillpoint" in err

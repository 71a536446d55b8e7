"""`tillpoint` and `tillpoint demo` open the window; `demo` creates the demo shop first."""

from __future__ import annotations


import main
import ui.app
from db.engine import LocalStore
from app.status import read_till_status


def test_demo_creates_the_shop_once_then_opens_the_window(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(ui.app, "run", lambda paths, argv=None: opened.append(paths) or 0)
    assert main.main(["--data-dir", str(tmp_path), "demo", "--products", "50", "--no-server"]) == 0
    assert main.main(["--data-dir", str(tmp_path), "demo", "--products", "50", "--no-server"]) == 0
    assert [p.data_dir for p in opened] == [tmp_path, tmp_path]
    store = LocalStore.open(tmp_path / "tillpoint.sqlite3")
    try:
        status = read_till_status(store)
    finally:
        store.close()
    assert (status.store_code, status.store_name) == ("S01", "Tillpoint Demo Shop")


def test_no_command_opens_the_window_on_the_chosen_data_dir(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(ui.app, "run", lambda paths, argv=None: opened.append(paths) or 0)
    assert main.main(["--data-dir", str(tmp_path)]) == 0
    assert opened[0].store == tmp_path / "tillpoint.sqlite3"

"""The Import, export, backups page on the real task runner: a file with an error is previewed
with the error by row and column and cannot be imported; corrected, it is previewed and
imported; Cancel after a preview writes nothing; exports and Back up now write their files;
only owners and managers open the page."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from app.back_office.access import BackOfficeUser
from app.config.paths import Paths
from app.config.settings import Settings
from app.domain.errors import RuleViolation
from db.models import StockLevel, Variant
from tests.app.back_office.data.conftest import snapshot
from tests.support import catalog
from ui.back_office.context import PageContext
from ui.back_office.data.backups import DailyBackups
from ui.back_office.data.page import DataPage


def _user(store, role: str) -> BackOfficeUser:
    with store.write() as s:
        staff = catalog.staff(s, role=role)
        return BackOfficeUser(staff.id, staff.name, staff.role)


@pytest.fixture
def page(qtbot, shop, runner, tmp_path):
    settings = Settings(tmp_path / "settings.toml")
    settings.set("backup.dir", str(tmp_path / "backups"))
    context = PageContext(shop, runner, settings, _user(shop, "manager"),
                          paths=Paths(shop.path.parent))
    widget = DataPage(context)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.backups.last_label.text() == "Last backup: none yet")
    return widget


def _level(store, sku: str) -> int:
    with store.read() as s:
        return s.scalar(select(StockLevel.quantity_milli).join(
            Variant, Variant.id == StockLevel.variant_id).where(Variant.sku == sku))


def test_preview_shows_the_errors_then_the_corrected_file_imports(qtbot, page, shop, tmp_path):
    importer = page.importer
    assert [importer.kind.itemData(i) for i in range(importer.kind.count())] == \
        ["products", "stock", "customers"]
    path = tmp_path / "count.csv"
    path.write_text("sku,quantity\nD0000001,40\nD0000002,lots\n", encoding="utf-8")
    importer.choose("stock", str(path))
    before = snapshot(shop)
    with qtbot.waitSignal(importer.previewed, timeout=10000):
        importer.preview_button.click()
    assert (importer.errors.rowCount(), importer.errors.cell(0, 0),
            importer.errors.cell(0, 1)) == (1, "3", "quantity")
    assert "'lots' is not a quantity" in importer.errors.cell(0, 2)
    assert not importer.import_button.isEnabled() and "1 error(s)" in importer.summary.text()
    # Cancel after a preview: nothing written, the preview gone
    with qtbot.waitSignal(importer.stopped):
        importer.cancel_button.click()
    assert importer.errors.rowCount() == 0 and snapshot(shop) == before

    path.write_text("sku,quantity\nD0000001,40\nD0000002,7\n", encoding="utf-8")
    with qtbot.waitSignal(importer.previewed, timeout=10000):
        importer.preview_button.click()
    assert importer.errors.rowCount() == 0 and importer.import_button.isEnabled()
    assert [importer.sample.cell(r, 1) for r in range(2)] == ["update", "unchanged"]
    with qtbot.waitSignal(importer.imported, timeout=10000) as done:
        importer.import_button.click()
    assert done.args[0].written == 1 and "1 updated" in importer.summary.text()
    assert _level(shop, "D0000001") == 40_000 and not importer.import_button.isEnabled()


def test_exports_and_back_up_now(qtbot, page, tmp_path):
    target = tmp_path / "customers.csv"
    with qtbot.waitSignal(page.exported, timeout=10000):
        page.export_to("customers", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 40 and "Exported 40 customers rows" in page.export_message.text()
    with qtbot.waitSignal(page.backups.backed_up, timeout=10000):
        page.backups.back_up_now()
    qtbot.waitUntil(lambda: page.backups.list.count() == 1)
    assert "by hand" in page.backups.list.item(0).text()
    assert page.backups.last_label.text().startswith("Last backup: 20")


@pytest.mark.parametrize("role", ["stock_clerk", "support", "moderator"])
def test_only_owners_and_managers_open_the_page(qtbot, shop, runner, tmp_path, role):
    context = PageContext(shop, runner, Settings(tmp_path / "s.toml"), _user(shop, role))
    with pytest.raises(RuleViolation, match="settings:manage"):
        DataPage(context)
    assert "data" not in [p.key for p in context.user.pages()]


def test_the_window_takes_the_daily_backup_at_start_and_once_a_day(qtbot, shop, runner, tmp_path):
    settings = Settings(tmp_path / "settings.toml")
    settings.set("backup.dir", str(tmp_path / "daily"))
    daily = DailyBackups(runner, Paths(shop.path.parent), settings)
    with qtbot.waitSignal(daily.checked, timeout=10000) as first:
        daily.start()
    assert first.args[0].taken.file.name.startswith("tillpoint-auto-")
    assert daily.timer.isActive() and daily.timer.interval() == 60 * 60 * 1000
    with qtbot.waitSignal(daily.checked, timeout=10000) as second:
        daily.timer.timeout.emit()  # the hour is up: one was taken today already
    assert second.args[0].taken is None
    assert [p.name for p in (tmp_path / "daily").iterdir()] == [first.args[0].taken.file.name]
    daily.stop()

"""The Stock page on the real database worker: a stock clerk receives a delivery (a new
delivery from its note, one line typed, one scanned, received and closed: the levels move
and the page shows over and short), adjusts an item seen in the levels list, and runs a count
to its posting; who does not hold stock:read never gets the page, and who holds it without
stock:write sees no way to change stock (and the service refuses them anyway)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.back_office.access import BackOfficeUser
from app.back_office.stock import deliveries
from app.config.settings import Settings
from app.domain.errors import RuleViolation
from app.domain.permissions import ROLE_PERMISSIONS, Permission, Role
from app.inventory import level
from app.sales.identity import this_register
from db.models import Delivery
from tests.support import catalog
from ui.back_office.context import PageContext
from ui.back_office.pages import build_page
from ui.back_office.stock.page import StockPage


@pytest.fixture
def shop(blank_shop):
    with blank_shop.write() as s:
        mug = catalog.product(s, "Mug", 900, stock_milli=2_000, cost=400)
        mug.product.low_stock_threshold = 3_000
        plate = catalog.product(s, "Plate", 1200, stock_milli=5_000)
        clerk = catalog.staff(s, role="stock_clerk")
        cashier = catalog.staff(s, role="cashier")
        return (blank_shop, this_register(s)[0].id, mug.id, mug.barcodes[0].code, plate.id,
                plate.sku, clerk, cashier)


def _page(qtbot, store, runner, tmp_path, staff) -> StockPage:
    user = BackOfficeUser(staff.id, staff.name, staff.role)
    page = StockPage(PageContext(store, runner, Settings(tmp_path / "settings.toml"), user))
    qtbot.addWidget(page)
    return page


def _level(store, store_id, variant_id) -> int:
    with store.read() as s:
        return level(s, store_id=store_id, variant_id=variant_id)


def test_a_stock_clerk_receives_a_delivery_adjusts_and_counts(qtbot, shop, runner, tmp_path):
    store, store_id, mug, mug_code, plate, plate_sku, clerk, _ = shop
    with store.write() as s:
        teapot = catalog.product(s, "Teapot", 2500).sku
    page = _page(qtbot, store, runner, tmp_path, clerk)
    qtbot.waitUntil(lambda: page.levels.model.known_count == 3)
    qtbot.waitUntil(lambda: page.low_model.known_count == 1)  # 2 mugs, low at 3

    tab = page.deliveries
    page.tabs.setCurrentWidget(tab)
    tab.supplier.setText("Acme Ceramics")
    tab.reference.setText("DN-7")
    tab.note_lines.setPlainText(f"{mug_code} 6\n{plate_sku}\t2\n")
    with qtbot.waitSignal(tab.shown, timeout=5000):
        tab.create_button.click()
    assert tab.lines.rowCount() == 2 and tab.lines.item(0, 2).text() == "6"
    tab.lines.item(1, 5).setText("3")  # one plate more than the note says
    for n in range(1, 6):  # five mugs scanned off the van, one at a time
        tab.scan.setText(mug_code)
        tab.scanned()
        qtbot.waitUntil(lambda: tab.lines.item(0, 5).text() == str(n))
    assert tab.message.text() == "Mug: 5 arriving now"
    tab.extra.setText("NOT-A-CODE 1")
    with qtbot.waitSignal(tab.refused, timeout=5000) as refused:
        tab.close_button.click()
    assert refused.args[0].startswith("extra[1].code:")
    assert _level(store, store_id, mug) == 2_000  # nothing received
    tab.extra.setText(f"{teapot} 2")  # not on the note: received as an extra line
    with qtbot.waitSignal(tab.shown, timeout=5000):
        tab.close_button.click()
    assert [tab.lines.item(r, 4).text() for r in range(3)] == ["short 1", "over 1", "over 2"]
    assert _level(store, store_id, mug) == 7_000 and _level(store, store_id, plate) == 8_000
    with store.read() as s:
        assert s.scalar(select(Delivery.status)) == "closed"
    qtbot.waitUntil(lambda: tab.model.known_count == 0)  # no open delivery left

    levels_tab = page.levels
    page.tabs.setCurrentWidget(levels_tab)
    levels_tab.search.setText(mug_code)
    assert levels_tab.model.source.text == ""  # searched when typing pauses (250 ms)
    qtbot.waitUntil(lambda: levels_tab.model.known_count == 1
                    and levels_tab.model.row(0) is not None)
    assert levels_tab.model.row(0).cells[3] == "7"
    levels_tab.table.selectRow(0)
    qtbot.waitUntil(lambda: levels_tab.history_model.known_count == 2)
    levels_tab.quantity.setText("-1.5")
    levels_tab.post_adjustment()
    qtbot.waitUntil(lambda: "whole pieces" in levels_tab.message.text())
    levels_tab.quantity.setText("-1")
    levels_tab.reason.setCurrentIndex(levels_tab.reason.findData("damage"))
    with qtbot.waitSignal(levels_tab.adjusted, timeout=5000):
        levels_tab.post_adjustment()
    qtbot.waitUntil(lambda: levels_tab.history_model.known_count == 3)
    assert _level(store, store_id, mug) == 6_000

    counts_tab = page.counts
    with qtbot.waitSignal(counts_tab.started, timeout=5000):
        counts_tab.start_button.click()
    qtbot.waitUntil(lambda: counts_tab.lines_model.known_count == 3)
    counts_tab.code.setText(plate_sku)
    counts_tab.counted.setText("7")
    with qtbot.waitSignal(counts_tab.entered, timeout=5000):
        counts_tab.enter_button.click()
    with qtbot.waitSignal(counts_tab.reported, timeout=5000) as reported:
        counts_tab.report_button.click()
    assert [(line.sku, line.difference_milli) for line in reported.args[0].lines] == [
        (plate_sku, -1_000)]
    assert counts_tab.variance.item(0, 5).text() == "0.00"  # the plate has no cost
    with qtbot.waitSignal(counts_tab.finished, timeout=5000):
        counts_tab.post_button.click()
    assert _level(store, store_id, plate) == 7_000 and _level(store, store_id, mug) == 6_000
    qtbot.waitUntil(lambda: counts_tab.open.count() == 0)


class _StockReader(BackOfficeUser):
    """A back-office user who reads stock but may not change it (no built-in role is one: the
    page must still hide every way to change stock from such a user)."""

    __slots__ = ()

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[Role.STOCK_CLERK] - {Permission.STOCK_WRITE}


def test_who_may_read_but_not_write_stock_sees_no_way_to_change_it(qtbot, shop, runner,
                                                                    tmp_path):
    store, store_id, mug, mug_code, *_, cashier = shop
    with store.write() as s:
        support = catalog.staff(s, role="support")
    with pytest.raises(RuleViolation, match="stock:read"):
        _page(qtbot, store, runner, tmp_path, support)
    till_only = BackOfficeUser(cashier.id, cashier.name, cashier.role)  # stock:read at the till
    with pytest.raises(RuleViolation, match="backoffice:open"):
        build_page("stock", PageContext(store, runner, Settings(tmp_path / "s.toml"), till_only))
    user = _StockReader(cashier.id, cashier.name, "stock_clerk")  # stock:read, no stock:write
    page = build_page("stock", PageContext(store, runner, Settings(tmp_path / "s.toml"), user))
    qtbot.addWidget(page)
    assert isinstance(page, StockPage)  # the shell's factory builds this page
    assert page.levels._form.isHidden()
    assert page.deliveries._actions.isHidden() and page.counts.start_button.isHidden()
    assert not page.transfers.isEnabled()
    qtbot.waitUntil(lambda: page.levels.model.known_count == 2)
    with pytest.raises(RuleViolation, match="stock:write"), store.write() as s:
        deliveries.create_delivery(s, staff_id=cashier.id, supplier="Acme",
                                   lines=[(mug_code, "1")])
    assert _level(store, store_id, mug) == 2_000

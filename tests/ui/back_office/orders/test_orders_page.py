"""The Orders page with the real task runner, store and print worker: a manager finds an online
order, packs it and prints its label to a folder printer, and sees it shipped; support may move
orders but has no refund; a stock clerk is not offered the page at all."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.back_office.access import BackOfficeUser
from app.config.settings import Settings
from app.domain.errors import RuleViolation
from db.models import OutboxEntry, RemoteOrder, StaffUser
from tests.app.back_office.orders.orders_shop import build, line, pull_online
from tests.support import pdf
from ui.back_office.context import PageContext
from ui.back_office.orders.page import OrdersPage
from ui.printing.worker import PrintWorker

WAIT_MS = 15_000


@pytest.fixture
def orders_shop(blank_shop):
    return build(blank_shop)


def open_page(qtbot, runner, shop, role: str, settings: Settings, printing=None, *,
              orders: int = 3) -> OrdersPage:
    with shop.store.read() as s:
        staff = s.get(StaffUser, shop.staff[role])
        user = BackOfficeUser(staff.id, staff.name, staff.role)
    page = OrdersPage(PageContext(shop.store, runner, settings, user, printing=printing))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model.known_count == orders, timeout=WAIT_MS)
    return page


def choose(qtbot, page: OrdersPage, number: str) -> None:
    """Type the number into the filter, wait for the one row, and open it."""
    with qtbot.waitSignal(page.model.counted, timeout=WAIT_MS):
        page.number_filter.setText(number)
    assert page.model.known_count == 1
    qtbot.waitUntil(lambda: page.model.row(0) is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(page.detail_shown, timeout=WAIT_MS):
        page.table.selectRow(0)


def test_a_manager_packs_an_online_order_and_its_printed_label_ships_it(qtbot, runner,
                                                                        orders_shop, tmp_path):
    folder, sheets = tmp_path / "labels", tmp_path / "a4"
    settings = Settings(tmp_path / "settings.toml")
    settings.set("printer.label", f"file:{folder}")
    settings.set("printer.invoice", f"file:{sheets}")
    worker = PrintWorker(runner, orders_shop.store, settings)
    with qtbot.waitSignal(worker.started, timeout=WAIT_MS):
        worker.start()
    pull_online(orders_shop.store, orders_shop.store_id, "S01-WEB-000044", status="confirmed",
                name="Cy Clist", lines=[line(1, orders_shop.pen, orders_shop.pen_sku,
                                             "Blue pen", 3000, 250)])
    page = open_page(qtbot, runner, orders_shop, "manager", settings, worker, orders=4)
    with qtbot.waitSignal(page.model.counted, timeout=WAIT_MS):
        page.channel_filter.setCurrentIndex(page.channel_filter.findData("online"))
    assert page.model.known_count == 3
    qtbot.waitUntil(lambda: page.model.row(2) is not None, timeout=WAIT_MS)
    page.table.selectAll()
    with qtbot.waitSignal(page.refused, timeout=WAIT_MS) as refused:
        page.pick_button.click()  # the pending one is not paid: nothing is picked for it
    assert "S01-WEB-000043 is pending" in refused.args[0]
    with qtbot.waitSignal(page.model.counted, timeout=WAIT_MS):
        page.status_filter.setCurrentIndex(page.status_filter.findData("confirmed"))
    qtbot.waitUntil(lambda: page.model.row(1) is not None, timeout=WAIT_MS)
    page.table.selectAll()
    assert len(page.chosen_ids()) == 2 and all(len(i) == 36 for i in page.chosen_ids())
    with qtbot.waitSignal(worker.delivered, timeout=WAIT_MS):
        page.pick_button.click()  # two of the server's orders: two UUIDs on one job
    [sheet] = list(sheets.iterdir())
    picked = pdf.load(sheet.read_bytes())
    assert "Pick list" in picked.text(0) and "Ink bottle" in picked.text(0)
    assert "S01-WEB-000042" in picked.text(0) and "Cy Clist" in picked.text(0)
    assert {code for _, code in pdf.barcodes(picked.render(0, 200))} == {
        orders_shop.pen_code, orders_shop.ink_code}
    with qtbot.waitSignal(page.model.counted, timeout=WAIT_MS):
        page.status_filter.setCurrentIndex(0)  # any status again
    choose(qtbot, page, "000042")
    panel = page.panel
    assert not panel.invoice_button.isVisibleTo(page)
    assert "web shop" in panel.invoice_note.text()
    assert panel.heading.text() == "S01-WEB-000042 · confirmed · online"
    assert set(panel.move_buttons) == {"processing", "cancelled"}
    assert panel.fulfilment.isVisibleTo(page) and not panel.refund_box.isVisibleTo(page)
    assert "web shop" in panel.refund_note.text()  # why an online order is not refunded here

    with qtbot.waitSignal(page.detail_shown, timeout=WAIT_MS):
        panel.pack_button.click()
    assert panel.detail.status == "processing" and not panel.pack_button.isEnabled()
    panel.weight.setValue(800)
    panel.label_button.click()
    qtbot.waitUntil(lambda: panel.detail is not None and panel.detail.status == "shipped",
                    timeout=WAIT_MS)
    [label] = list(folder.iterdir())
    drawn = pdf.load(label.read_bytes())
    tracking = panel.detail.tracking_number
    assert dict(pdf.barcodes(drawn.render(0, pdf.THERMAL_DPI)))["Code128"] == tracking
    assert "shipped" in panel.message.text()
    assert [panel.history.item(r, 1).text() for r in range(panel.history.rowCount())] == [
        "new → pending", "confirmed → processing", f"shipment created {tracking}",
        "processing → shipped"]
    with orders_shop.store.read() as s:
        moves = [json.loads(p) for p in s.scalars(select(OutboxEntry.payload).where(
            OutboxEntry.kind == "order.status").order_by(OutboxEntry.seq))]
        assert s.get(RemoteOrder, orders_shop.online).status == "shipped"
    assert [(m["to"], m.get("tracking_number")) for m in moves] == [("processing", None),
                                                                   ("shipped", tracking)]
    assert [m["staff_id"] for m in moves] == [orders_shop.staff["manager"]] * 2  # the label's too
    qtbot.waitUntil(lambda: page.model.row(0) is not None
                    and page.model.row(0).cells[4] == "shipped", timeout=WAIT_MS)


def test_support_moves_orders_but_is_offered_no_refund(qtbot, runner, orders_shop, tmp_path):
    page = open_page(qtbot, runner, orders_shop, "support", Settings(tmp_path / "s.toml"))
    choose(qtbot, page, orders_shop.sale_number)
    panel = page.panel
    assert not panel.refund_box.isVisibleTo(page) and panel.return_spins == {}
    assert panel.refund_note.text() == ""
    assert not panel.invoice_button.isVisibleTo(page)  # issuing one takes sale:sell
    assert page.pick_button.isVisibleTo(page)
    choose(qtbot, page, "000043")
    assert set(panel.move_buttons) == {"confirmed", "cancelled"}
    with qtbot.waitSignal(page.detail_shown, timeout=WAIT_MS):
        panel.move_buttons["cancelled"].click()
    assert panel.detail.status == "cancelled" and panel.move_buttons == {}
    assert "cancelled now" in panel.message.text()


def test_a_manager_refunds_a_line_and_a_stock_clerk_has_no_orders_page(qtbot, runner,
                                                                         orders_shop, tmp_path):
    page = open_page(qtbot, runner, orders_shop, "manager", Settings(tmp_path / "s.toml"))
    choose(qtbot, page, orders_shop.sale_number)
    panel = page.panel
    assert panel.refund_box.isVisibleTo(page) and panel.move_buttons == {}
    assert panel.invoice_button.isVisibleTo(page)
    panel.set_return(1, 1)
    panel.refund_reason.setText("leaks")
    with qtbot.waitSignal(page.detail_shown, timeout=WAIT_MS):
        panel.refund_button.click()
    qtbot.waitUntil(lambda: panel.refunds.rowCount() == 1, timeout=WAIT_MS)
    assert panel.refunds.item(0, 2).text() == "2.50"
    assert panel.lines.item(0, 6).text() == "1"  # returned so far
    # the card share goes to the card provider after the commit; this till has no reader, so
    # it stays owed and the page says how to send it again
    qtbot.waitUntil(lambda: "retry-cards" in panel.message.text(), timeout=WAIT_MS)
    assert "card refund pending" in panel.refunds.item(0, 4).text()

    clerk = BackOfficeUser(orders_shop.staff["stock_clerk"], "clerk", "stock_clerk")
    assert "orders" not in [p.key for p in clerk.pages()]
    with pytest.raises(RuleViolation):
        OrdersPage(PageContext(orders_shop.store, runner, Settings(tmp_path / "c.toml"), clerk))

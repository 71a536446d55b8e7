"""The Customers page over a real store and the real task runner: a manager searches, opens a
customer (history, totals, credit), edits her, exports her data and erases her after the
confirmation; a support user sees customers read-only with no GDPR actions, and a moderator
edits but neither exports nor erases."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QMessageBox

from app.back_office.access import BackOfficeUser
from app.config.settings import Settings
from app.domain.permissions import Permission
from db.models import Customer
from tests.app.back_office.people.shop import copy_shop, people_shop
from ui.back_office.context import PageContext
from ui.back_office.pages import build_page
from ui.back_office.customers.page import CustomersPage


pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # offscreen, showing a dialog


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory):
    return people_shop(tmp_path_factory.mktemp("people-ui") / "tillpoint.sqlite3")


def open_page(qtbot, store, runner, tmp_path, ids, role: str) -> CustomersPage:
    user = BackOfficeUser(ids[role], role, role)
    # built as the shell builds it (ui.back_office.pages.FACTORIES)
    page = build_page("customers", PageContext(store, runner, Settings(tmp_path / "settings.toml"),
                                             user))
    assert isinstance(page, CustomersPage)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    return page


def choose(qtbot, page: CustomersPage, text: str) -> None:
    with qtbot.waitSignal(page.model.counted):
        page.search.setText(text)
    assert page.model.rowCount() == 1
    qtbot.waitUntil(lambda: page.model.row(0) is not None)
    with qtbot.waitSignal(page.detail_shown):
        page.table.selectRow(0)


def test_a_manager_finds_edits_exports_and_erases_a_customer(qtbot, store, shop_file, runner,
                                                             tmp_path):
    path, ids = shop_file
    copy_shop(path, store)
    page = open_page(qtbot, store, runner, tmp_path, ids, "manager")
    choose(qtbot, page, "0470 12")
    panel = page.panel
    assert panel.fields["name"].text() == "Ada Lovelace"
    assert panel.summary.text() == "2 order(s), 64.99 spent; store credit 15.00"
    assert panel.history.rowCount() == 2 and panel.history.item(0, 0).text() == "W-000042"
    assert panel.history.item(0, 6).text() == "server"

    panel.fields["phone"].setText("+32 470 99 88 77")
    with qtbot.waitSignal(page.acted) as saved:
        panel.save_button.click()
    assert saved.args == ["Ada Lovelace saved"]
    with store.read() as s:
        assert s.get(Customer, ids["ada"]).phone == "+32 470 99 88 77"

    panel.fields["email"].setText("not an email")
    with qtbot.waitSignal(page.refused) as refused:
        panel.save_button.click()
    assert refused.args[0].startswith("email:") and panel.message.text() == refused.args[0]

    out = tmp_path / "ada.json"
    qtbot.waitUntil(lambda: panel.export_button.isEnabled())
    with qtbot.waitSignal(page.acted):
        page.export_to(out)
    assert json.loads(out.read_text(encoding="utf-8"))["customer"]["name"] == "Ada Lovelace"

    qtbot.waitUntil(lambda: panel.erase_button.isEnabled())
    panel.erase_button.click()
    box = panel.erase_box
    assert box is not None and "cannot be undone" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()  # second thoughts: nothing happens
    qtbot.waitUntil(lambda: panel.erase_box is None)
    with store.read() as s:
        assert not s.get(Customer, ids["ada"]).erased
    panel.erase_button.click()
    with qtbot.waitSignal(page.acted, check_params_cb=lambda text: text.startswith("erased")):
        panel.erase_box.button(QMessageBox.StandardButton.Yes).click()
    with store.read() as s:
        assert s.get(Customer, ids["ada"]).erased
    qtbot.waitUntil(lambda: panel.heading.text() == "erased customer (erased)")
    assert panel.fields["name"].isReadOnly() and not panel.save_button.isEnabled()
    assert not panel.erase_button.isEnabled() and not panel.export_button.isEnabled()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)  # the search finds her no more


def test_support_reads_customers_and_a_moderator_edits_without_gdpr(qtbot, store, shop_file,
                                                                     runner, tmp_path):
    path, ids = shop_file
    copy_shop(path, store)
    support = open_page(qtbot, store, runner, tmp_path, ids, "support")
    choose(qtbot, support, "ada")
    panel = support.panel
    assert all(field.isReadOnly() for field in panel.fields.values())
    assert not any(b.isVisibleTo(support) for b in (panel.save_button, panel.new_button,
                                                    panel.export_button, panel.erase_button))
    with qtbot.waitSignal(support.refused):
        support.save(ids["ada"], {**panel.values(), "name": "Someone Else"})
    with store.read() as s:
        assert s.get(Customer, ids["ada"]).name == "Ada Lovelace"

    moderator = open_page(qtbot, store, runner, tmp_path, ids, "moderator")
    assert moderator.context.user.may(Permission.CUSTOMERS_WRITE)
    choose(qtbot, moderator, "charles")
    panel = moderator.panel
    assert panel.save_button.isVisibleTo(moderator) and not panel.fields["name"].isReadOnly()
    assert not panel.erase_button.isVisibleTo(moderator)
    assert not panel.export_button.isVisibleTo(moderator)
    panel.new_button.click()
    panel.fields["name"].setText("Mary Somerville")
    panel.fields["email"].setText("mary@example.com")
    with qtbot.waitSignal(moderator.acted):
        panel.save_button.click()
    with store.read() as s:
        assert s.query(Customer).filter_by(email="mary@example.com").one().name \
            == "Mary Somerville"

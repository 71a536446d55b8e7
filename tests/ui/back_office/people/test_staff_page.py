"""The Staff page over a real store and the real task runner: a manager creates a cashier who
then signs in with the PIN, changes her role, resets her PIN and deactivates her; the manager is
offered neither the owner role nor an owner's account nor their own role, and a forced attempt
to make an owner is refused; an owner may make an owner; support has no Staff page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.back_office.access import BackOfficeUser
from app.config.settings import Settings
from app.domain.errors import RuleViolation
from app.local_auth import verify_pin
from app.till import signin
from db.base import utcnow
from db.models import StaffUser
from tests.support import catalog
from ui.back_office.context import PageContext
from ui.back_office.pages import build_page
from ui.back_office.staff.page import StaffPage


@pytest.fixture
def team(blank_shop):
    with blank_shop.write() as s:
        ids = {role: catalog.staff(s, role=role).id
               for role in ("owner", "manager", "cashier", "support")}
    return blank_shop, ids


def open_page(qtbot, store, runner, tmp_path, ids, role: str) -> StaffPage:
    user = BackOfficeUser(ids[role], f"{role} person", role)
    # built as the shell builds it (ui.back_office.pages.FACTORIES)
    page = build_page("staff", PageContext(store, runner, Settings(tmp_path / "settings.toml"),
                                             user))
    assert isinstance(page, StaffPage)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model.rowCount() >= 4)
    return page


def choose(qtbot, page: StaffPage, staff_id: str) -> None:
    qtbot.waitUntil(lambda: all(page.model.row(n) is not None
                                for n in range(page.model.rowCount())))
    [row] = [n for n in range(page.model.rowCount()) if page.model.row(n).id == staff_id]
    page.table.clearSelection()
    with qtbot.waitSignal(page.member_shown, check_params_cb=lambda shown: shown == staff_id):
        page.table.selectRow(row)


def act(qtbot, page: StaffPage, button) -> str:  # noqa: ANN001
    with qtbot.waitSignal(page.acted) as done:
        button.click()
    qtbot.waitSignal(page.member_shown).wait()
    return done.args[0]


def test_a_manager_creates_changes_resets_and_deactivates_a_member_of_staff(qtbot, team, runner,
                                                                             tmp_path):
    store, ids = team
    page = open_page(qtbot, store, runner, tmp_path, ids, "manager")
    assert page.new_role.findData("owner") == -1 and page.role_box.findData("owner") == -1
    page.new_name.setText("Grace Hopper")
    page.new_email.setText("grace@shop.example")
    page.new_pin.setText("4711")
    with qtbot.waitSignal(page.acted) as created:
        page.create_button.click()
    assert created.args == ["Grace Hopper (cashier) can sign in with their PIN"]
    assert page.new_name.text() == "" and page.new_pin.text() == ""
    qtbot.waitUntil(lambda: page.model.rowCount() == 5)
    with store.read() as s:
        grace = s.scalar(select(StaffUser).where(StaffUser.email == "grace@shop.example"))
    with store.read() as s:  # she signs in at the till with her PIN (offline, the hash here)
        assert grace.id in [card.id for card in signin.staff_for_signin(s)]
        signin.check_pin(signin.PinGuard(utcnow), signin.pin_holder(s, grace.id), "4711")

    choose(qtbot, page, grace.id)
    page.role_box.setCurrentIndex(page.role_box.findData("stock_clerk"))
    assert act(qtbot, page, page.role_button) == "Grace Hopper's role is now stock clerk"
    page.pin_field.setText("8642")
    act(qtbot, page, page.pin_button)
    assert act(qtbot, page, page.active_button) == "Grace Hopper is deactivated"
    assert page.active_button.text() == "Reactivate"
    with store.read() as s:
        grace = s.get(StaffUser, grace.id)
        assert (grace.role, grace.active, verify_pin("8642", grace.pin_hash)) == (
            "stock_clerk", False, True)

    choose(qtbot, page, ids["owner"])  # an owner's account: nothing offered to a manager
    assert not any(w.isEnabled() for w in (page.role_box, page.role_button, page.pin_button,
                                           page.active_button))
    choose(qtbot, page, ids["manager"])  # oneself: a new PIN, but not a role or deactivation
    assert page.pin_button.isEnabled()
    assert not page.role_button.isEnabled() and not page.active_button.isEnabled()

    choose(qtbot, page, ids["cashier"])  # forcing the owner role in is refused by the service
    page.role_box.addItem("owner", "owner")
    page.role_box.setCurrentIndex(page.role_box.findData("owner"))
    with qtbot.waitSignal(page.refused) as refused:
        page.role_button.click()
    assert refused.args == ["role: only an owner may create, promote to or change an owner"]
    with store.read() as s:
        assert s.get(StaffUser, ids["cashier"]).role == "cashier"


def test_an_owner_makes_an_owner_and_support_has_no_staff_page(qtbot, team, runner, tmp_path):
    store, ids = team
    page = open_page(qtbot, store, runner, tmp_path, ids, "owner")
    choose(qtbot, page, ids["manager"])
    page.role_box.setCurrentIndex(page.role_box.findData("owner"))
    with store.read() as s:
        name = s.get(StaffUser, ids["manager"]).name
    assert act(qtbot, page, page.role_button) == f"{name}'s role is now owner"
    with store.read() as s:
        assert s.get(StaffUser, ids["manager"]).role == "owner"

    support = BackOfficeUser(ids["support"], "support person", "support")
    assert "staff" not in [p.key for p in support.pages()]
    with pytest.raises(RuleViolation):
        StaffPage(PageContext(store, runner, Settings(tmp_path / "settings.toml"), support))

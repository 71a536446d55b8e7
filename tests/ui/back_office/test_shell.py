"""The back office in the window: a PIN sign-in on the database worker, then only the pages
the person's role opens, each built when first opened; signing out drops them all."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from app.config.settings import Settings
from tests.support import catalog
from ui.back_office import pages
from ui.back_office.shell import BackOfficeScreen


class FakePageModule:  # a page the test builds instead of the real ones
    class Page(QLabel):
        built: list = []

        def __init__(self, context, parent=None) -> None:  # noqa: ANN001
            super().__init__(f"page for {context.user.name}", parent)
            FakePageModule.Page.built.append(context.user.role)


@pytest.fixture
def screen(qtbot, blank_shop, runner, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tests_fake_page", FakePageModule)
    monkeypatch.setattr(pages, "FACTORIES", {key: "tests_fake_page:Page"
                                             for key in pages.FACTORIES})
    FakePageModule.Page.built = []
    with blank_shop.write() as s:
        ids = {role: catalog.staff(s, role=role).id
               for role in ("manager", "stock_clerk", "cashier")}
    widget = BackOfficeScreen(blank_shop, runner, Settings(tmp_path / "settings.toml"))
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.signin.staff_list.count() == 2)
    return widget, ids


def sign_in(qtbot, widget, staff_id: str, pin: str = "1234") -> None:
    from ui.till.staff_rows import STAFF_ID

    rows = widget.signin.staff_list
    for row in range(rows.count()):
        if rows.item(row).data(STAFF_ID) == staff_id:
            rows.setCurrentRow(row)
    widget.signin.pin_field.setText(pin)
    widget.signin.button.click()


def test_a_stock_clerk_sees_products_and_stock_only(qtbot, screen):
    widget, ids = screen
    with qtbot.waitSignal(widget.user_changed):
        sign_in(qtbot, widget, ids["stock_clerk"])
    assert widget.page_keys == ("products", "stock")
    assert [widget.nav.item(i).text() for i in range(widget.nav.count())] == ["Products", "Stock"]
    assert FakePageModule.Page.built == ["stock_clerk"]  # the first page only, built on opening
    with pytest.raises(KeyError, match="not open to stock_clerk"):
        widget.page("staff")
    widget.nav.setCurrentRow(1)
    assert widget.stack.currentWidget() is widget.page("stock")
    assert len(FakePageModule.Page.built) == 2


def test_a_wrong_pin_is_said_and_signing_out_drops_every_page(qtbot, screen):
    widget, ids = screen
    sign_in(qtbot, widget, ids["manager"], "9999")
    qtbot.waitUntil(lambda: widget.signin.message.text() == "wrong PIN")
    assert widget.user is None and widget.page_keys == ()
    with qtbot.waitSignal(widget.user_changed):
        sign_in(qtbot, widget, ids["manager"])
    assert "staff" in widget.page_keys and "settings" in widget.page_keys
    first = widget.page("products")
    with qtbot.waitSignal(widget.user_changed):
        widget.sign_out_button.click()
    assert widget.user is None and widget.outer.currentWidget() is widget.signin
    qtbot.waitUntil(lambda: widget.signin.staff_list.count() == 2)
    with pytest.raises(KeyError):
        widget.page("products")
    qtbot.waitUntil(lambda: not _alive(first))


def _alive(widget) -> bool:  # noqa: ANN001
    from shiboken6 import isValid

    return isValid(widget)


def test_leaving_for_the_till_signs_the_back_office_out(qtbot, screen, blank_shop, runner):
    from ui.app import attach_back_office
    from ui.main_window import MainWindow

    widget, ids = screen
    window = MainWindow(blank_shop, runner)
    qtbot.addWidget(window)
    attach_back_office(window, widget)
    window.show_screen("back_office")
    with qtbot.waitSignal(widget.user_changed):
        sign_in(qtbot, widget, ids["manager"])
    pages_seen = [widget.page("staff"), widget.page("settings")]
    assert widget.outer.currentWidget() is widget.office
    with qtbot.waitSignal(widget.user_changed) as changed:
        window.show_screen("till")  # the manager goes back to selling
    assert changed.args == [None]
    window.show_screen("back_office")  # the next person picks Back office from Screens
    assert widget.user is None and widget.outer.currentWidget() is widget.signin
    assert widget.page_keys == () and widget.stack.count() == 0
    with pytest.raises(KeyError, match="nobody signed in"):
        widget.page("staff")
    qtbot.waitUntil(lambda: not any(_alive(page) for page in pages_seen))
    window.show_screen("reports")  # leaving with nobody signed in changes nothing
    assert widget.user is None


def test_left_alone_the_back_office_signs_out_by_itself(qtbot, screen):
    widget, ids = screen
    assert widget._settings.get("back_office.lock_after_seconds") == 300
    widget._settings.set("back_office.lock_after_seconds", "7")
    assert not widget.idle.armed  # nobody signed in: no countdown
    with qtbot.waitSignal(widget.user_changed):
        sign_in(qtbot, widget, ids["manager"])
    assert widget.idle.seconds == 7 and widget.idle.armed  # the setting as it is now
    first = widget.page("customers")
    widget.idle.set_seconds(0.2)  # tiny, for the test
    widget.idle.timer.stop()
    qtbot.keyClick(widget.nav, "a")  # a key pressed anywhere starts the countdown again
    assert widget.idle.armed
    with qtbot.waitSignal(widget.user_changed, timeout=5_000) as changed:
        pass  # no key, no click: the countdown runs out
    assert changed.args == [None] and widget.outer.currentWidget() is widget.signin
    assert widget.page_keys == () and not widget.idle.armed
    qtbot.waitUntil(lambda: not _alive(first))

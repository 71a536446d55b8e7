"""The back office's Settings page with the real task runner, store, print worker, a real
server process to pair with, the fake Stripe server and a file-backed keyring, offscreen.

The owner's main path: the receipt footer and a printer saved; store details refused beside
the bad field then saved (``store.update`` queued); a tax class refused beside the bad rate then
saved with exact ppm; a bad backup folder refused with nothing saved; a Stripe key kept in the
keyring (never shown) and the account's readers listed with it and one chosen; the till paired
again with a one-time code. Then the permission rules: a manager sees the store's details
read-only, a stock clerk gets no Settings page, a cashier cannot even open the back office."""

from __future__ import annotations

import json
import sys

import pymongo
import pytest
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from app.config.settings import Settings
from app.domain.errors import RuleViolation
from db.models import OutboxEntry, TaxClass
from server.devices import service as devices
from sync.pairing import pair
from tests.support import catalog
from tests.support.file_keyring import file_keyring  # noqa: F401
from tests.support.tills import shared_server  # noqa: F401
from tests.ui.back_office.test_shell import sign_in
from ui.back_office import pages
from ui.back_office.shell import BackOfficeScreen
from ui.printing.worker import PrintWorker

WAIT_MS = 15_000
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")
READER = "tmr_settings_page_1"


class OtherPage(QLabel):  # the other areas' pages: not what these tests are about
    def __init__(self, context, parent=None) -> None:  # noqa: ANN001
        super().__init__("another page", parent)


@pytest.fixture(autouse=True)
def only_settings_is_real(monkeypatch):
    monkeypatch.setitem(sys.modules, "tests_other_page", sys.modules[__name__])
    monkeypatch.setattr(pages, "FACTORIES", {
        key: (target if key == "settings" else "tests_other_page:OtherPage")
        for key, target in pages.FACTORIES.items()})


def _page(qtbot, store, runner, settings, staff_id, printing=None):  # noqa: ANN001, ANN202
    widget = BackOfficeScreen(store, runner, settings, printing=printing)
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.signin.staff_list.count() > 0, timeout=WAIT_MS)
    with qtbot.waitSignal(widget.user_changed, timeout=WAIT_MS):
        sign_in(qtbot, widget, staff_id)
    return widget


def _code(server, register: str) -> str:  # noqa: ANN001 - a ServerProcess
    """A one-time code from the server's own service on its database (what
    ``tillpoint-server pairing-code`` runs, without starting a process for it)."""
    env = server.env
    client = pymongo.MongoClient(env["TILLPOINT_MONGODB_URI"])
    try:
        return devices.issue_pairing_code(client[env["TILLPOINT_MONGODB_DB"]], store_code=None,
                                          register_code=register, minutes=5, actor="test",
                                          ip=None)["code"]
    finally:
        client.close()


def _save(qtbot, section, button, done: str) -> None:  # noqa: ANN001
    button.click()
    qtbot.waitUntil(lambda: section.status.text().startswith(done), timeout=WAIT_MS)


def test_the_owner_sets_up_the_shop(qtbot, runner, store, tmp_path, shared_server,  # noqa: F811
                                    file_keyring, fake_stripe, monkeypatch,  # noqa: F811
                                    test_output):
    first = pair(store, server=shared_server.base_url, code=_code(shared_server, "R7"))
    with store.write() as s:
        owner = catalog.staff(s, role="owner").id
    settings = Settings(tmp_path / "settings.toml")
    worker = PrintWorker(runner, store, settings)
    with qtbot.waitSignal(worker.started, timeout=WAIT_MS):
        worker.start()
    widget = _page(qtbot, store, runner, settings, owner, printing=worker)
    page = widget.open_page("settings")
    qtbot.waitUntil(lambda: page.store.details is not None and page.pairing.state is not None,
                    timeout=WAIT_MS)

    # receipt text and a printer
    page.receipt.form.fields["receipt.footer"].setPlainText("Thank you for shopping local!")
    _save(qtbot, page.receipt, page.receipt.save_button, "Saved.")
    choices = page.printers.choices
    choices.combos["printer.label"].setEditText(f"file:{tmp_path / 'labels'}")
    with qtbot.waitSignal(choices.saved, timeout=WAIT_MS):
        choices.buttons.button(choices.buttons.StandardButton.Save).click()
    kept = Settings(settings.path)
    assert kept.get("receipt.footer") == "Thank you for shopping local!"
    assert kept.get("printer.label") == f"file:{tmp_path / 'labels'}"

    # store details: the wrong field said beside it, then saved and queued
    form = page.store.form
    assert page.store.save_button.isVisible() and not form.fields["name"].isReadOnly()
    form.fields["name"].setText("Corner Shop Bristol")
    form.fields["timezone"].setEditText("Mars/Olympus")
    _save(qtbot, page.store, page.store.save_button, "Nothing was saved")
    assert "not a time zone name" in form.errors["timezone"].text()
    assert form.errors["name"].text() == ""
    form.fields["timezone"].setEditText("Europe/London")
    _save(qtbot, page.store, page.store.save_button, "Store details saved")
    assert form.errors["timezone"].text() == ""
    with store.read() as s:
        [queued] = s.scalars(select(OutboxEntry.payload)
                             .where(OutboxEntry.kind == "store.update")).all()
    assert json.loads(queued)["fields"] == {"name": "Corner Shop Bristol",
                                            "timezone": "Europe/London"}

    # a tax class: the rate refused beside it (the blank row before it not counted), then saved
    taxes = page.taxes
    taxes.new_button.click()
    fields = taxes.form.fields
    fields["name"].setText("Reduced")
    fields["rates[0].name"].setText("State")
    fields["rates[0].percent"].setText("6.25")
    fields["rates[2].name"].setText("City")
    fields["rates[2].percent"].setText("2.625.1")
    _save(qtbot, taxes, taxes.save_button, "Nothing was saved")
    assert "not a percentage" in taxes.form.errors["rates[2].percent"].text()
    fields["rates[2].percent"].setText("2.625 %")
    _save(qtbot, taxes, taxes.save_button, "Saved: Reduced — State 6.25 %, City 2.625 %")
    qtbot.waitUntil(lambda: any("Reduced" in taxes.list.item(i).text()
                                for i in range(taxes.list.count())), timeout=WAIT_MS)
    with store.read() as s:
        reduced = s.scalar(select(TaxClass).where(TaxClass.name == "Reduced"))
        assert [r.rate_ppm for r in reduced.rates] == [62_500, 26_250]

    # backups: a relative folder refused beside the field, nothing saved
    backups = page.backups
    backups.form.fields["backup.dir"].setText("relative/backups")
    backups.form.fields["backup.keep"].setValue(30)
    _save(qtbot, backups, backups.save_button, "Nothing was saved")
    assert "is not a full path" in backups.form.errors["backup.dir"].text()
    assert Settings(settings.path).get("backup.keep") == 14  # neither field kept

    # card reader: the key kept in the keyring, never on screen; readers listed with it
    monkeypatch.delenv("TILLPOINT_STRIPE_SECRET_KEY", raising=False)
    monkeypatch.setenv("TILLPOINT_STRIPE_API_BASE", fake_stripe.url)
    fake_stripe.add_reader(READER, label="Counter")
    card = page.card_reader
    qtbot.waitUntil(lambda: card.key_field.isEnabled(), timeout=WAIT_MS)
    card.key_field.setText("pk_test_oops")
    card.key_button.click()
    qtbot.waitUntil(lambda: "not a Stripe secret" in card.key_error.text(), timeout=WAIT_MS)
    card.key_field.setText(fake_stripe.api_key)
    assert card.key_field.echoMode() == card.key_field.EchoMode.Password
    card.key_button.click()
    qtbot.waitUntil(lambda: card.key_state.text() == "A Stripe key is kept in the keyring.",
                    timeout=WAIT_MS)
    assert card.key_field.text() == "" and fake_stripe.api_key in file_keyring.secrets().values()
    card.list_button.click()
    qtbot.waitUntil(lambda: card.status.text().startswith("1 reader(s)"), timeout=WAIT_MS)
    readers = card.form.fields["stripe.reader_id"]
    readers.setCurrentIndex(readers.findData(READER))
    card.form.fields["payments.card_provider"].setCurrentIndex(
        card.form.fields["payments.card_provider"].findData("stripe_terminal"))
    _save(qtbot, card, card.save_button, "Saved.")
    assert Settings(settings.path).get("stripe.reader_id") == READER
    assert Settings(settings.path).get("payments.card_provider") == "stripe_terminal"

    # pairing: the till as paired, then paired again with a new one-time code
    pairing = page.pairing
    assert pairing.state_label.text().startswith(f"Paired with {shared_server.base_url} as "
                                                 "store S01")
    assert "register R7" in pairing.state_label.text()
    server_field = pairing.form.fields["server.url"]  # sync uses the pairing's address
    assert server_field.isReadOnly() and server_field.text() == shared_server.base_url
    pairing.form.fields["code"].setText("not-a-code")
    _save(qtbot, pairing, pairing.pair_button, "Not paired")
    assert "is not a pairing code" in pairing.form.errors["code"].text()
    pairing.form.fields["code"].setText(_code(shared_server, "R7"))
    _save(qtbot, pairing, pairing.pair_button, "Paired.")
    assert pairing.state.device_id != first.device_id
    assert pairing.form.fields["code"].text() == ""
    assert Settings(settings.path).get("server.url") == shared_server.base_url
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    out = test_output / "ui" / "settings_page.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert page.screen.scroll.widget().grab().save(str(out))


def test_who_may_change_what(qtbot, runner, blank_shop, tmp_path):
    with blank_shop.write() as s:
        ids = {role: catalog.staff(s, role=role).id
               for role in ("manager", "stock_clerk", "cashier", "support")}
    settings = Settings(tmp_path / "settings.toml")
    widget = _page(qtbot, blank_shop, runner, settings, ids["manager"])
    page = widget.open_page("settings")
    qtbot.waitUntil(lambda: page.store.details is not None, timeout=WAIT_MS)
    assert page.store.form.fields["name"].isReadOnly()
    assert not page.store.form.fields["timezone"].isEnabled()
    assert not page.store.save_button.isVisibleTo(page)
    assert page.store.status.text().startswith("Only the owner changes the store's details")
    assert page.printers is None  # no print worker given: the page says where printers are
    assert page.taxes.save_button.isEnabled() and page.pairing.pair_button.isVisibleTo(page)
    page.store.save()  # even if called, a manager's save never reaches the service
    assert page.store.status.text().startswith("Only the owner")

    with qtbot.waitSignal(widget.user_changed, timeout=WAIT_MS):
        widget.sign_out_button.click()
    qtbot.waitUntil(lambda: widget.signin.staff_list.count() == 3, timeout=WAIT_MS)
    with qtbot.waitSignal(widget.user_changed, timeout=WAIT_MS):
        sign_in(qtbot, widget, ids["stock_clerk"])
    assert "settings" not in widget.page_keys
    with pytest.raises(KeyError):
        widget.page("settings")
    with pytest.raises(RuleViolation, match="a cashier does not use the back office"):
        widget.access.sign_in(ids["cashier"], "1234")
    from ui.back_office.context import PageContext
    from ui.back_office.settings_page import SettingsPage
    from app.back_office.access import BackOfficeUser

    support = BackOfficeUser(ids["support"], "Support", "support")
    with pytest.raises(RuleViolation, match="settings:manage"):
        SettingsPage(PageContext(blank_shop, runner, settings, support))

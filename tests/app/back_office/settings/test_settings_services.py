"""The Settings services over a real local store: store details (owner only, each field's
reason, only what changed queued as ``store.update``), tax classes (percentages parsed exactly
into ppm, names unique, one edit waiting at a time), and the page's settings (all or nothing)
and Stripe key (kept in the keyring, never in the audit journal)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.back_office.settings import store_details as details
from app.back_office.settings import taxes, values
from app.config.settings import Settings
from app.domain.errors import InvalidInput, RuleViolation
from db.models import AuditEntry, OutboxEntry, TaxClass
from tests.support import catalog


@pytest.fixture
def people(blank_shop):
    with blank_shop.write() as s:
        return {role: catalog.staff(s, role=role).id
                for role in ("owner", "manager", "cashier", "moderator")}


def _outbox(store, kind: str) -> list[dict]:
    with store.read() as s:
        return [json.loads(e.payload) for e in s.scalars(
            select(OutboxEntry).where(OutboxEntry.kind == kind).order_by(OutboxEntry.seq))]


def test_the_owner_changes_the_store_details_and_only_what_changed_is_queued(blank_shop,
                                                                            people):
    with blank_shop.write() as s:
        shop = details.update_store_details(s, staff_id=people["owner"], values={
            "name": "  Corner Shop ", "address": " 1 High Street \r\n Bristol\n",
            "tax_number": "GB123456789", "timezone": "Europe/London"})
    assert (shop.name, shop.address, shop.timezone) == ("Corner Shop", "1 High Street\nBristol",
                                                        "Europe/London")
    [pushed] = _outbox(blank_shop, "store.update")
    assert pushed["fields"] == {"name": "Corner Shop", "address": "1 High Street\nBristol",
                                "tax_number": "GB123456789", "timezone": "Europe/London"}
    assert pushed["base"]["name"] == "Test Shop" and pushed["staff_id"] == people["owner"]
    with blank_shop.write() as s:  # the same form saved again: nothing to send
        details.update_store_details(s, staff_id=people["owner"], values=shop.values())
        details.update_store_details(s, staff_id=people["owner"], values={"name": "Corner"})
    assert [p["fields"] for p in _outbox(blank_shop, "store.update")][1:] == [{"name": "Corner"}]


def test_store_details_refuse_a_manager_and_bad_fields_leaving_everything(blank_shop, people):
    with blank_shop.write() as s:
        with pytest.raises(RuleViolation, match="stores:manage") as refused:
            details.update_store_details(s, staff_id=people["manager"], values={"name": "X"})
    assert refused.value.field == "staff"
    assert details.check_all({"name": " ", "timezone": "Mars/Olympus", "tax_number": "x" * 65,
                              "address": "ok\nfine", "colour": "red"}) == {
        "name": "is required",
        "timezone": "'Mars/Olympus' is not a time zone name such as Europe/Berlin",
        "tax_number": "is longer than 64 characters",
        "colour": "is not a store detail (name, address, tax_number, timezone)"}
    with blank_shop.write() as s:
        with pytest.raises(InvalidInput) as bad:
            details.update_store_details(s, staff_id=people["owner"],
                                         values={"name": "New", "timezone": "Nowhere"})
    assert bad.value.field == "timezone"
    with blank_shop.read() as s:
        assert details.store_details(s).name == "Test Shop"
    assert _outbox(blank_shop, "store.update") == []


def test_tax_classes_are_added_and_edited_with_exact_rates(blank_shop, people):
    manager = people["manager"]
    with blank_shop.write() as s:
        made = taxes.save_tax_class(s, staff_id=manager, name="Reduced", rates=[
            taxes.RateInput("State", "6.25"), taxes.RateInput("City", "2.625%")])
    assert [(r.name, r.rate_ppm) for r in made.rates] == [("State", 62_500), ("City", 26_250)]
    assert made.version == 1 and made.waiting
    [created] = _outbox(blank_shop, "tax_class.upsert")
    assert created == {"id": made.id, "base_version": 0, "name": "Reduced", "staff_id": manager,
                       "rates": [{"name": "State", "rate_ppm": 62_500},
                                 {"name": "City", "rate_ppm": 26_250}]}
    with blank_shop.write() as s:  # a second edit while the first waits: refused
        with pytest.raises(RuleViolation, match="has not reached the server"):
            taxes.save_tax_class(s, staff_id=manager, name="Reduced 2", rates=[],
                                 tax_class_id=made.id)
        s.execute(OutboxEntry.__table__.delete())  # as if the push had been answered
    with blank_shop.write() as s:
        edited = taxes.save_tax_class(s, staff_id=manager, name="Reduced", tax_class_id=made.id,
                                      rates=[taxes.RateInput("State", "8.875")])
    assert edited.describe() == "Reduced — State 8.875 %" and edited.version == 2
    assert _outbox(blank_shop, "tax_class.upsert")[0]["base_version"] == 1
    with blank_shop.read() as s:
        assert [r.rate_ppm for r in s.get(TaxClass, made.id).rates] == [88_750]


BAD_TAX_CLASSES = [
    ("", [], "name", "is required"),
    ("standard", [], "name", "another tax class is called 'standard'"),
    ("Mixed", [("VAT", "20.5.1")], "rates[0].percent", "not a percentage"),
    ("Mixed", [("VAT", "101")], "rates[0].percent", "must not be over 100 %"),
    ("Mixed", [("VAT", "-1")], "rates[0].percent", "must not be negative"),
    ("Mixed", [("VAT", "1.23456")], "rates[0].percent", "more than four decimal places"),
    ("Mixed", [("VAT", "5"), ("VAT", "6")], "rates[1].name", "'VAT' is named twice"),
    ("Mixed", [("", "5")], "rates[0].name", "is required"),
    ("Mixed", [(f"R{n}", "1") for n in range(6)], "rates", "at most 5 rates"),
]


def test_a_bad_tax_class_is_refused_naming_the_field(blank_shop, people):
    with blank_shop.write() as s:
        catalog.tax_class(s, "Standard", ("VAT", 200_000))
    for name, rates, field, reason in BAD_TAX_CLASSES:
        with blank_shop.write() as s:
            with pytest.raises(InvalidInput) as bad:
                taxes.save_tax_class(s, staff_id=people["owner"], name=name,
                                     rates=[taxes.RateInput(n, p) for n, p in rates])
        assert (bad.value.field, name) == (field, name) and reason in bad.value.message
    with blank_shop.read() as s:
        assert [c.name for c in taxes.tax_classes(s)] == ["Standard"]
    assert _outbox(blank_shop, "tax_class.upsert") == []


def test_taxes_need_settings_manage(blank_shop, people):
    for role in ("cashier", "moderator"):
        with blank_shop.write() as s:
            with pytest.raises(RuleViolation, match="settings:manage"):
                taxes.save_tax_class(s, staff_id=people[role], name="Zero", rates=[])


def test_page_settings_are_kept_all_or_nothing_and_audited(blank_shop, people, tmp_path):
    settings = Settings(tmp_path / "settings.toml")
    backups = tmp_path / "backups" / "daily"
    with pytest.raises(values.FieldErrors) as refused:
        values.save_values(blank_shop, settings, staff_id=people["manager"], values={
            "receipt.footer": "Thank you!", "backup.keep": "0", "backup.dir": "relative/dir",
            "server.url": "ftp://tills", "payments.card_provider": "cheque"})
    assert set(refused.value.errors) == {"backup.keep", "backup.dir", "server.url",
                                         "payments.card_provider"}
    assert "is not a full path" in refused.value.errors["backup.dir"]
    # sync uses the address kept at pairing: the page shows it, only pairing changes it
    assert refused.value.errors["server.url"] == "is not a setting of this page"
    assert Settings(settings.path).get("receipt.footer") != "Thank you!"  # nothing kept
    (tmp_path / "a-file").write_text("")
    assert values.check_values({"backup.dir": str(tmp_path / "a-file")})[1] == {
        "backup.dir": f"{tmp_path / 'a-file'} is a file, not a folder"}
    with pytest.raises(RuleViolation):
        values.save_values(blank_shop, settings, staff_id=people["cashier"],
                           values={"receipt.footer": "Hi"})

    changed = values.save_values(blank_shop, settings, staff_id=people["manager"], values={
        "receipt.footer": "Thank you!", "backup.keep": "30", "backup.dir": str(backups)})
    assert changed["backup.keep"] == 30
    again = Settings(settings.path)
    assert (again.get("receipt.footer"), again.get("backup.dir")) == ("Thank you!", str(backups))
    with blank_shop.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "settings.changed"))
    assert json.loads(entry.details)["to"]["backup.keep"] == 30


def test_a_stripe_key_goes_to_the_keyring_and_never_to_the_journal(blank_shop, people,
                                                                   monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):  # a real backend, in memory
        priority = 1
        kept: dict = {}

        def get_password(self, service, username):  # noqa: ANN001, ANN201
            return self.kept.get((service, username))

        def set_password(self, service, username, password):  # noqa: ANN001, ANN201
            self.kept[(service, username)] = password

        def delete_password(self, service, username):  # noqa: ANN001, ANN201
            self.kept.pop((service, username), None)

    monkeypatch.delenv("TILLPOINT_STRIPE_SECRET_KEY", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        assert values.key_state()[0] is False
        with pytest.raises(InvalidInput) as bad:
            values.replace_stripe_key(blank_shop, staff_id=people["owner"], key="pk_test_123")
        assert bad.value.field == "stripe.secret_key"
        key = "sk_test_" + "a1" * 12
        values.replace_stripe_key(blank_shop, staff_id=people["owner"], key=f" {key} ")
        assert MemoryKeyring.kept[("tillpoint", "stripe.secret_key")] == key
        assert values.key_state() == (True, "A Stripe key is kept in the keyring.")
    finally:
        keyring.set_keyring(previous)
    with blank_shop.read() as s:
        journal = " ".join(s.scalars(select(AuditEntry.details)))
    assert "a1a1" not in journal and "sk_test_" in journal


def test_no_keyring_is_said_plainly(monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.delenv("TILLPOINT_STRIPE_SECRET_KEY", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        kept, words = values.key_state()
    finally:
        keyring.set_keyring(previous)
    assert kept is None and words.startswith("No keyring is available on this machine")

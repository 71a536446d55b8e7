"""Paths, declared settings and secrets: overridable, validated, never a crash."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from app.config import secrets
from app.config.paths import Paths
from app.config.settings import SPECS, Settings
from app.domain.errors import InvalidInput


def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLPOINT_DATA_DIR", str(tmp_path / "from-env"))
    assert Paths.resolve(tmp_path / "from-flag").data_dir == tmp_path / "from-flag"
    assert Paths.resolve(None).data_dir == tmp_path / "from-env"
    monkeypatch.delenv("TILLPOINT_DATA_DIR")
    default = Paths.resolve(None).data_dir
    assert default.name == "tillpoint" and default.is_absolute()
    paths = Paths.resolve(tmp_path)
    assert (paths.store.name, paths.settings.name) == ("tillpoint.sqlite3", "settings.toml")


def test_every_setting_is_declared_once_with_a_description():
    keys = [spec.key for spec in SPECS]
    assert len(keys) == len(set(keys))
    assert all(spec.description and "." in spec.key for spec in SPECS)
    assert all(isinstance(spec.default, spec.kind) for spec in SPECS)


def test_settings_round_trip_through_the_file_with_types(tmp_path):
    path = tmp_path / "settings.toml"
    settings = Settings(path)
    assert settings.get("till.lock_after_seconds") == 300  # default
    settings.set("till.lock_after_seconds", "90")
    settings.set("till.high_contrast", "yes")
    settings.set("printer.receipt", "EPSON TM-T20")
    again = Settings(path)
    assert again.get("till.lock_after_seconds") == 90
    assert again.get("till.high_contrast") is True
    assert again.get("printer.receipt") == "EPSON TM-T20"


def test_bad_values_are_refused_and_the_file_is_untouched(tmp_path):
    path = tmp_path / "settings.toml"
    settings = Settings(path)
    settings.set("receipt.width", "58mm")
    before = path.read_bytes()
    for key, value in [("receipt.width", "75mm"), ("till.lock_after_seconds", "-5"),
                       ("till.lock_after_seconds", "1.5"), ("till.high_contrast", "maybe"),
                       ("till.approval_discount_percent", "150")]:
        with pytest.raises(InvalidInput) as err:
            settings.set(key, value)
        assert err.value.field == key
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".settings-*")), "no temporary file is left behind"


def test_a_corrupt_settings_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[till\nlock_after_seconds = ")
    with pytest.raises(InvalidInput, match="cannot be read"):
        Settings(path)


class _MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.values.get((service, username))

    def set_password(self, service, username, password):
        self.values[(service, username)] = password

    def delete_password(self, service, username):
        self.values.pop((service, username), None)


def test_secrets_without_a_keyring_backend_explain_what_to_do(monkeypatch):
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    with pytest.raises(secrets.SecretStoreUnavailable, match="no secure keyring"):
        secrets.set_secret("device.key", "s3cret")
    with pytest.raises(secrets.SecretStoreUnavailable, match="environment variable"):
        secrets.get_secret("device.key")
    assert secrets.keyring_available()[0] is False


def test_secrets_go_to_the_keyring_and_the_environment_overrides(monkeypatch):
    backend = _MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        secrets.set_secret("stripe.secret_key", "sk_from_keyring")
        assert backend.values == {("tillpoint", "stripe.secret_key"): "sk_from_keyring"}
        assert secrets.get_secret("stripe.secret_key") == "sk_from_keyring"
        monkeypatch.setenv("TILLPOINT_STRIPE_SECRET_KEY", "sk_from_env")
        assert secrets.get_secret("stripe.secret_key") == "sk_from_env"
        assert secrets.keyring_available() == (True, f"{__name__}._MemoryKeyring")
    finally:
        from keyring.backends import fail
        keyring.set_keyring(fail.Keyring())


def test_one_bad_value_in_the_file_is_reported_and_can_be_fixed(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[receipt]\nwidth = "60mm"\n[till]\nlock_after_seconds = 90\n')
    settings = Settings(path)
    assert settings.get("receipt.width") == "80mm"  # the default stands in
    assert settings.get("till.lock_after_seconds") == 90
    assert any("receipt.width" in p for p in settings.problems)
    settings.set("receipt.width", "58mm")
    assert Settings(path).problems == [] and Settings(path).get("receipt.width") == "58mm"


def test_a_file_that_cannot_be_written_changes_no_setting(tmp_path):
    path = tmp_path / "settings.toml"
    settings = Settings(path)
    settings.set("payments.card_provider", "terminal")
    path.unlink()
    path.mkdir()  # the rename onto it fails, whoever runs the test (root too)
    with pytest.raises(OSError):
        settings.update({"payments.card_provider": "none", "backup.keep": "3"})
    with pytest.raises(OSError):
        settings.set("payments.card_provider", "none")
    assert settings.get("payments.card_provider") == "terminal"  # as the file last had it
    assert settings.get("backup.keep") == 14
    assert not list(tmp_path.glob(".settings-*"))

"""The cash drawer's ESC/POS pulse, written to a file standing in for the printer's device."""

from __future__ import annotations

import logging

from app.config.settings import Settings
from app.devices.drawer import PULSE, CashDrawer, drawer_for


def test_open_writes_the_pulse_to_the_device(tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    drawer = CashDrawer(device)
    assert PULSE == b"\x1bp\x00\x19\xfa"
    assert drawer.open() and drawer.open()
    assert device.read_bytes() == PULSE * 2 and drawer.last_error is None


def test_a_missing_device_is_reported_not_created(tmp_path, caplog):
    device = tmp_path / "usb" / "lp0"
    drawer = CashDrawer(device)
    with caplog.at_level(logging.WARNING, logger="app.devices.drawer"):
        assert drawer.open() is False
    assert drawer.last_error == f"the cash drawer's device {device} is missing"
    assert "cash drawer not opened" in caplog.text
    assert not device.exists()


def test_a_device_that_cannot_take_writes(tmp_path):
    device = tmp_path / "lp0"
    device.mkdir()  # not writable as a file, whoever the till runs as
    drawer = CashDrawer(device)
    assert drawer.open() is False and "cannot be opened" in drawer.last_error


def test_no_device_set(tmp_path):
    drawer = CashDrawer("")
    assert drawer.open() is False and "till.cash_drawer_device" in drawer.last_error


def test_the_drawer_comes_from_the_settings(tmp_path):
    settings = Settings(tmp_path / "settings.toml")
    assert drawer_for(settings) is None
    settings.set("till.cash_drawer", "true")
    settings.set("till.cash_drawer_device", str(tmp_path / "lp0"))
    drawer = drawer_for(settings)
    assert drawer is not None and drawer.device_path == tmp_path / "lp0"


def test_a_drawer_in_an_escpos_receipt_printer_is_kicked_through_the_printer(tmp_path, caplog):
    """``printer.receipt`` = escpos:… and no device of its own: the pulse goes through the
    printer's connection (the same bytes as to a device file)."""
    settings = Settings(tmp_path / "settings.toml")
    printer = tmp_path / "lp0"
    printer.write_bytes(b"")
    settings.set("till.cash_drawer", "true")
    settings.set("printer.receipt", f"escpos:file:{printer}")
    drawer = drawer_for(settings)
    assert drawer is not None and drawer.open() and drawer.last_error is None
    assert printer.read_bytes() == PULSE
    printer.unlink()  # unplugged
    with caplog.at_level(logging.WARNING, logger="app.devices.drawer"):
        assert drawer.open() is False
    assert "printer offline" in drawer.last_error and "cash drawer not opened" in caplog.text
    assert not printer.exists()
    settings.set("till.cash_drawer_device", str(tmp_path / "ttyS0"))  # a device of its own wins
    assert drawer_for(settings).device_path == tmp_path / "ttyS0"

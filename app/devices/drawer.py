"""The cash drawer, kicked open by the receipt printer it is plugged into.

Receipt printers open their drawer on the ESC/POS pulse ``ESC p m t1 t2``: pin 2 (m = 0), on
for 25 × 2 ms, off for 250 × 2 ms. The till writes those five bytes to the printer's device
(``/dev/usb/lp0``, a serial port, or a file for tests), or, when the receipt printer is an
ESC/POS one and no device is set, sends them through the printer's own connection. Opening the drawer comes *after* the
sale is recorded, so a drawer that does not open is reported, never an error that could undo
or repeat a sale.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from app.config.settings import Settings
from app.domain.errors import InvalidInput

log = logging.getLogger(__name__)

#: the one copy of the pulse (app.printing.escpos_backend kicks a printer's drawer with it)
PULSE = b"\x1bp\x00\x19\xfa"


class CashDrawer:
    def __init__(self, device_path: str | Path | None) -> None:
        self.device_path = Path(device_path) if device_path else None
        #: why the last ``open`` failed, in words for the cashier (None after a success)
        self.last_error: str | None = None

    def open(self) -> bool:
        """Send the pulse; False (with ``last_error`` and a log line) when it could not go."""
        if self.device_path is None:
            return self._failed("no cash drawer device is set: "
                                "tillpoint config set till.cash_drawer_device PATH")
        try:
            # No O_CREAT: a missing printer must not leave a stray file where its device was.
            # O_NONBLOCK: a printer that is off or out of paper must not hang the till.
            fd = os.open(self.device_path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
        except FileNotFoundError:
            return self._failed(f"the cash drawer's device {self.device_path} is missing")
        except OSError as exc:
            return self._failed(f"the cash drawer's device {self.device_path} cannot be "
                                f"opened: {exc.strerror or exc}")
        try:
            written = os.write(fd, PULSE)
        except OSError as exc:
            return self._failed(f"the cash drawer did not take the pulse: {exc.strerror or exc}")
        finally:
            os.close(fd)
        if written != len(PULSE):
            return self._failed("the cash drawer's device took only part of the pulse")
        self.last_error = None
        return True

    def _failed(self, reason: str) -> bool:
        self.last_error = reason
        log.warning("cash drawer not opened: %s", reason)
        return False


class PrinterDrawer:
    """A drawer plugged into an ESC/POS receipt printer (``printer.receipt`` = ``escpos:…``),
    kicked through that printer's connection (USB, network or device file), as
    :class:`CashDrawer` is through a device file: ``open`` says False and why, never raises."""

    def __init__(self, printer: str, *, width: str = "80mm") -> None:
        self.printer, self.width = printer, width
        self.last_error: str | None = None

    def open(self) -> bool:
        # python-escpos is imported only by a till whose receipt printer speaks it
        from app.printing.backends import PrinterError
        from app.printing.escpos_backend import EscPosBackend

        try:
            EscPosBackend(self.printer, width=self.width).kick_drawer()
        except (PrinterError, InvalidInput) as exc:
            self.last_error = f"the cash drawer's printer did not take the pulse: {exc}"
            log.warning("cash drawer not opened: %s", self.last_error)
            return False
        self.last_error = None
        return True


def drawer_for(settings: Settings) -> CashDrawer | PrinterDrawer | None:
    """The drawer this till is set up with, or None when it has none (``till.cash_drawer``).

    A device set for it (``till.cash_drawer_device``) is written to; without one, a drawer is
    taken to be plugged into the receipt printer when that is an ESC/POS one."""
    if not settings.get("till.cash_drawer"):
        return None
    device = settings.get("till.cash_drawer_device") or None
    printer = (settings.get("printer.receipt") or "").strip()
    if device is None and printer.startswith("escpos:"):
        return PrinterDrawer(printer, width=settings.get("receipt.width") or "80mm")
    return CashDrawer(device)

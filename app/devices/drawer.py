"""The cash drawer, kicked open by the receipt printer it is plugged into.

Receipt printers open their drawer on the ESC/POS pulse ``ESC p m t1 t2``: pin 2 (m = 0), on
for 25 × 2 ms, off for 250 × 2 ms. The till writes those five bytes to the printer's device
(``/dev/usb/lp0``, a serial port, or a file for tests). Opening the drawer comes *after* the
sale is recorded, so a drawer that does not open is reported, never an error that could undo
or repeat a sale.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from app.config.settings import Settings

log = logging.getLogger(__name__)

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


def drawer_for(settings: Settings) -> CashDrawer | None:
    """The drawer this till is set up with, or None when it has none (``till.cash_drawer``)."""
    if not settings.get("till.cash_drawer"):
        return None
    return CashDrawer(settings.get("till.cash_drawer_device") or None)

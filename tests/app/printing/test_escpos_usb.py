"""A USB receipt printer on a machine with pyusb but without the libusb it drives: the job
fails in words the shop can act on (and is kept for a retry), never with pyusb's own
exception escaping the print worker."""

from __future__ import annotations

import pytest

from app.printing.backends import PrinterError
from app.printing.escpos_backend import EscPosBackend, Usb
from app.printing.roll import RollDocument, roll_for


def _libusb_found() -> bool:
    import usb.backend.libusb0
    import usb.backend.libusb1
    import usb.backend.openusb

    return any(module.get_backend() is not None
               for module in (usb.backend.libusb1, usb.backend.libusb0, usb.backend.openusb))


@pytest.mark.skipif(not Usb.is_usable(), reason="pyusb is not installed here")
def test_usb_without_libusb_says_what_is_missing():
    if _libusb_found():
        pytest.skip("libusb is installed here: the printer would be looked for")
    document = RollDocument(roll_for("80mm"))
    document.text("Receipt")
    backend = EscPosBackend("escpos:usb:04b8:0202")
    for attempt in (lambda: backend.print_pdf(document.pdf(title="Receipt"), "Receipt"),
                    backend.kick_drawer):
        with pytest.raises(PrinterError) as error:
            attempt()
        assert error.value.reason == "USB receipt printers need libusb"
        assert error.value.printer == "escpos:usb:04b8:0202"

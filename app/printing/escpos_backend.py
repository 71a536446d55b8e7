"""Receipt printers driven with ESC/POS (python-escpos), over USB, the network or a device file.

A receipt printer cannot read a PDF: each page is rendered to the printer's dots (203 dpi, 1 bit,
as wide as its head: 576 dots on an 80 mm roll, 384 on 58 mm) and sent as a raster image
(``GS v 0``), after ``ESC @`` (reset) and before a feed and a cut. The drawer plugged into the
printer opens on the pulse ``ESC p 0 25 250`` (pin 2, 50 ms on, 500 ms off), the same pulse
:mod:`app.devices.drawer` writes.

Printers that answer real-time status (``DLE EOT``: most USB and network ones) are asked before
and after a job, so "out of paper", "cover open" and "offline" are told in words; a device file
cannot answer, and a printer that does not answer within a moment is printed to regardless.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import socket
from dataclasses import dataclass
from typing import Iterator

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError, Error as EscposError
from escpos.printer import File, Network, Usb

try:
    from usb.core import NoBackendError
except ImportError:  # no pyusb: Usb.is_usable() says so before a device is opened
    class NoBackendError(Exception):  # type: ignore[no-redef]
        pass

from app.devices.drawer import PULSE
from app.domain.errors import InvalidInput
from app.printing.backends import OFFLINE, OUT_OF_PAPER, PrinterError, check_pdf
from app.printing.raster import THERMAL_DPI, rasterise

log = logging.getLogger(__name__)

HEAD_DOTS = {"80mm": 576, "58mm": 384}
DEFAULT_PORT = 9100
IO_TIMEOUT_SECONDS = 5.0
STATUS_TIMEOUT_SECONDS = 0.5
#: rows per raster command: printers with small buffers choke on one very tall image
FRAGMENT_ROWS = 512
_OFFLINE_ERRNOS = {errno.ENODEV, errno.ENXIO, errno.EIO, errno.EHOSTUNREACH, errno.ENETUNREACH,
                   errno.ECONNREFUSED, errno.ECONNRESET, errno.EPIPE, errno.EHOSTDOWN}
_HOST_PORT = re.compile(r"([A-Za-z0-9.-]+)(?::(\d{1,5}))?")  # IPv4 or a name: AF_INET
_HEX16 = re.compile(r"(?:0x)?[0-9A-Fa-f]{1,4}")


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # usb | net | file
    vendor: int = 0
    product: int = 0
    host: str = ""
    port: int = DEFAULT_PORT
    path: str = ""

    def __str__(self) -> str:
        if self.kind == "usb":
            return f"USB {self.vendor:04x}:{self.product:04x}"
        if self.kind == "net":
            return f"{self.host}:{self.port}"
        return self.path


def parse_target(printer: str) -> Target:
    """``escpos:usb:VID:PID`` (hex), ``escpos:net:HOST[:PORT]``, ``escpos:file:PATH``."""
    kind, _, rest = printer.removeprefix("escpos:").partition(":")
    if kind == "file" and rest.strip():
        return Target("file", path=rest.strip())
    if kind == "net":
        match = _HOST_PORT.fullmatch(rest.strip())
        port = int(match.group(2)) if match and match.group(2) else DEFAULT_PORT
        if match and 0 < port < 65536:
            return Target("net", host=match.group(1), port=port)
    if kind == "usb":
        ids = rest.split(":")
        if len(ids) == 2 and all(_HEX16.fullmatch(part) for part in ids):
            vendor, product = (int(part, 16) for part in ids)
            if vendor and product:
                return Target("usb", vendor=vendor, product=product)
    raise InvalidInput(f"{printer[:120]!r} is not an ESC/POS printer: use escpos:usb:VID:PID, "
                       "escpos:net:HOST[:PORT] or escpos:file:PATH", field="printer")


class _DeviceFile(File):
    """python-escpos's File opens with "wb", which would create a stray file where an unplugged
    printer's device was (and truncate): open an existing device (or file) for appending."""

    def open(self, raise_not_found: bool = True) -> None:
        try:
            fd = os.open(self.devfile, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            self.device = None
            if isinstance(exc, PermissionError):
                raise
            raise DeviceNotFoundError(f"{self.devfile}: {exc.strerror or exc}") from exc
        self.device = os.fdopen(fd, "ab")


class EscPosBackend:
    """One ESC/POS receipt printer (see the module docstring): ``print_pdf`` and
    ``kick_drawer``. Each call opens the connection and closes it again, so a printer that was
    switched off and on in between just works."""

    def __init__(self, printer: str, *, width: str = "80mm", cut: bool = True,
                 timeout: float = IO_TIMEOUT_SECONDS) -> None:
        if width not in HEAD_DOTS:
            raise InvalidInput(f"{width!r} is not a receipt width ({', '.join(HEAD_DOTS)})",
                               field="width")
        self.printer = printer
        self.target = parse_target(printer)
        self.dots = HEAD_DOTS[width]
        self.cut = cut
        self.timeout = timeout
        #: a warning from the last job that did not stop it ("paper running low")
        self.warning: str | None = None

    def print_pdf(self, pdf: bytes, title: str) -> None:
        check_pdf(pdf)
        pages = rasterise(pdf, dots=self.dots, dpi=THERMAL_DPI)  # before the printer is touched
        with self._connected() as device:
            self._check_status(device)
            device.hw("INIT")
            for page in pages:
                device.image(page, impl="bitImageRaster", fragment_height=FRAGMENT_ROWS)
            if self.cut:
                device.cut()
            # the paper may have run out while the job went out
            self._check_status(device)
        log.info("printed %s on %s (%d page(s))", title, self.target, len(pages))

    def kick_drawer(self) -> None:
        """Open the cash drawer plugged into this printer."""
        with self._connected() as device:
            device.cashdraw(list(PULSE))  # ESC p m t1 t2, as bytes it is given

    # -- connection and status -------------------------------------------------------------
    @contextlib.contextmanager
    def _connected(self) -> Iterator[Escpos]:
        device = self._device()
        try:
            device.open()
            yield device
        except PrinterError:
            raise
        except NoBackendError as exc:  # pyusb is installed, the libusb it drives is not
            raise PrinterError("USB receipt printers need libusb", "install libusb-1.0",
                               printer=self.printer) from exc
        except (EscposError, OSError) as exc:
            raise self._in_words(exc) from exc
        finally:
            with contextlib.suppress(Exception):
                device.close()

    def _device(self) -> Escpos:
        target = self.target
        if target.kind == "file":
            device: Escpos = _DeviceFile(target.path)
        elif target.kind == "net":
            device = Network(target.host, target.port, timeout=self.timeout)
        else:
            if not Usb.is_usable():
                raise PrinterError("USB receipt printers need the pyusb package",
                                   "install pyusb and libusb", printer=self.printer)
            device = Usb(target.vendor, target.product, timeout=int(self.timeout * 1000))
        # the head's width in the profile (the default one has none, and says so on stdout)
        media = {"dpi": THERMAL_DPI, "width": {"mm": "Unknown", "pixels": self.dots}}
        device.profile.profile_data = {**device.profile.profile_data, "media": media}
        return device

    def _in_words(self, exc: BaseException) -> PrinterError:
        detail = _detail(exc)
        if isinstance(exc, PermissionError):
            return PrinterError(f"no permission to use the printer {self.target}", detail,
                                printer=self.printer)
        if isinstance(exc, DeviceNotFoundError):
            return PrinterError(OFFLINE, f"{self.target}: {detail}", printer=self.printer)
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return PrinterError(OFFLINE, f"{self.target} did not answer", printer=self.printer)
        if isinstance(exc, OSError) and (exc.errno in _OFFLINE_ERRNOS
                                         or isinstance(exc, ConnectionError)):
            return PrinterError(OFFLINE, f"{self.target}: {detail}", printer=self.printer)
        return PrinterError("the printer refused the job", f"{self.target}: {detail}",
                            printer=self.printer)

    def _check_status(self, device: Escpos) -> None:
        if self.target.kind == "file":
            return  # a device file cannot answer
        online = self._status(device, 1)
        if online is None:
            return
        paper = self._status(device, 4)
        if paper is not None and paper & 0x60:
            raise PrinterError(OUT_OF_PAPER, str(self.target), printer=self.printer)
        if online & 0x08:
            cause = self._status(device, 2) or 0
            if cause & 0x20:
                raise PrinterError(OUT_OF_PAPER, str(self.target), printer=self.printer)
            why = ("cover open" if cause & 0x04 else
                   "printer error" if cause & 0x40 else f"{self.target} reports offline")
            raise PrinterError(OFFLINE, why, printer=self.printer)
        self.warning = "paper running low" if paper is not None and paper & 0x0C else None

    def _status(self, device: Escpos, which: int) -> int | None:
        """One real-time status byte (``DLE EOT n``), or None when the printer gives none."""
        sock = device.device if self.target.kind == "net" else None
        if sock is not None:
            sock.settimeout(STATUS_TIMEOUT_SECONDS)
        try:
            answer = device.query_status(bytes((0x10, 0x04, which)))
        except (NotImplementedError, socket.timeout, TimeoutError):
            return None
        except OSError as exc:
            if exc.errno in (errno.ETIMEDOUT, None):  # pyusb's read timeout
                return None
            raise
        finally:
            if sock is not None:
                sock.settimeout(self.timeout)
        if not answer:
            return None
        byte = answer[-1]
        # every status byte has bits 1 and 4 set and 0 and 7 clear: anything else is noise
        return byte if byte & 0x93 == 0x12 else None


def _detail(exc: BaseException) -> str:
    """What went wrong underneath, in one line: python-escpos wraps the socket's or the file's
    own error ("Connection refused") in a message of its own."""
    if isinstance(exc, DeviceNotFoundError):
        exc = exc.__cause__ or exc.__context__ or exc
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = getattr(exc, "msg", "") or str(exc)
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__

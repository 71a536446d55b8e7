"""Where a finished PDF goes: one protocol, a backend per kind of printer.

A printer is named by a string (settings ``printer.receipt`` / ``printer.invoice`` /
``printer.label``, the queue's ``printer`` column):

- ``escpos:usb:VID:PID``, ``escpos:net:HOST[:PORT]``, ``escpos:file:PATH`` — a receipt printer
  driven with ESC/POS (:mod:`app.printing.escpos_backend`);
- ``file:DIR`` — save each document as a PDF in a directory (headless tills, tests, archives);
- ``cups:NAME`` — a CUPS queue through ``lp``;
- anything else — a system printer by its name ("" is the system's default): the window prints
  those through Qt print support (``ui/printing``), the command line through CUPS.

Every failure is a :class:`PrinterError` whose reason a cashier can act on ("printer offline",
"out of paper"), never a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Protocol

from app.domain.errors import DomainError, InvalidInput

OFFLINE = "printer offline"
OUT_OF_PAPER = "out of paper"
LP_TIMEOUT_SECONDS = 30
_UNSAFE = re.compile(r"[^\w.-]+")


class PrinterError(DomainError):
    """A document did not print. ``reason`` is the words ("printer offline", "out of paper"),
    ``detail`` what was seen (the address that refused, the driver's message)."""

    code = "printer_error"

    def __init__(self, reason: str, detail: str = "", *, printer: str = "") -> None:
        self.reason, self.detail, self.printer = reason, detail, printer
        super().__init__(f"{reason} ({detail})" if detail else reason)


class PrinterBackend(Protocol):
    def print_pdf(self, pdf: bytes, title: str) -> None:
        """Send the whole document, or raise :class:`PrinterError`; returns once it has been
        handed to the printer (or its spooler)."""


def check_pdf(pdf: bytes) -> None:
    if not isinstance(pdf, (bytes, bytearray)) or not pdf.startswith(b"%PDF-"):
        raise InvalidInput("is not a PDF document", field="pdf")


class FileBackend:
    """Saves each document as ``<title>.pdf`` in a directory (``-2``, ``-3``… rather than
    overwrite), written to a temporary file first so a half-written PDF never appears."""

    def __init__(self, directory: str | Path) -> None:
        if not str(directory).strip():
            raise InvalidInput("needs a directory", field="printer")
        self.directory = Path(directory).expanduser()
        #: where the last document went
        self.last_path: Path | None = None

    def print_pdf(self, pdf: bytes, title: str) -> None:
        check_pdf(pdf)
        stem = _UNSAFE.sub("_", title).strip("._") or "document"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.last_path = write_new(self.directory, stem, pdf)
        except OSError as exc:
            raise PrinterError(f"cannot save to {self.directory}", exc.strerror or str(exc),
                               printer=f"file:{self.directory}") from exc


def write_new(directory: Path, stem: str, data: bytes) -> Path:
    """Write ``data`` to ``directory/stem.pdf`` (or ``stem-N.pdf`` when taken), atomically."""
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tillpoint-", suffix=".part")
    try:
        os.fchmod(handle, 0o644)  # mkstemp's 0600 would hide the documents from whoever files them
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        for n in range(1, 10_000):
            target = directory / (f"{stem}.pdf" if n == 1 else f"{stem}-{n}.pdf")
            try:
                os.link(temporary, target)  # fails if taken: never replaces an earlier copy
            except FileExistsError:
                continue
            except OSError:  # a file system without hard links (FAT, some shares)
                if target.exists():
                    continue
                os.replace(temporary, target)
            return target
        raise FileExistsError(f"too many documents named {stem} in {directory}")
    finally:
        Path(temporary).unlink(missing_ok=True)


class CupsBackend:
    """A CUPS queue, through its ``lp`` command (the PDF on standard input).

    CUPS takes a job for a printer that is switched off and keeps it in its own queue, so
    "accepted" here means handed to CUPS; what ``lp`` refuses is reported in words."""

    def __init__(self, name: str = "", *, command: str = "lp",
                 timeout: float = LP_TIMEOUT_SECONDS) -> None:
        self.name, self.command, self.timeout = name.strip(), command, timeout

    def print_pdf(self, pdf: bytes, title: str) -> None:
        check_pdf(pdf)
        argv = [self.command, *(["-d", self.name] if self.name else []), "-t", title[:120], "-"]
        where = self.name or "the default printer"
        try:
            done = subprocess.run(argv, input=bytes(pdf), capture_output=True,
                                  timeout=self.timeout, check=False)
        except FileNotFoundError as exc:
            raise PrinterError("CUPS is not installed on this computer",
                               f"no {self.command} command", printer=self.name) from exc
        except subprocess.TimeoutExpired as exc:
            raise PrinterError("the print service did not answer",
                               f"{self.command} took over {self.timeout:g} s",
                               printer=self.name) from exc
        if done.returncode != 0:
            raise _lp_error(done.stderr.decode("utf-8", "replace").strip(), where, self.name)


def _lp_error(message: str, where: str, name: str) -> PrinterError:
    said = message.lower()
    if "does not exist" in said or "unknown" in said or "no default destination" in said:
        return PrinterError(f"{where} is not set up on this computer", message, printer=name)
    if "not accepting" in said or "disabled" in said or "paused" in said:
        return PrinterError(OFFLINE, message, printer=name)
    if "unable to connect" in said or "scheduler" in said or "connection refused" in said:
        return PrinterError("the print service (CUPS) is not running", message, printer=name)
    return PrinterError(f"{where} refused the job", message or "no reason given", printer=name)


SystemPrinter = Callable[[str], PrinterBackend]


def backend_for(printer: str, *, width: str = "80mm",
                system: SystemPrinter = CupsBackend) -> PrinterBackend:
    """The backend a printer's name stands for (see the module docstring); ``system`` makes
    the one for a plain system printer name (the window passes its Qt backend)."""
    name = (printer or "").strip()
    if name.startswith("escpos:"):
        from app.printing.escpos_backend import EscPosBackend  # python-escpos only when used
        return EscPosBackend(name, width=width)
    if name.startswith("file:"):
        return FileBackend(name.removeprefix("file:"))
    if name.startswith("cups:"):
        return CupsBackend(name.removeprefix("cups:"))
    return system(name)

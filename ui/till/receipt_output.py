"""Getting a receipt out of the till: through the window's print queue and its worker
(:class:`ui.printing.worker.PrintWorker`) onto the receipt printer (``printer.receipt``: a
system printer through Qt print support, ESC/POS, CUPS), or into a folder when a receipt
directory is set (``printer.receipt_dir`` or ``TILLPOINT_RECEIPT_DIR``, which is then the
queue's ``file:DIR`` printer: headless tills, tests, "print to PDF").

Nothing here runs on the UI thread and nothing waits for a printer: the receipt is drawn and
queued on the database worker and printed on the I/O pool. A receipt that does not print stays
in the queue with its reason (the till's strip and Settings › Printers list it with a Retry);
the outcome comes back as ``printed(path or printer)`` or ``failed(message)`` and as the
controller's ``notice`` / ``error("receipt", …)``. A retried receipt that prints then says
``printed`` too.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtPrintSupport import QPrinter

from app.domain.errors import DomainError
from ui.printing.qt_backend import paint_pdf
from ui.printing.worker import PrintWorker, reason_of
from ui.tasks import TaskRunner
from ui.till.controller import TillController

log = logging.getLogger(__name__)

ENV_RECEIPT_DIR = "TILLPOINT_RECEIPT_DIR"
RECEIPT_DIR_SETTING = "printer.receipt_dir"
PRINTER_SETTING = "printer.receipt"
#: what each kind of receipt is called in what the till says
NAMES = {"receipt": "Receipt", "gift_receipt": "Gift receipt"}


def receipt_dir_from(settings: Any | None) -> Path | None:
    """The directory receipts are saved to instead of printed, if one is configured."""
    configured = os.environ.get(ENV_RECEIPT_DIR, "").strip()
    if not configured and settings is not None:
        try:
            configured = str(settings.get(RECEIPT_DIR_SETTING) or "").strip()
        except Exception:  # noqa: BLE001 - an older settings file without the key: none set
            configured = ""
    return Path(configured).expanduser() if configured else None


def receipt_printer(settings: Any | None, receipt_dir: Path | None = None) -> str:
    """The queue's printer for receipts: the receipt directory as ``file:DIR`` when one is
    set, else ``printer.receipt`` ("" is the system's default)."""
    directory = receipt_dir or receipt_dir_from(settings)
    if directory is not None:
        return f"file:{directory}"
    return str(settings.get(PRINTER_SETTING) or "").strip() if settings is not None else ""


def render_to_printer(pdf: bytes, printer: QPrinter) -> None:
    """Lay every page of ``pdf`` on ``printer`` at its resolution (any thread)."""
    paint_pdf(pdf, printer)


@dataclass(frozen=True, slots=True)
class _Sent:
    kind: str
    number: str
    copy: bool
    to_folder: bool  # saved as a file rather than printed: the till says "saved to"
    on_done: Callable[[str], None] | None

    @property
    def what(self) -> str:
        return f"{NAMES[self.kind]}{' copy' if self.copy else ''} {self.number}".strip()


class ReceiptOutput(QObject):
    """Print a sale's receipt without the UI waiting: ``print_receipt(order_id)`` (``gift``:
    the gift receipt, ``copy``: a reprint marked COPY). :meth:`attach_worker` hands it the
    window's print worker; standing alone (a page built without the window) it starts its own
    on the first receipt."""

    printed = Signal(str)  # where it went: a file path or a printer's name
    failed = Signal(str)

    def __init__(self, controller: TillController, runner: TaskRunner, settings: Any | None = None,
                 parent: QObject | None = None, *, receipt_dir: Path | None = None,
                 worker: PrintWorker | None = None) -> None:
        super().__init__(parent if parent is not None else controller)
        self._controller = controller
        self._runner = runner
        self._settings = settings if settings is not None else controller.session.settings
        self._receipt_dir = receipt_dir
        self._worker: PrintWorker | None = None
        self._sent: dict[str, _Sent] = {}  # job id → what it is, until it printed
        #: the last sale whose receipt went to the printer: (order id, number)
        self.last_receipt: tuple[str, str] | None = None
        if worker is not None:
            self.attach_worker(worker)

    @property
    def receipt_dir(self) -> Path | None:
        return self._receipt_dir or receipt_dir_from(self._settings)

    @property
    def printer(self) -> str:
        return receipt_printer(self._settings, self._receipt_dir)

    @property
    def worker(self) -> PrintWorker:
        if self._worker is None:  # a page standing alone: its own queue worker
            own = PrintWorker(self._runner, self._controller.session.store, self._settings, self)
            self.attach_worker(own)
            own.start()
        assert self._worker is not None
        return self._worker

    def attach_worker(self, worker: PrintWorker) -> None:
        """Print through ``worker`` (the window's one) from now on."""
        if self._worker is worker:
            return
        if self._worker is not None:
            self._worker.delivered.disconnect(self._delivered)
            self._worker.failed.disconnect(self._not_printed)
        self._worker = worker
        worker.delivered.connect(self._delivered)
        worker.failed.connect(self._not_printed)

    def print_receipt(self, order_id: str, name: str | None = None,
                      on_done: Callable[[str], None] | None = None, *, gift: bool = False,
                      copy: bool = False) -> None:
        """Draw the receipt and queue it (database worker); it prints on the I/O pool."""
        printer = self.printer
        sent = _Sent("gift_receipt" if gift else "receipt", name or "", copy,
                     printer.startswith("file:"), on_done)
        if not gift and not copy:
            self.last_receipt = (order_id, name or order_id)
        self.worker.submit_document(sent.kind, order_id, copy=copy, printer=printer, owner=self,
                                    on_queued=lambda job_id: self._queued(job_id, sent),
                                    on_refused=lambda error: self._refused(sent, error))

    def reprint_last(self) -> bool:
        """Print the last receipt again, marked COPY; False when there is none yet."""
        if self.last_receipt is None:
            return False
        order_id, number = self.last_receipt
        self.print_receipt(order_id, number, copy=True)
        return True

    # -- outcomes ----------------------------------------------------------------------------
    def _queued(self, job_id: str, sent: _Sent) -> None:
        self._sent[job_id] = sent

    def _delivered(self, job_id: str, where: str) -> None:
        sent = self._sent.pop(job_id, None)
        if sent is None:  # another document of the window's
            return
        verb = "saved to" if sent.to_folder else "sent to"
        self._controller.notice.emit(f"{NAMES[sent.kind]}{' copy' if sent.copy else ''} "
                                     f"{verb} {where}")
        self.printed.emit(where)
        if sent.on_done is not None:
            sent.on_done(where)

    def _not_printed(self, job_id: str, _title: str, reason: str) -> None:
        sent = self._sent.get(job_id)  # kept: a Retry that prints still says so
        if sent is None:
            return
        self._say_failed(f"{sent.what} not printed: {reason}. It is kept: Retry it once the "
                         "printer is ready")

    def _refused(self, sent: _Sent, error: BaseException) -> None:
        if not isinstance(error, DomainError):
            log.error("%s could not be drawn: %s", sent.what, error)
        self._say_failed(f"{sent.what} not printed: {reason_of(error)}")

    def _say_failed(self, message: str) -> None:
        self._controller.error.emit("receipt", message)
        self.failed.emit(message)

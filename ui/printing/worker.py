"""The window's print worker: documents go into the print queue (the store) and come out on
their printers, without the till ever waiting.

Every step is a task on the runner: the queue's reads and writes on the database worker, the
printing itself on the I/O pool, and the outcome back on the GUI thread as signals. Each printer
prints one job at a time, oldest first; printers print side by side. A job that fails stops its
printer's line (the rest wait, in order) and is reported with its reason in words; ``retry``
puts it back at its place and starts the line again, as does the next document sent there.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from app.domain.errors import DomainError
from app.printing.backends import PrinterBackend
from app.printing.documents import DocumentSettings, copy_drawer, draw, printer_for
from app.printing.queue import Job, PrintQueue
from db.engine import LocalStore
from ui.printing.qt_backend import window_backend
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

BackendFor = Callable[[str], PrinterBackend]
DEFAULT_PRINTER = "the default printer"


def where_printed(backend: PrinterBackend, printer: str) -> str:
    """Where a document went, as the cashier reads it: the file a folder printer wrote, the
    system printer's own name, or the printer as it was named."""
    path = getattr(backend, "last_path", None)
    if path:
        return str(path)
    return str(getattr(backend, "printer_name", "") or printer or DEFAULT_PRINTER)


def _for(owner: QObject | None, callback: Callable[..., None] | None) -> Callable[..., None]:
    """``callback``, skipped once ``owner`` is gone (a page closed while its job printed)."""
    def call(*args: Any) -> None:
        if callback is not None and (owner is None or isValid(owner)):
            callback(*args)
    return call


def reason_of(error: BaseException) -> str:
    """A failure as the cashier reads it."""
    if isinstance(error, DomainError):  # PrinterError, a malformed printer name …
        return str(error)
    if isinstance(error, OSError):
        return f"printing failed: {error.strerror or error}"
    return "printing failed; the error is in the log"


class PrintWorker(QObject):
    """Queue and print documents. Call :meth:`start` once when the window opens: it requeues
    the jobs a stopped till left half-printed and drains every printer with work waiting."""

    started = Signal(int)  # jobs recovered from an interrupted run
    queued = Signal(str, str)  # job id, title
    printed = Signal(str, str)  # job id, printer ("" is the system's default)
    delivered = Signal(str, str)  # job id, where it went (a file's path, a printer's name)
    failed = Signal(str, str, str)  # job id, title, reason in words
    changed = Signal()  # the set of failed jobs changed: panels refresh

    def __init__(self, runner: TaskRunner, store: LocalStore, settings: Any,
                 parent: QObject | None = None, *, backend_for: BackendFor | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._store = store
        self._settings = settings
        self._backend_for = backend_for or self._window_backend
        # opened without touching the store; start() recovers on the database worker, whose
        # one thread runs tasks in order, so documents sent before it is done wait behind it
        self._queue = PrintQueue(store, recover=False)
        self._busy: set[str] = set()  # printers with a job on its way
        self._again: set[str] = set()  # kicked while busy: look once more when the job is done

    @property
    def queue(self) -> PrintQueue:
        return self._queue

    def _window_backend(self, printer: str) -> PrinterBackend:
        return window_backend(printer, width=self._settings.get("receipt.width"))

    def _options(self) -> DocumentSettings:
        return DocumentSettings.from_settings(self._settings)

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        # a last outcome arriving while the window closes: whatever it would start waits in
        # the queue for the next start (an interrupted job prints again then)
        if self._runner.closed:
            log.info("print task %s not started: the window is closing", kwargs.get("label"))
            return
        self._runner.run(fn, *args, **kwargs)

    def _db(self, fn: Callable[..., Any], *args: Any, label: str,
            on_success: Callable[[Any], None] | None = None, **kwargs: Any) -> None:
        self._run(fn, *args, kind="db", label=label, owner=self, on_success=on_success,
                         on_failure=lambda error: self._trouble(label, error), **kwargs)

    def _trouble(self, label: str, error: BaseException) -> None:
        self.failed.emit("", label, reason_of(error))

    # -- starting --------------------------------------------------------------------------
    def start(self) -> None:
        def open_queue() -> tuple[int, list[str]]:
            recovered = self._queue.recover()  # what a stopped till left 'printing'
            self._queue.prune()
            return recovered, self._queue.printers_waiting()

        self._db(open_queue, label="print queue start", on_success=self._opened)

    def _opened(self, result: tuple[int, list[str]]) -> None:
        recovered, waiting = result
        self.started.emit(recovered)
        for printer in waiting:
            self.kick(printer)
        self.changed.emit()

    # -- sending documents -----------------------------------------------------------------
    def submit(self, printer: str, kind: str, ref: str, pdf: bytes, *, copy: bool = False,
               on_queued: Callable[[str], None] | None = None,
               owner: QObject | None = None) -> None:
        """Queue an already drawn PDF for ``printer``; ``on_queued(job_id)`` once it is in the
        queue (skipped if ``owner`` is gone), before it prints."""
        self._db(self._queue.enqueue, printer, kind, ref, pdf, copy, label="print queue add",
                 on_success=lambda job_id: self._added(job_id, printer,
                                                       _for(owner, on_queued)))

    def submit_document(self, kind: str, ref: str, *, copy: bool = False,
                        printer: str | None = None,
                        on_queued: Callable[[str], None] | None = None,
                        on_refused: Callable[[BaseException], None] | None = None,
                        owner: QObject | None = None) -> None:
        """Draw a document (``app.printing.documents``) and queue it on the printer chosen
        for its kind; ``copy`` marks a reprint. ``on_queued(job_id)`` once it is queued,
        ``on_refused(error)`` when it could not be drawn or queued (then it is reported
        there instead of through ``failed``); both skipped if ``owner`` is gone."""
        queue, options = self._queue, self._options()
        target = printer if printer is not None else printer_for(kind, self._settings)

        def draw_and_queue() -> str:
            with self._store.read() as session:
                pdf = draw(session, kind, ref, options, copy=copy)
            return queue.enqueue(target, kind, ref, pdf, copy)

        label = f"print {kind}"
        refused = (_for(owner, on_refused) if on_refused is not None
                   else lambda error: self._trouble(label, error))
        self._run(draw_and_queue, kind="db", label=label, owner=self,
                         on_success=lambda job_id: self._added(job_id, target,
                                                               _for(owner, on_queued)),
                         on_failure=refused)

    def reprint(self, job_id: str) -> None:
        """Print the document of an earlier job again, drawn anew and marked as a copy."""
        queue, draw_copy = self._queue, copy_drawer(self._options())

        def again() -> Job:
            return queue.get(queue.reprint(job_id, draw_copy))

        self._db(again, label="print reprint",
                 on_success=lambda job: self._added(job.id, job.printer))

    def _added(self, job_id: str, printer: str,
               on_queued: Callable[[str], None] | None = None) -> None:
        if on_queued is not None:  # before it can print: the caller knows its job by then
            on_queued(job_id)
        self._db(self._queue.get, job_id, label="print queue look",
                 on_success=lambda job: self.queued.emit(job.id, job.title))
        self.kick(printer)

    # -- the failed ones -------------------------------------------------------------------
    def retry(self, job_id: str) -> None:
        def retried(job: Job) -> None:
            self.changed.emit()
            self.kick(job.printer)

        self._db(self._queue.retry, job_id, label="print retry", on_success=retried)

    def discard(self, job_id: str) -> None:
        """Forget a job; the documents waiting behind it on its printer go on printing."""
        queue = self._queue

        def forget() -> str:
            printer = queue.get(job_id).printer
            queue.discard(job_id)
            return printer

        def forgotten(printer: str) -> None:
            self.changed.emit()
            self.kick(printer)

        self._db(forget, label="print discard", on_success=forgotten)

    def failed_jobs(self, on_done: Callable[[list[Job]], None], *,
                    owner: QObject | None = None) -> None:
        """The failed jobs, oldest first, to ``on_done`` (skipped if ``owner`` is gone)."""
        self._run(self._queue.jobs, kind="db", label="print failed list",
                         owner=owner or self, on_success=on_done,
                         on_failure=lambda error: self._trouble("print failed list", error),
                         status="failed")

    # -- a printer's line --------------------------------------------------------------------
    def kick(self, printer: str) -> None:
        """Print ``printer``'s queued jobs, oldest first, unless it is printing already."""
        if printer in self._busy:
            self._again.add(printer)
            return
        self._busy.add(printer)
        self._again.discard(printer)
        self._run(self._queue.take, printer, kind="db", label="print take", owner=self,
                         on_success=lambda job: self._took(printer, job),
                         on_failure=lambda error: self._stalled(printer, error))

    def _took(self, printer: str, job: Job | None) -> None:
        if job is None:
            self._busy.discard(printer)
            if printer in self._again:
                self.kick(printer)
            return

        def send() -> str:
            backend = self._backend_for(printer)
            backend.print_pdf(job.pdf, job.title)
            return where_printed(backend, printer)

        self._run(send, kind="io", label="print send", owner=self,
                         on_success=lambda where: self._sent(printer, job, where),
                         on_failure=lambda error: self._not_sent(printer, job, error))

    def _sent(self, printer: str, job: Job, where: str) -> None:
        def next_job(_none: None) -> None:
            self.printed.emit(job.id, printer)
            self.delivered.emit(job.id, where)
            self._busy.discard(printer)
            self.kick(printer)

        self._run(self._queue.done, job.id, kind="db", label="print done", owner=self,
                         on_success=next_job, on_failure=lambda e: self._stalled(printer, e))

    def _not_sent(self, printer: str, job: Job, error: BaseException) -> None:
        reason = reason_of(error)

        def reported(_none: None) -> None:
            self._busy.discard(printer)  # the line waits for a retry or the next document
            self._again.discard(printer)
            self.failed.emit(job.id, job.title, reason)
            self.changed.emit()

        self._run(self._queue.failed, job.id, reason, kind="db", label="print failed",
                         owner=self, on_success=reported,
                         on_failure=lambda e: self._stalled(printer, e))

    def _stalled(self, printer: str, error: BaseException) -> None:
        # the store itself failed (disk full, locked too long): the job is still in it
        self._busy.discard(printer)
        self._trouble(f"printer {printer or 'default'}", error)

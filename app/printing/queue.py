"""The print queue: documents waiting for a printer, kept in the local store (``print_jobs``)
so nothing queued is lost when the till restarts or crashes.

A job is ``queued`` → ``printing`` (taken by a worker) → ``done`` or ``failed`` (with the
reason in words; :meth:`PrintQueue.retry` queues it again). Each printer's jobs are taken
oldest first, one at a time, and a retried job keeps its place: receipts come out in the order
they were rung up. A job still ``printing`` when the program stopped was interrupted: it is
queued again when the window opens the queue (``recover``), so it prints again rather than
never — a crash mid-print can cost a duplicate, never a lost receipt.

The job keeps the PDF it was queued with, so a retry prints exactly that document. A reprint
draws the document again, marked as a copy, and queues it as a new job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, func, literal_column, select, update
from sqlalchemy.orm import Session, defer

from app.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from app.printing.backends import check_pdf
from app.printing.raster import pdf_title
from app.shipping import mark_printed
from db.base import utcnow
from db.engine import LocalStore
from db.models import PrintJob

log = logging.getLogger(__name__)

STATUSES = ("queued", "printing", "done", "failed")
MAX_REASON = 300
#: a job's document_ref: one record's id, or a batch of ids comma separated (the most a
#: document takes: 2,400 shelf labels of 36-character UUIDs, 88,799 characters)
MAX_DOCUMENT_REF = 100_000
#: done jobs are kept this long (their PDFs with them), then pruned when the window starts
KEEP_DONE = timedelta(days=30)
_FIFO = (PrintJob.created_at, literal_column("print_jobs.rowid"))

#: draws a document again for a reprint: (session, kind, document_ref) -> PDF marked as a copy
DrawCopy = Callable[[Session, str, str], bytes]


@dataclass(frozen=True, slots=True)
class Job:
    """A print job as plain data (workers and widgets never hold ORM rows)."""

    id: str
    printer: str
    kind: str
    document_ref: str
    copy: bool
    status: str
    attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    title: str
    pdf: bytes | None = None  # only on a job handed to a worker (``take``)


#: where a reportlab PDF's title is, read in SQL: a list of jobs never loads (or opens) a PDF
_TITLE_AT = func.substr(PrintJob.pdf, func.instr(PrintJob.pdf, b"/Title"), 700)
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


def _title_in(head: bytes | None) -> str:
    """The title string that ``head`` (the PDF from its ``/Title``) starts with: a PDF literal
    string, in PDFDocEncoding or UTF-16 with its BOM, as reportlab writes it; "" if none."""
    if not head or not head.startswith(b"/Title"):
        return ""
    rest = head[6:].lstrip()
    if not rest.startswith(b"("):
        return ""
    out, depth, i = bytearray(), 1, 1
    while i < len(rest):
        c = rest[i]
        if c == 0x5C and i + 1 < len(rest):  # backslash
            i += 1
            octal = rest[i:i + 3]
            digits = len(octal) - len(octal.lstrip(b"01234567"))
            if digits:
                out.append(int(octal[:digits], 8) & 0xFF)
                i += digits
                continue
            out.append(_ESCAPES.get(rest[i], rest[i]))
        elif c == 0x28:
            depth += 1
            out.append(c)
        elif c == 0x29:
            depth -= 1
            if not depth:
                break
            out.append(c)
        else:
            out.append(c)
        i += 1
    if out.startswith(b"\xfe\xff"):
        return out[2:].decode("utf-16-be", "replace").strip()
    return out.decode("latin-1").strip()


def _job(row: PrintJob, *, with_pdf: bool = False, title: str | None = None) -> Job:
    if title is None:  # a job taken with its PDF: pdfium reads a title the SQL cannot find
        at = row.pdf.find(b"/Title") if with_pdf else -1
        title = (_title_in(row.pdf[at:at + 700]) if at >= 0 else "") or (
            pdf_title(row.pdf) if with_pdf else "")
    title = title or f"{row.kind.replace('_', ' ')} {row.document_ref[:12]}"
    return Job(row.id, row.printer, row.kind, row.document_ref, row.copy, row.status,
               row.attempts, row.error, row.created_at, row.updated_at,
               f"{title} (copy)" if row.copy and "copy" not in title.lower() else title,
               row.pdf if with_pdf else None)


def _text(value: str, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("must not be empty", field=field)
    if len(value.strip()) > limit:
        raise InvalidInput(f"is longer than {limit} characters", field=field)
    return value.strip()


def _printer(printer: str) -> str:
    """A printer's name as the settings give it; "" is the system's default printer."""
    if not isinstance(printer, str):
        raise InvalidInput("must be a printer's name", field="printer")
    if len(printer.strip()) > 200:
        raise InvalidInput("is longer than 200 characters", field="printer")
    return printer.strip()


def _ship(session: Session, shipment_id: str, now: datetime) -> str | None:
    """Mark a printed label's shipment printed (its order shipped); None, or why it could not be
    (the order was cancelled meanwhile): the label did print, so the job is done either way.
    ``mark_printed`` is idempotent, so a copy of a label printed before ships nothing again."""
    try:
        with session.begin_nested():
            mark_printed(session, shipment_id, now)
    except DomainError as exc:
        log.warning("label %s printed but its order was not shipped: %s", shipment_id, exc)
        return f"printed, but the order was not shipped: {exc}"[:MAX_REASON]
    return None


class PrintQueue:
    """Print jobs in ``store``. Every method is one short transaction: call them from a worker
    (the window's database worker), never from the UI thread.

    ``recover`` (the window, at start-up) queues again the jobs a stopped program left
    ``printing``; a command-line print beside a running window passes False, so it does not
    requeue a job the window is printing at that moment.
    """

    def __init__(self, store: LocalStore, *, recover: bool = True) -> None:
        self.store = store
        #: how many interrupted jobs were queued again when this queue was opened
        self.recovered = self.recover() if recover else 0

    def recover(self) -> int:
        with self.store.write() as session:
            result = session.execute(
                update(PrintJob).where(PrintJob.status == "printing")
                .values(status="queued", updated_at=utcnow(),
                        error="interrupted: printing again"))
            return result.rowcount or 0

    # -- queueing --------------------------------------------------------------------------
    def enqueue(self, printer: str, kind: str, ref: str, pdf: bytes, copy: bool = False) -> str:
        """Queue ``pdf`` for ``printer``; returns the job's id."""
        with self.store.write() as session:
            return self._add(session, printer, kind, ref, pdf, copy, "queued").id

    def enqueue_taken(self, printer: str, kind: str, ref: str, pdf: bytes,
                      copy: bool = False) -> Job:
        """Queue ``pdf`` already taken (``printing``), in one transaction: the command line
        prints its own job, which a window's worker draining the same printer never sees
        queued, so never takes first. Finish it with :meth:`done` or :meth:`failed`."""
        with self.store.write() as session:
            return _job(self._add(session, printer, kind, ref, pdf, copy, "printing"),
                        with_pdf=True)

    def _add(self, session: Session, printer: str, kind: str, ref: str, pdf: bytes, copy: bool,
             status: str) -> PrintJob:
        job = PrintJob(printer=_printer(printer), kind=_text(kind, "kind", 20),
                       document_ref=_text(ref, "document_ref", MAX_DOCUMENT_REF),
                       copy=bool(copy),
                       pdf=self._pdf(pdf), status=status,
                       attempts=1 if status == "printing" else 0)
        session.add(job)
        session.flush()
        return job

    @staticmethod
    def _pdf(pdf: bytes) -> bytes:
        check_pdf(pdf)
        return bytes(pdf)

    def reprint(self, job_id: str, draw: DrawCopy, *, printer: str | None = None) -> str:
        """Draw the document of ``job_id`` again, marked as a copy, and queue it (on the same
        printer unless told otherwise); returns the new job's id."""
        with self.store.read() as session:
            original = self._row(session, job_id)
            kind, ref = original.kind, original.document_ref
            pdf = draw(session, kind, ref)
        return self.enqueue(printer or original.printer, kind, ref, pdf, copy=True)

    # -- a worker's side -------------------------------------------------------------------
    def take(self, printer: str, job_id: str | None = None) -> Job | None:
        """The printer's oldest queued job (or ``job_id``, if it is queued), now ``printing``,
        with its PDF; None when there is nothing to print. Taken inside one write transaction:
        two workers never take the same job."""
        with self.store.write() as session:
            query = select(PrintJob).where(PrintJob.printer == printer,
                                           PrintJob.status == "queued")
            if job_id is not None:
                query = query.where(PrintJob.id == job_id)
            row = session.scalars(query.order_by(*_FIFO).limit(1)).first()
            if row is None:
                return None
            row.status, row.attempts, row.updated_at = "printing", row.attempts + 1, utcnow()
            return _job(row, with_pdf=True)

    def done(self, job_id: str) -> None:
        """The job printed. A label's order is shipped in the same transaction, whoever printed
        it (the window's worker or the command line): a printed label is a parcel on its way."""
        with self.store.write() as session:
            row = self._printing(session, job_id)
            now = utcnow()
            row.status, row.error, row.updated_at = "done", None, now
            if row.kind == "label":
                row.error = _ship(session, row.document_ref, now)

    def failed(self, job_id: str, reason: str) -> None:
        """The job did not print; ``reason`` in words ("printer offline")."""
        words = " ".join(str(reason or "").split()) or "printing failed"
        self._finish(job_id, "failed", words[:MAX_REASON])

    def _finish(self, job_id: str, status: str, error: str | None) -> None:
        with self.store.write() as session:
            row = self._printing(session, job_id)
            row.status, row.error, row.updated_at = status, error, utcnow()

    def _printing(self, session: Session, job_id: str) -> PrintJob:
        row = self._row(session, job_id)
        if row.status != "printing":
            raise RuleViolation(f"job {job_id} is {row.status}, not printing", field="job")
        return row

    def retry(self, job_id: str) -> Job:
        """Queue a failed job again (it keeps its place in its printer's line)."""
        with self.store.write() as session:
            row = self._row(session, job_id)
            if row.status != "failed":
                raise RuleViolation(f"only a failed job can be retried; this one is {row.status}",
                                    field="job")
            row.status, row.updated_at = "queued", utcnow()
        return self.get(job_id)

    def retry_printer(self, printer: str) -> int:
        """Queue again every failed job of ``printer`` (after the paper was changed)."""
        with self.store.write() as session:
            result = session.execute(
                update(PrintJob).where(PrintJob.printer == printer, PrintJob.status == "failed")
                .values(status="queued", updated_at=utcnow()))
            return result.rowcount or 0

    def discard(self, job_id: str) -> None:
        """Forget a job that is queued or failed (one being printed cannot be called back)."""
        with self.store.write() as session:
            row = self._row(session, job_id)
            if row.status == "printing":
                raise RuleViolation("the job is being printed", field="job")
            session.delete(row)

    # -- looking -------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        return self._titled(select(PrintJob).where(PrintJob.id == job_id), job_id)[0]

    def jobs(self, *, printer: str | None = None, status: str | None = None,
             limit: int = 200) -> list[Job]:
        """Jobs oldest first, optionally of one printer and one status."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"{status!r} is not one of {', '.join(STATUSES)}", field="status")
        query = select(PrintJob)
        if printer is not None:
            query = query.where(PrintJob.printer == printer)
        if status is not None:
            query = query.where(PrintJob.status == status)
        return self._titled(query.order_by(*_FIFO).limit(limit))

    def _titled(self, query, missing: str | None = None) -> list[Job]:  # noqa: ANN001
        """Jobs with their titles read in SQL, their PDFs left in the store."""
        query = query.add_columns(_TITLE_AT).options(defer(PrintJob.pdf))
        with self.store.read() as session:
            jobs = [_job(row, title=_title_in(head)) for row, head in session.execute(query)]
        if missing is not None and not jobs:
            raise NotFound(f"no print job {missing}", field="job")
        return jobs

    def printers_waiting(self) -> list[str]:
        """Printers with queued jobs (a worker starting up drains each of them)."""
        with self.store.read() as session:
            return list(session.scalars(select(PrintJob.printer).where(PrintJob.status == "queued")
                                        .group_by(PrintJob.printer).order_by(PrintJob.printer)))

    def counts(self) -> dict[str, int]:
        with self.store.read() as session:
            rows = session.execute(select(PrintJob.status, func.count())
                                   .group_by(PrintJob.status)).all()
        return {status: 0 for status in STATUSES} | {status: n for status, n in rows}

    def prune(self, *, older_than: timedelta = KEEP_DONE) -> int:
        """Delete done jobs finished more than ``older_than`` ago; returns how many."""
        cutoff = utcnow() - older_than
        with self.store.write() as session:
            result = session.execute(delete(PrintJob).where(PrintJob.status == "done",
                                                            PrintJob.updated_at < cutoff))
            return result.rowcount or 0

    @staticmethod
    def _row(session: Session, job_id: str) -> PrintJob:
        row = session.get(PrintJob, job_id) if isinstance(job_id, str) else None
        if row is None:
            raise NotFound(f"no print job {job_id}", field="job")
        return row

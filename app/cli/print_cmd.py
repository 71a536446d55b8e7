"""``tillpoint print receipt|invoice|label ORDER (--out FILE.pdf | --printer NAME)``, and
``tillpoint print zreport [SHIFT]`` / ``tillpoint print stock-sheet [CATEGORY]``.

ORDER is a sale's number (``S01-R01-000042``) or id; for a receipt or an invoice it may also be
a refund's number, which draws the refund receipt or the credit note. An invoice is issued
first if the sale has none (issuing is idempotent: printing it again shows the same number).
A label prints the order's shipment, created first when the order has none (``--weight`` is
then required); a label sent to a printer moves the order to ``shipped``. Its ORDER is a sale
of this till sent home, or an order the server showed this till (an online order of the store,
or another register's sale to ship: ``S01-WEB-000042``), whose address comes from the server.

``--out`` saves the PDF (atomically; nothing is written when drawing fails); ``--printer``
(default: the printer chosen for the document in the settings) goes through the print queue, so
a job that fails is kept as failed, with its reason, for the window's Retry. Every option is
checked before the store is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config.paths import Paths
from app.config.settings import Settings
from app.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from app.domain.permissions import Permission
from db.base import utcnow
from db.engine import LocalStore
from db.models import Order, Refund

DOCUMENTS = ("receipt", "invoice", "label", "zreport", "stock-sheet")
#: documents whose every print is an original unless --copy says otherwise (a count sheet
#: printed again next week is a new sheet, not a reprint)
ALWAYS_ORIGINAL = ("stock_sheet",)
LABEL_OPTIONS = ("weight", "parcels", "service", "ship_to")
#: the services' field names an error may name, as the options they come from
OPTION_OF_FIELD = {"weight_grams": "weight", "buyer_name": "buyer",
                   "buyer_address": "buyer-address", "buyer_tax_number": "buyer-tax-number",
                   "staff_id": "staff", "ship_to": "ship-to"}


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    cmd = add("print", "draw a receipt, invoice, shipping label, Z-report or stock count sheet "
                       "as PDF, or print it", cmd_print)
    cmd.add_argument("document", choices=DOCUMENTS)
    cmd.add_argument("order", metavar="ORDER", nargs="?", default=None,
                     help="order number (or a refund's number for its receipt or credit "
                          "note); zreport: a shift's id (default: this till's latest shift); "
                          "stock-sheet: a category's id or name (default: every category)")
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="FILE.pdf", help="save the PDF to this file")
    where.add_argument("--printer", metavar="NAME",
                       help="print on this printer (a system printer, cups:NAME, "
                            "escpos:usb:VID:PID, escpos:net:HOST[:PORT], escpos:file:PATH or "
                            "file:DIR); default: the one set for the document")
    cmd.add_argument("--copy", action="store_true",
                     help="a reprint, marked as a copy (a receipt or invoice printed before is "
                          "one anyway)")
    cmd.add_argument("--gift", action="store_true", help="receipt: a gift receipt, no prices")
    cmd.add_argument("--width", choices=("80mm", "58mm"), help="receipt: the roll's width")
    cmd.add_argument("--paper", choices=("A4", "Letter"), help="invoice: the paper size")
    cmd.add_argument("--staff", metavar="EMAIL", help="invoice: who issues it")
    cmd.add_argument("--buyer", metavar="NAME",
                     help="invoice: made out to (default: the sale's customer)")
    cmd.add_argument("--buyer-address", metavar="TEXT", help="invoice: the buyer's address")
    cmd.add_argument("--buyer-tax-number", metavar="NUMBER", help="invoice: the buyer's tax number")
    cmd.add_argument("--weight", metavar="GRAMS", help="label: the parcel's weight in grams")
    cmd.add_argument("--parcels", metavar="N", help="label: how many parcels (default 1)")
    cmd.add_argument("--service", metavar="NAME", help="label: the carrier's service")
    cmd.add_argument("--ship-to", metavar="ADDRESS",
                     help="label: print this address instead of the order's (the name first; "
                          "lines separated by commas or newlines)")
    cmd.add_argument("--mark-shipped", action="store_true",
                     help="label: with --out, the order is shipped too (a printed label does "
                          "it by itself)")


@dataclass(frozen=True, slots=True)
class Resolved:
    kind: str  # a kind of app.printing.documents
    ref: str
    number: str  # what a person calls it: the order, refund, invoice number or tracking number
    shipment_id: str | None = None


def cmd_print(args: argparse.Namespace, paths: Paths) -> int:
    # here, not at the top: every other command builds this parser and needs none of it
    from app.printing.documents import DocumentSettings, draw, printer_for

    if args.order is None and args.document in ("receipt", "invoice", "label"):
        # a malformed command line, as argparse would say it (exit 2), not a refused document
        print(f"tillpoint print: error: {args.document} needs ORDER", file=sys.stderr)
        return 2
    out = _check_options(args)
    settings = Settings(paths.settings)
    for problem in settings.problems:
        print(f"tillpoint: warning: {problem}", file=sys.stderr)
    defaults = DocumentSettings.from_settings(settings)
    options = DocumentSettings(width=args.width or defaults.width, footer=defaults.footer,
                               paper=args.paper or defaults.paper)
    store = LocalStore.open(paths.store)
    try:
        try:
            doc = _resolve(store, args)
        except DomainError as exc:  # named as the command line names it, not as the store does
            exc.field = OPTION_OF_FIELD.get(exc.field or "", exc.field)
            raise
        copy = _is_copy(store, doc, asked=args.copy)
        with store.read() as session:
            pdf = draw(session, doc.kind, doc.ref, options, copy=copy)
        result = {"document": doc.kind, "number": doc.number, "copy": copy}
        if out is not None:
            _save(out, pdf)
            result |= {"out": str(out), "bytes": len(pdf)}
        else:
            printer = args.printer if args.printer is not None else printer_for(doc.kind, settings)
            job = _print_queued(store, printer, doc, pdf, options.width, copy=copy)
            if job is None:
                return 1
            result |= {"printer": printer or "(system default)", "job": job}
        if doc.shipment_id and args.mark_shipped:
            _shipped(store, doc.shipment_id)
        if doc.shipment_id and (out is None or args.mark_shipped):
            # a printed label's job ships its order itself (PrintQueue.done)
            result["shipped"] = _is_shipped(store, doc.shipment_id)
        print(json.dumps(result))
        return 0
    finally:
        store.close()


def _check_options(args: argparse.Namespace) -> Path | None:
    only = {"gift": "receipt", "staff": "invoice",
            "buyer": "invoice", "buyer_address": "invoice", "buyer_tax_number": "invoice",
            "mark_shipped": "label", **{name: "label" for name in LABEL_OPTIONS}}
    for option, document in only.items():
        if getattr(args, option) not in (None, False) and args.document != document:
            article = "an" if document[0] in "aeiou" else "a"
            raise InvalidInput(f"is only for {article} {document}", field=option.replace("_", "-"))
    for option, documents in (("width", ("receipt", "zreport")),
                              ("paper", ("invoice", "stock-sheet"))):
        if getattr(args, option) is not None and args.document not in documents:
            raise InvalidInput(f"is only for a {' or '.join(documents)}", field=option)
    if (args.buyer_address or args.buyer_tax_number) and not args.buyer:
        raise InvalidInput("goes with --buyer NAME", field="buyer")
    if args.mark_shipped and not args.out:
        raise InvalidInput("goes with --out (a printed label marks the order itself)",
                           field="mark-shipped")
    if args.copy and args.document == "label" and any(
            getattr(args, name) is not None for name in LABEL_OPTIONS):
        raise InvalidInput("is for a label printed before; a new shipment's label is its "
                           "first", field="copy")
    if args.printer is not None and not args.printer.strip():
        raise InvalidInput("must name a printer", field="printer")
    if args.out is None:
        return None
    out = Path(args.out).expanduser()
    if out.suffix.lower() != ".pdf":
        raise InvalidInput(f"{args.out!r} must name a .pdf file", field="out")
    if out.is_dir():
        raise InvalidInput(f"{args.out!r} is a directory", field="out")
    if not out.parent.is_dir():
        raise InvalidInput(f"the directory {str(out.parent)!r} does not exist", field="out")
    return out


def _save(out: Path, pdf: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        os.fchmod(handle, 0o644)  # a saved PDF is as readable as any file, not mkstemp's 0600
        with os.fdopen(handle, "wb") as fh:
            fh.write(pdf)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- which document ----------------------------------------------------------------------------
def _order(session: Session, ref: str) -> Order | None:
    return session.scalar(select(Order).where(Order.number == ref)) or session.get(Order, ref)


def _refund(session: Session, ref: str) -> Refund | None:
    return session.scalar(select(Refund).where(Refund.number == ref)) or session.get(Refund, ref)


def _resolve(store: LocalStore, args: argparse.Namespace) -> Resolved:
    ref = (args.order or "").strip()
    if args.document in ("zreport", "stock-sheet"):
        with store.read() as session:
            if args.document == "zreport":
                return _shift_report(session, ref)
            return _stock_sheet(session, ref)
    if not ref:
        raise InvalidInput("which sale? give its number", field="order")
    if args.document == "receipt":
        with store.read() as session:
            return _receipt(session, ref, gift=args.gift)
    if args.document == "invoice":
        with store.write() as session:  # issuing the invoice, if the sale has none yet
            return _invoice(session, ref, args)
    return _label(store, ref, args)


def _shift_report(session: Session, ref: str) -> Resolved:
    from app.sales.identity import this_register
    from db.models import Shift

    if ref:
        shift = session.get(Shift, ref)
        if shift is None:
            raise NotFound(f"no shift {ref}", field="order")
    else:
        _store, register = this_register(session)
        shift = session.scalar(select(Shift).where(Shift.register_id == register.id)
                               .order_by(Shift.opened_at.desc(), Shift.id.desc()).limit(1))
        if shift is None:
            raise NotFound("this till has had no shift yet", field="order")
    state = "Z-report" if shift.closed_at is not None else "X-report (shift still open)"
    return Resolved("shift_report", shift.id, f"{state} of the shift opened "
                    f"{shift.opened_at:%Y-%m-%d %H:%M}")


def _stock_sheet(session: Session, ref: str) -> Resolved:
    from db.models import Category

    if not ref or ref.lower() == "all":
        return Resolved("stock_sheet", "all", "stock count sheet (every category)")
    category = session.get(Category, ref) or session.scalar(
        select(Category).where(Category.name == ref))
    if category is None:
        raise NotFound(f"no category {ref}", field="order")
    return Resolved("stock_sheet", category.id, f"stock count sheet ({category.name})")


def _receipt(session: Session, ref: str, *, gift: bool) -> Resolved:
    order = _order(session, ref)
    if order is not None:
        return Resolved("gift_receipt" if gift else "receipt", order.id, order.number)
    refund = _refund(session, ref)
    if refund is None:
        raise NotFound(f"no sale or refund {ref}", field="order")
    if gift:
        raise InvalidInput("a refund has no gift receipt", field="gift")
    return Resolved("refund_receipt", refund.id, refund.number)


def _invoice(session: Session, ref: str, args: argparse.Namespace) -> Resolved:
    from app.cli.sale_cmd import staff_member
    from app.invoices import Buyer, issue_credit_note, issue_invoice

    order = _order(session, ref)
    refund = None if order is not None else _refund(session, ref)
    if order is None and refund is None:
        raise NotFound(f"no sale or refund {ref}", field="order")
    buyer = Buyer(args.buyer, args.buyer_address or "", args.buyer_tax_number or "") \
        if args.buyer is not None else None
    if order is not None:
        staff = staff_member(session, args.staff, Permission.SELL, ("cashier", "manager", "owner"))
        invoice = issue_invoice(session, order.id, staff_id=staff.id, now=utcnow(), buyer=buyer)
        return Resolved("invoice", invoice.id, invoice.number)
    staff = staff_member(session, args.staff, Permission.REFUND, ("manager", "owner", "cashier"))
    note = issue_credit_note(session, refund.id, staff_id=staff.id, now=utcnow(), buyer=buyer)
    return Resolved("credit_note", note.id, note.number)


def _label(store: LocalStore, ref: str, args: argparse.Namespace) -> Resolved:
    from app.shipping import HouseCarrier, create_shipment, latest_shipment
    from app.shipping.targets import find_to_ship

    weight = _whole(args.weight, "weight") if args.weight is not None else None
    parcels = _whole(args.parcels, "parcels") if args.parcels is not None else 1
    with store.write() as session:
        order = find_to_ship(session, ref)  # this till's sale, or an order the server showed it
        shipment = latest_shipment(session, order.id)
        given = [f"--{name.replace('_', '-')}" for name in LABEL_OPTIONS
                 if getattr(args, name) is not None]
        if shipment is not None and given:
            raise InvalidInput(f"order {order.number} has its shipment already "
                               f"({shipment.tracking_number}): leave out {', '.join(given)} "
                               "to print its label again", field=given[0].lstrip("-"))
        if shipment is None:
            if weight is None:
                raise InvalidInput(f"order {order.number} has no shipment yet: give the "
                                   "parcels' weight in grams to make one", field="weight")
            carrier = HouseCarrier()
            service = args.service.strip() if args.service else carrier.services()[0].code
            shipment = create_shipment(session, order.id, weight_grams=weight, parcels=parcels,
                                       service=service, carrier=carrier, ship_to=args.ship_to)
        return Resolved("label", shipment.id, shipment.tracking_number, shipment.id)


def _whole(text: str, field: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a whole number", field=field) from None
    if value < 1:
        raise InvalidInput("must be at least 1", field=field)
    return value


def _shipped(store: LocalStore, shipment_id: str) -> None:
    from app.shipping import mark_printed

    with store.write() as session:
        mark_printed(session, shipment_id, utcnow())


def _is_shipped(store: LocalStore, shipment_id: str) -> bool:
    from db.models import Shipment

    with store.read() as session:
        return session.get(Shipment, shipment_id).printed_at is not None


def _is_copy(store: LocalStore, doc: Resolved, *, asked: bool) -> bool:
    """A receipt or invoice printed before is printed again as a copy, asked or not: only one
    original goes out. A label is a copy only when asked, and only once it has been printed:
    printing a label for the first time ships its order, which a reprint must never do
    unnoticed, so a never-printed label asked as a copy is refused rather than printed as
    its original."""
    from db.models import PrintJob, Shipment

    with store.read() as session:
        printed = session.scalar(select(PrintJob.id).where(
            PrintJob.kind == doc.kind, PrintJob.document_ref == doc.ref,
            PrintJob.status == "done").limit(1)) is not None
        if doc.kind in ALWAYS_ORIGINAL:
            return asked
        if doc.shipment_id is None:
            return asked or printed
        if asked and not printed and session.get(Shipment, doc.shipment_id).printed_at is None:
            raise RuleViolation(f"the label {doc.number} was never printed: print it without "
                                "--copy (that ships the order)", field="copy")
        return asked


# -- printing ----------------------------------------------------------------------------------
def _print_queued(store: LocalStore, printer: str, doc: Resolved, pdf: bytes, width: str, *,
                  copy: bool) -> str | None:
    """Print through the queue; the job's id, or None (said on stderr) when it failed."""
    from app.printing.backends import PrinterError, backend_for
    from app.printing.queue import PrintQueue

    backend = backend_for(printer, width=width)  # a malformed printer name: nothing queued
    queue = PrintQueue(store, recover=False)  # a window beside us may be printing right now
    # queued already taken: a window's worker draining this printer never takes it first
    job = queue.enqueue_taken(printer, doc.kind, doc.ref, pdf, copy=copy)
    job_id = job.id
    try:
        backend.print_pdf(job.pdf, job.title)
    except PrinterError as exc:
        queue.failed(job_id, str(exc))
        print(f"tillpoint: {doc.number} not printed on {printer or 'the default printer'}: "
              f"{exc}; the job is kept in the print queue to retry", file=sys.stderr)
        return None
    except BaseException:
        queue.failed(job_id, "printing failed: the error is in the log")
        raise
    queue.done(job_id)
    note = queue.get(job_id).error  # a label printed for an order that can no longer ship
    if note:
        print(f"tillpoint: warning: {doc.number}: {note}", file=sys.stderr)
    return job_id

"""Every printable document by its kind and reference, as the print queue, a reprint and the
command line name it: one place that knows which renderer draws what, with which settings, and
on which printer it goes.

``document_ref`` is the id of the record a document is drawn from: the order (receipt, gift
receipt), the refund (refund receipt), the invoice or credit note, the shipment (label), the
shift (Z-report), a category or ``all`` (stock count sheet).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, RuleViolation

#: the setting naming the printer each kind of document goes to
PRINTER_SETTING = {
    "receipt": "printer.receipt", "gift_receipt": "printer.receipt",
    "refund_receipt": "printer.receipt", "shift_report": "printer.receipt",
    "invoice": "printer.invoice", "credit_note": "printer.invoice",
    "stock_sheet": "printer.invoice", "label": "printer.label",
    "pick_list": "printer.invoice",  # ref: the orders' ids, comma separated
    "shelf_labels": "printer.invoice",  # ref: the variants' ids, comma separated (A4 sheets)
}
KINDS = tuple(PRINTER_SETTING)


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    width: str = "80mm"  # receipt roll
    #: the receipt's foot: None is the shop's return policy as the settings ship it, ""
    #: deliberately nothing (a receipt without its return policy is the exception)
    footer: str | None = None
    paper: str = "A4"  # invoices, stock sheets

    @classmethod
    def from_settings(cls, settings: Any) -> "DocumentSettings":
        return cls(width=settings.get("receipt.width"), footer=settings.get("receipt.footer"),
                   paper=settings.get("invoice.paper"))


def printer_for(kind: str, settings: Any) -> str:
    """The printer chosen for ``kind`` ("" is the system's default printer)."""
    return str(settings.get(PRINTER_SETTING[check_kind(kind)]) or "").strip()


def check_kind(kind: str) -> str:
    if kind not in PRINTER_SETTING:
        raise InvalidInput(f"{kind!r} is not a document ({', '.join(KINDS)})", field="kind")
    return kind


def draw(session: Session, kind: str, ref: str, options: DocumentSettings, *,
         copy: bool = False) -> bytes:
    """The PDF of the document ``kind`` drawn from ``ref``; ``copy`` marks a reprint."""
    check_kind(kind)
    if kind in ("receipt", "gift_receipt"):
        from app.printing.receipt import render_receipt
        flags = {"gift": True} if kind == "gift_receipt" else {}
        return _call(render_receipt, kind, copy, session, ref, width=options.width,
                     footer=options.footer, **flags)
    if kind == "refund_receipt":
        from app.printing.receipt import render_refund_receipt
        return _call(render_refund_receipt, kind, copy, session, ref, width=options.width,
                     footer=options.footer)
    if kind in ("invoice", "credit_note"):
        from app.printing.invoice import render_invoice
        return _call(render_invoice, kind, copy, session, ref, paper=options.paper)
    if kind == "label":
        from app.printing.label import label_data, render_label
        return render_label(_call(label_data, kind, copy, session, ref))
    if kind == "shift_report":
        from app.printing.shift_report import render_shift_report
        return _call(render_shift_report, kind, copy, session, ref, width=options.width)
    if kind == "shelf_labels":
        from app.printing.shelf_labels import render_shelf_labels
        return _call(render_shelf_labels, kind, copy, session, ref, paper=options.paper)
    if kind == "pick_list":
        from app.printing.pick_list import render_pick_list
        return _call(render_pick_list, kind, copy, session, ref, paper=options.paper)
    from app.printing.stock_sheet import render_stock_sheet
    category = None if ref in ("", "all") else ref
    return _call(render_stock_sheet, kind, copy, session, paper=options.paper,
                 category_id=category)


def _call(render: Callable[..., Any], kind: str, copy: bool, *args: Any, **kwargs: Any) -> Any:
    if copy:
        if "copy" not in inspect.signature(render).parameters:
            raise _no_copy(kind)
        kwargs["copy"] = True
    return render(*args, **kwargs)


def _no_copy(kind: str) -> RuleViolation:
    # a reprint that does not say it is one must not leave the till
    return RuleViolation(f"a {kind.replace('_', ' ')} cannot be marked as a copy yet",
                         field="copy")


def copy_drawer(options: DocumentSettings) -> Callable[[Session, str, str], bytes]:
    """What :meth:`app.printing.queue.PrintQueue.reprint` draws a copy with."""
    return lambda session, kind, ref: draw(session, kind, ref, options, copy=True)

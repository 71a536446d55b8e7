"""Documents the till issues and prints: invoices and credit notes, shipments (for labels), and
the print queue that keeps jobs across a restart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (CheckConstraint, ForeignKey, Index, LargeBinary, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, utcnow


class Invoice(IdMixin, Base):
    """An invoice for a sale, or a credit note for one of its refunds (``kind``).

    Numbers are gap-free per register series ("INV-S01-R01-000001", "CN-S01-R01-000001"): each
    register keeps its own counters inside the issuing transaction, as it does for orders, so
    tills issue invoices offline without ever sharing (or skipping) a number. The buyer's
    details are copied at issue: an invoice never changes when the customer later does.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("register_id", "kind", "seq"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="invoice_kind"),
        CheckConstraint("(kind = 'invoice') = (refund_id IS NULL)", name="credit_note_refund"),
        # one invoice per sale, one credit note per refund
        Index("ix_invoices_one_per_sale", "order_id", unique=True,
              sqlite_where=text("kind = 'invoice'")),
        Index("ix_invoices_one_per_refund", "refund_id", unique=True,
              sqlite_where=text("kind = 'credit_note'")),
    )

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    register_id: Mapped[str] = mapped_column(ForeignKey("registers.id"))
    kind: Mapped[str] = mapped_column(String(12))  # invoice | credit_note
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"))
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"))  # a credit note's
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_address: Mapped[str] = mapped_column(String(500), default="")
    buyer_tax_number: Mapped[str] = mapped_column(String(64), default="")
    issued_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class Shipment(IdMixin, Base):
    """A parcel (or several) of an order sent to the customer: what its label shows. The order
    becomes ``shipped`` when the label is printed (``printed_at``).

    The order is either one rung up on this till (``order_id``) or one the server showed it
    (``remote_order_id``: an online order, or another register's sale to ship). The remote one
    has no foreign key: the server's view may drop an order (erased, say) while its label,
    already on a parcel, must stay."""

    __tablename__ = "shipments"
    __table_args__ = (CheckConstraint("parcels >= 1", name="parcels_positive"),
                      CheckConstraint("weight_grams > 0", name="weight_positive"),
                      CheckConstraint("(order_id IS NULL) <> (remote_order_id IS NULL)",
                                      name="one_order"))

    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), index=True)
    remote_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    order_number: Mapped[str] = mapped_column(String(40), default="")  # as the label prints it
    carrier: Mapped[str] = mapped_column(String(30))  # "house" (built in), or a carrier's name
    service: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(60), unique=True)
    weight_grams: Mapped[int]
    parcels: Mapped[int] = mapped_column(default=1)
    ship_to: Mapped[str] = mapped_column(String(700))  # name and address lines, as printed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_at: Mapped[datetime | None]
    #: the member of staff who booked the label (None: the command line): printing it later
    #: (the print worker, a reprint) moves the order in their name, so the server checks them
    booked_by: Mapped[str | None] = mapped_column(String(36))


class PrintJob(IdMixin, Base):
    """One document waiting for (or sent to) one printer. The PDF is kept with the job, so a
    job retried after a restart prints exactly what was queued."""

    __tablename__ = "print_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'printing', 'done', 'failed')",
                        name="print_job_status"),
        Index("ix_print_jobs_printer_status", "printer", "status"),
    )

    printer: Mapped[str] = mapped_column(String(200))  # a system printer, or escpos:<target>
    kind: Mapped[str] = mapped_column(String(20))  # receipt | gift_receipt | invoice | label …
    #: the order, invoice, shipment, shift; a pick list's orders or a sheet's shelf labels
    #: (ids comma separated, so Text: app.printing.queue.MAX_DOCUMENT_REF bounds it)
    document_ref: Mapped[str] = mapped_column(Text)
    copy: Mapped[bool] = mapped_column(default=False)  # a reprint, marked as a copy
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(300))  # in words: "printer offline"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

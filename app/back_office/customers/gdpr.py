"""GDPR at this till (``customers:gdpr``: owners and managers).

Export: everything THIS TILL holds about one customer (the record, their orders with lines,
payments, refunds, invoices and shipments, the orders the server showed it, store credit
movements, coupon use, and the journal's entries about them and their orders) as one JSON file,
written atomically (a temporary file beside it, synced, then renamed: a failed export leaves no
half file). The complete export is the server's (``GET /api/v1/customers/{id}/export``): it
also holds online accounts, carts and mails; the file says so.

Erase: the customer becomes a tombstone here at once ("erased customer", contact fields
cleared, ``erased``), their orders keep every figure but lose what names or reaches them (the
ship-to address, on the orders, their shipments and the orders the server showed), printed
documents kept in the print queue (receipts, labels, invoices of their orders) are dropped, and
``customer.erase`` is queued: the server erases its records too (orders, account, carts, mails)
and tells every till. Issued invoices keep the buyer's details as issued: tax law requires
them (GDPR Art. 17(3)(b)). The journal is append-only and never held their values (it names
fields only), so it stays as it is. Erasing twice is a no-op. Changes already queued for
the server (a new customer, a sale with their address) stay queued: they are pushed before the
erase, in order, and the server's erase then scrubs them with the rest; dropping them here would
leave such a sale on the server with nobody to erase it for.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, false, or_, select
from sqlalchemy.orm import Session

from app import audit, outbox
from app.back_office.customers.listing import remote_customer_id
from app.domain.errors import NotFound
from app.domain.permissions import Permission
from app.domain.sync_protocol import MutationKind
from app.staff import active_staff
from db.base import utcnow
from db.engine import LocalStore
from db.models import (AuditEntry, CouponRedemption, CreditMovement, Customer, Invoice, Order,
                       PrintJob, Refund, RemoteOrder, Shipment)

ERASED_NAME = "erased customer"
#: the fields of a server order's view that name or reach a person (as the server's erase)
ORDER_PERSONAL = ("email", "shipping_address", "billing_address", "customer_name", "phone")
SERVER_EXPORT = ("This file holds what this till knows. The complete export is the server's: "
                 "GET /api/v1/customers/{id}/export (online account, carts, mails included).")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _row(obj: Any, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns
            if c.key not in leave_out}


def _require(session: Session, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id) if isinstance(customer_id, str) else None
    if customer is None:
        raise NotFound(f"no customer {customer_id}", field="customer")
    return customer


def _orders(session: Session, customer_id: str) -> list[Order]:
    return list(session.scalars(select(Order).where(Order.customer_id == customer_id)
                                .order_by(Order.created_at, Order.id)))


def _remote(session: Session, customer_id: str) -> list[RemoteOrder]:
    return list(session.scalars(select(RemoteOrder).where(remote_customer_id() == customer_id)
                                .order_by(RemoteOrder.created_at, RemoteOrder.id)))


def _order_export(session: Session, order: Order) -> dict[str, Any]:
    refunds = session.scalars(select(Refund).where(Refund.order_id == order.id)
                              .order_by(Refund.created_at)).all()
    return {**_row(order), "lines": [_row(line) for line in order.lines],
            "payments": [_row(p) for p in order.payments],
            "refunds": [{**_row(r), "lines": [_row(x) for x in r.lines],
                         "payments": [_row(x) for x in r.payments]} for r in refunds],
            "invoices": [_row(i) for i in session.scalars(
                select(Invoice).where(Invoice.order_id == order.id))],
            "shipments": [_row(s) for s in session.scalars(
                select(Shipment).where(Shipment.order_id == order.id))]}


def gather(session: Session, *, staff_id: str, customer_id: str) -> dict[str, Any]:
    """The export's content (``customers:gdpr`` checked)."""
    active_staff(session, staff_id, Permission.CUSTOMERS_GDPR)
    customer = _require(session, customer_id)
    orders = _orders(session, customer_id)
    remote = _remote(session, customer_id)
    order_ids = [o.id for o in orders]
    refund_ids = list(session.scalars(select(Refund.id).where(Refund.order_id.in_(order_ids))))
    named = [customer_id, *order_ids, *refund_ids]
    return {
        "exported_at": utcnow().isoformat(), "note": SERVER_EXPORT.format(id=customer_id),
        "customer": _row(customer),
        "orders": [_order_export(session, o) for o in orders],
        "orders_from_server": [{"id": r.id, "number": r.number, "status": r.status,
                                "shipments": [_row(s) for s in session.scalars(
                                    select(Shipment).where(Shipment.remote_order_id == r.id))],
                                "order": json.loads(r.data)} for r in remote],
        "credit_movements": [_row(m) for m in session.scalars(
            select(CreditMovement).where(CreditMovement.customer_id == customer_id)
            .order_by(CreditMovement.at))],
        "coupon_redemptions": [_row(c) for c in session.scalars(
            select(CouponRedemption).where(CouponRedemption.customer_id == customer_id))],
        "audit": [{**_row(e, leave_out=("prev_hash", "hash")), "details": json.loads(e.details)}
                  for e in session.scalars(select(AuditEntry).where(
                      AuditEntry.entity_id.in_(named)).order_by(AuditEntry.seq))],
    }


def write_json_atomically(target: Path, data: dict[str, Any]) -> Path:
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def export_to_file(store: LocalStore, *, staff_id: str, customer_id: str, path: Path) -> Path:
    """Write the export to ``path`` and journal that it was made (by whom, never its content)."""
    with store.read() as session:
        data = gather(session, staff_id=staff_id, customer_id=customer_id)
    written = write_json_atomically(path, data)
    with store.write() as session:
        audit.append(session, action="customer.exported", entity="customer",
                     entity_id=customer_id, actor_id=staff_id,
                     details={"orders": len(data["orders"]),
                              "orders_from_server": len(data["orders_from_server"])})
    return written


def _scrub_remote(session: Session, remote: list[RemoteOrder]) -> None:
    for order in remote:
        data = json.loads(order.data)
        data.update({k: None for k in ORDER_PERSONAL if k in data})
        order.data = json.dumps(data, sort_keys=True, separators=(",", ":"))


def erase_customer(session: Session, *, staff_id: str, customer_id: str) -> Customer:
    """See the module docstring; all in the caller's one transaction."""
    staff = active_staff(session, staff_id, Permission.CUSTOMERS_GDPR)
    customer = _require(session, customer_id)
    if customer.erased:
        return customer
    orders = _orders(session, customer_id)
    remote = _remote(session, customer_id)
    order_ids = [o.id for o in orders]
    remote_ids = [r.id for r in remote]
    for order in orders:
        order.ship_to = ""
    _scrub_remote(session, remote)
    shipments = list(session.scalars(select(Shipment).where(or_(
        Shipment.order_id.in_(order_ids), Shipment.remote_order_id.in_(remote_ids)))))
    for shipment in shipments:
        shipment.ship_to = ""
    invoice_ids = session.scalars(select(Invoice.id).where(Invoice.order_id.in_(order_ids)))
    refund_ids = session.scalars(select(Refund.id).where(Refund.order_id.in_(order_ids)))
    documents = [*order_ids, *remote_ids, *(s.id for s in shipments), *invoice_ids, *refund_ids]
    # receipts name the customer, labels and invoices reach them: a job being printed right
    # now is the printer's, every other kept PDF goes (a reprint draws it again, scrubbed)
    # a pick list names several orders (their ids, comma separated): any of them is enough
    batches = [PrintJob.document_ref.like(f"%{ref}%") for ref in [*order_ids, *remote_ids]]
    dropped = session.execute(delete(PrintJob).where(
        or_(PrintJob.document_ref.in_(documents),
            and_(PrintJob.kind == "pick_list", or_(*batches)) if batches else false()),
        PrintJob.status != "printing")).rowcount
    now = utcnow()
    customer.name, customer.email, customer.phone = ERASED_NAME, None, None
    customer.address = customer.notes = customer.tax_number = ""
    customer.erased, customer.updated_at = True, now
    outbox.enqueue(session, kind=MutationKind.CUSTOMER_ERASE.value, entity_id=customer.id,
                   payload={"id": customer.id, "staff_id": staff.id})
    audit.append(session, action="customer.erased", entity="customer", entity_id=customer.id,
                 actor_id=staff.id, at=now,
                 details={"orders": len(orders), "orders_from_server": len(remote),
                          "shipments": len(shipments), "print_jobs_dropped": dropped})
    session.flush()
    return customer

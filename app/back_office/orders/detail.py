"""One order as the back office shows it: its lines, payments (a card by brand and last four
only), refunds, history and shipments, and what may be done with it next — from this till's
own records for its sales, from the server's view for the others.

History: for this till's sales the audit journal (every status change, refund and shipment
was audited in the transaction that made it); for an order the server showed the till, the
server's ``history`` with what this till did to it since (audited here, perhaps not pushed
yet) after it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.back_office.orders import invoicing
from app.domain.errors import NotFound
from app.domain.money import format_amount
from app.domain.orders import RETURNABLE, OrderStatus, allowed_moves
from app.domain.quantity import format_quantity
from app.printing.figures import local_time, refund_tender_label
from app.sales.identity import this_register
from app.till.format import tender_label
from db.models import AuditEntry, Customer, Order, Refund, RemoteOrder, Shipment, StaffUser

#: why an order the server showed this till is not refunded here: its money is not in this till
ONLINE_REFUND = ("an online order was paid on the web shop: it is refunded there (the "
                 "server's /orders/{id}/refund), never from a till, which holds none of its "
                 "money; the refund then comes down with the order")
OTHER_TILL_REFUND = ("this sale was rung up on another register: refund it there (its "
                     "payments and cash drawer are that till's)")


@dataclass(frozen=True, slots=True)
class LineView:
    line_no: int
    sku: str
    name: str
    quantity: str
    unit_price: str
    total: str
    refunded: str  # quantity returned so far ("" when none)
    returnable_milli: int  # what may still be returned (0 for an order not refunded here)


@dataclass(frozen=True, slots=True)
class PaymentView:
    label: str  # "Cash", "Card VISA •••• 4242"
    amount: str
    refunded: str


@dataclass(frozen=True, slots=True)
class RefundView:
    number: str
    at: str
    amount: str
    reason: str
    paid_back: str  # "Card VISA •••• 4242 1.00, Cash 2.00"


@dataclass(frozen=True, slots=True)
class HistoryView:
    at: str
    what: str  # "confirmed → processing", "refund S01-R01-RF000001"
    who: str
    reason: str


@dataclass(frozen=True, slots=True)
class ShipmentView:
    id: str
    carrier: str
    service: str
    tracking_number: str
    parcels: int
    printed: bool


@dataclass(frozen=True, slots=True)
class OrderDetail:
    id: str
    number: str
    remote: bool  # known from the server, not rung up here
    channel: str
    status: str
    version: int
    created: str
    customer: str
    currency: str
    total: str
    paid: str
    refunded: str
    ship_to: str  # "" for an order handed over at the counter
    tracking_number: str
    lines: tuple[LineView, ...]
    payments: tuple[PaymentView, ...]
    refunds: tuple[RefundView, ...]
    history: tuple[HistoryView, ...]
    shipments: tuple[ShipmentView, ...]
    moves: tuple[str, ...]  # the statuses it may be moved to by hand (never refunded)
    to_ship: bool  # an order that leaves with a label
    refund_refused: str  # why it cannot be refunded here, "" when it can
    invoice: str = ""  # the sale's invoice number, once issued
    invoice_refused: str = ""  # why it gets no invoice here ("" when it can)

    @property
    def can_refund(self) -> bool:
        return not self.refund_refused


def hand_moves(status: str) -> tuple[str, ...]:
    """The moves a person may make by hand: the state machine's, without ``refunded`` (a
    refund gets there by paying the money back)."""
    return tuple(m for m in allowed_moves(status) if m != OrderStatus.REFUNDED.value)


def load_detail(session: Session, order_id: str) -> OrderDetail:
    order = session.get(Order, order_id)
    if order is not None:
        return _local(session, order)
    remote = session.get(RemoteOrder, order_id)
    if remote is None:
        raise NotFound(f"no order {order_id}", field="order")
    return _remote(session, remote)


def _zone(session: Session) -> str:
    return this_register(session)[0].timezone


def _at(value: datetime | str | None, zone: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return local_time(value, zone)


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    ids.discard("")
    if not ids:
        return {}
    return dict(session.execute(select(StaffUser.id, StaffUser.name)
                                .where(StaffUser.id.in_(ids))).all())


def _journal(session: Session, order_id: str, zone: str) -> list[HistoryView]:
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "order", AuditEntry.entity_id == order_id)
        .order_by(AuditEntry.seq)).all()
    names = _names(session, {e.actor_id or "" for e in entries})
    out = []
    for entry in entries:
        details = json.loads(entry.details or "{}")
        if entry.action == "order.status_changed":
            what = f"{details.get('from')} → {details.get('to')}"
        elif entry.action == "sale.refunded":
            what = f"refund {details.get('refund')}"
        else:
            what = entry.action.replace("_", " ").replace(".", " ")
            if details.get("tracking_number"):
                what += f" {details['tracking_number']}"
        reason = str(details.get("reason") or "")
        out.append(HistoryView(_at(entry.at, zone), what,
                               names.get(entry.actor_id or "", entry.actor_id or ""), reason))
    return out


def _shipments(session: Session, order_id: str) -> tuple[ShipmentView, ...]:
    found = session.scalars(select(Shipment).where(
        or_(Shipment.order_id == order_id, Shipment.remote_order_id == order_id))
        .order_by(Shipment.created_at, Shipment.id))
    return tuple(ShipmentView(s.id, s.carrier, s.service, s.tracking_number, s.parcels,
                              s.printed_at is not None) for s in found)


def _local(session: Session, order: Order) -> OrderDetail:
    zone, cur = _zone(session), order.currency
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    refused = ""
    returnable_status = order.status in {s.value for s in RETURNABLE}
    if not returnable_status or order.refunded_total >= order.paid_total:
        refused = (f"order {order.number} is {order.status}: nothing to refund"
                   if order.status != OrderStatus.REFUNDED.value
                   else f"order {order.number} is refunded in full")
    returnable = not refused
    lines = tuple(LineView(
        line.line_no, line.sku, line.name, format_quantity(line.quantity_milli),
        format_amount(line.unit_price, cur), format_amount(line.total, cur),
        format_quantity(line.refunded_quantity_milli) if line.refunded_quantity_milli else "",
        line.quantity_milli - line.refunded_quantity_milli if returnable else 0)
        for line in order.lines)
    payments = tuple(PaymentView(tender_label(p.method, p.card_brand, p.card_last4),
                                 format_amount(p.amount, cur), format_amount(p.refunded, cur))
                     for p in order.payments)
    refunds = tuple(RefundView(
        r.number, _at(r.created_at, zone), format_amount(r.amount, cur), r.reason,
        ", ".join(f"{refund_tender_label(p, order.payments)} {format_amount(p.amount, cur)}"
                  + (" (card refund pending)" if p.status == "pending" else "")
                  for p in r.payments))
        for r in session.scalars(select(Refund).where(Refund.order_id == order.id)
                                 .order_by(Refund.created_at, Refund.number)))
    shipments = _shipments(session, order.id)
    tracking = next((s.tracking_number for s in reversed(shipments) if s.printed), "")
    return OrderDetail(
        order.id, order.number, False, order.channel, order.status, order.version,
        _at(order.created_at, zone), customer.name if customer else "", cur,
        format_amount(order.total, cur), format_amount(order.paid_total, cur),
        format_amount(order.refunded_total, cur),
        order.ship_to if order.fulfilment == "ship" else "", tracking, lines, payments,
        refunds, tuple(_journal(session, order.id, zone)), shipments,
        hand_moves(order.status), order.fulfilment == "ship", refused,
        invoice=invoicing.invoice_number(session, order.id))


def _view(remote: RemoteOrder) -> dict[str, Any]:
    try:
        view = json.loads(remote.data)
    except ValueError:
        return {}
    return view if isinstance(view, dict) else {}


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _remote(session: Session, remote: RemoteOrder) -> OrderDetail:
    zone, cur, view = _zone(session), remote.currency, _view(remote)
    lines = []
    for position, line in enumerate(x for x in view.get("lines") or [] if isinstance(x, dict)):
        refunded = _int(line.get("refunded_quantity_milli"))
        lines.append(LineView(
            _int(line.get("index")) or position + 1, _text(line.get("sku")),
            _text(line.get("name")), format_quantity(_int(line.get("quantity_milli"))),
            format_amount(_int(line.get("unit_price")), cur),
            format_amount(_int(line.get("total")), cur),
            format_quantity(refunded) if refunded else "", 0))
    payments = tuple(PaymentView(
        tender_label(_text(p.get("method")) or "card", _text(p.get("card_brand")) or None,
                     _text(p.get("card_last4")) or None)
        + (f" ({p['status']})" if _text(p.get("status")) not in ("", "succeeded", "captured")
           else ""),
        format_amount(_int(p.get("amount")), cur), format_amount(_int(p.get("refunded")), cur))
        for p in view.get("payments") or [] if isinstance(p, dict))
    history = [HistoryView(_at(_text(h.get("at")) or None, zone),
                           f"{h.get('from') or 'new'} → {h.get('to')}", _text(h.get("actor")),
                           _text(h.get("reason")))
               for h in view.get("history") or [] if isinstance(h, dict)]
    here = _journal(session, remote.id, zone)
    address = view.get("shipping_address")
    ship_to = ""
    if isinstance(address, dict):
        ship_to = "\n".join(_text(address.get(k)) for k in
                            ("name", "line1", "line2", "postcode", "city", "country")
                            if _text(address.get(k)))
    customer = (_text(address.get("name")) if isinstance(address, dict) else "") \
        or _text(view.get("email"))
    refused = ONLINE_REFUND if remote.channel == "online" else OTHER_TILL_REFUND
    return OrderDetail(
        remote.id, remote.number, True, remote.channel, remote.status, remote.version,
        _at(remote.created_at, zone), customer, cur, format_amount(remote.total, cur),
        format_amount(_int(view.get("paid_total")), cur),
        format_amount(_int(view.get("refunded_total")), cur), ship_to,
        _text(view.get("tracking_number")), tuple(lines), payments, (),
        tuple(history + [HistoryView(h.at, h.what, h.who, (h.reason + " (this till)").strip())
                         for h in here]),
        _shipments(session, remote.id), hand_moves(remote.status),
        isinstance(address, dict), refused,
        invoice_refused=invoicing.invoice_refused(session, remote.id))

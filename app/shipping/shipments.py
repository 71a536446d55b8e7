"""Shipments of orders sent to the customer, from the carrier's tracking number to the printed
label that moves the order to ``shipped``.

An order to ship (``orders.fulfilment == "ship"``: a till sale sent home) is paid and waits in
``processing``; an order the server showed this till (an online order, ``confirmed`` or
``processing``, or another register's sale to ship) is shipped the same way (see ``targets``). ``create_shipment`` books its parcels with a carrier and
keeps what the label shows; nothing is synced yet, because nothing has left the shop.
``mark_printed`` is the moment the parcel is labelled: the order becomes ``shipped`` (the state
machine of ``app.domain.orders``), once, and the server learns it with the tracking number
(``order.shipped``, or ``order.status`` for a remote order). An order has at most one label waiting to be printed: making another with
other figures means cancelling it first, so a queued print job never prints a parcel that no
longer exists; a cancelled label's tracking number is never given to another shipment.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from app import audit, outbox
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.orders import OrderStatus, check_transition
from app.domain.sync_protocol import MutationKind
from app.sales.identity import this_register
from app.shipping.address import address_lines, sender_lines
from app.shipping.carriers import Carrier, Parcel, Service
from app.shipping.targets import (SHIPPABLE_REMOTE, ToShip, check_remote_shippable,
                                  find_to_ship, remote_ship_to, remote_view)
from db.base import new_id, utcnow
from db.models import AuditEntry, Order, OutboxEntry, RemoteOrder, Shipment, Store

MAX_PARCELS = 20
SHIP_TO_MAX = 700  # shipments.ship_to


def _whole(value: object, field: str, low: int, high: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"must be a whole number of {what}", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"must be between {low} and {high} {what}", field=field)
    return value


def order_to_ship(session: Session, order_ref: str) -> ToShip:
    """The order ``order_ref`` (id or number, this till's or the server's), refused unless it
    waits to be shipped."""
    target = find_to_ship(session, order_ref)
    if target.remote:
        check_remote_shippable(session.get(RemoteOrder, target.id))
        if _shipped_here(session, target):
            raise RuleViolation(f"order {target.number} is shipped already (its label is "
                                "printed): reprint its label instead", field="order")
        return target
    order = session.get(Order, target.id)
    if order.fulfilment != "ship":
        raise RuleViolation(f"order {order.number} was handed over at the counter: it has "
                            "nothing to ship", field="order")
    if order.status == OrderStatus.SHIPPED.value:
        raise RuleViolation(f"order {order.number} is shipped already: reprint its label "
                            "instead", field="order")
    if order.status != OrderStatus.PROCESSING.value:
        raise RuleViolation(f"order {order.number} is {order.status}: it cannot be shipped",
                            field="order")
    return target


def _of(target: ToShip) -> ColumnElement[bool]:
    return Shipment.remote_order_id == target.id if target.remote \
        else Shipment.order_id == target.id


def _shipped_here(session: Session, target: ToShip) -> bool:
    """A remote order's label printed here: its status may not say so yet (the server's view,
    pulled before our push landed, can still show it ``processing``)."""
    return session.scalar(select(Shipment.id).where(_of(target), Shipment.printed_at.is_not(None))
                          .limit(1)) is not None


def waiting_shipment(session: Session, order_ref: str | ToShip) -> Shipment | None:
    target = order_ref if isinstance(order_ref, ToShip) else find_to_ship(session, order_ref)
    return session.scalar(select(Shipment).where(_of(target), Shipment.printed_at.is_(None)))


def latest_shipment(session: Session, order_ref: str) -> Shipment | None:
    """The order's newest shipment (printed or not): what ``print label ORDER`` prints."""
    target = find_to_ship(session, order_ref)
    return session.scalar(select(Shipment).where(_of(target))
                          .order_by(Shipment.created_at.desc(), Shipment.id.desc()).limit(1))


def create_shipment(session: Session, order_id: str, *, weight_grams: int, parcels: int,
                    service: str | Service, carrier: Carrier, staff_id: str | None = None,
                    ship_to: str | None = None, now: datetime | None = None) -> Shipment:
    """Book the order's parcels with ``carrier`` and keep what the label shows. Everything is
    checked before the carrier is asked; the same request again returns the label already
    waiting (a retried click), other figures are refused until it is cancelled. ``ship_to``
    prints another address than the order's (a correction the customer phoned in)."""
    order = order_to_ship(session, order_id)
    parcels = _whole(parcels, "parcels", 1, MAX_PARCELS, "parcels")
    offered = {s.code: s for s in carrier.services()}
    code = service.code if isinstance(service, Service) else service
    chosen = offered.get(code.strip().lower()) if isinstance(code, str) else None
    if chosen is None:
        raise InvalidInput(f"{service!r} is not a service of {carrier.name} "
                           f"({', '.join(offered)})", field="service")
    weight_grams = _whole(weight_grams, "weight_grams", parcels,
                          chosen.max_parcel_grams * parcels, "grams")
    if ship_to is not None:
        lines = address_lines(ship_to, field="ship_to")
    elif order.remote:
        lines = remote_ship_to(session.get(RemoteOrder, order.id))
    else:
        lines = address_lines(session.get(Order, order.id).ship_to, field="ship_to")
    if len("\n".join(lines)) > SHIP_TO_MAX:
        raise InvalidInput(f"is {len(chr(10).join(lines))} characters long; a label keeps "
                           f"at most {SHIP_TO_MAX}: give a shorter address to print",
                           field="ship_to")
    store = _store_of(session, order)
    ship_from = sender_lines(store.name, store.address)
    _check_fits(lines, ship_from)
    waiting = waiting_shipment(session, order)
    if waiting is not None:
        if (waiting.carrier, waiting.service, waiting.weight_grams, waiting.parcels) == \
                (carrier.name, chosen.code, weight_grams, parcels):
            return waiting
        raise RuleViolation(f"order {order.number} already has a label waiting to be printed "
                            f"(tracking {waiting.tracking_number}): print it, or cancel it "
                            "before making another", field="order")
    shipper = this_register(session)[1].code if order.remote else ""
    tracking = carrier.create(Parcel(order.number, _shipments_made(session, order.id) + 1,
                                     chosen.code, weight_grams, parcels, lines, ship_from,
                                     shipper=shipper))
    now = now or utcnow()
    shipment = Shipment(id=new_id(), **order.where, order_number=order.number,
                        carrier=carrier.name[:30], service=chosen.code,
                        tracking_number=tracking.number, weight_grams=weight_grams,
                        parcels=parcels, ship_to="\n".join(lines), created_at=now,
                        booked_by=staff_id)
    session.add(shipment)
    audit.append(session, action="shipment.created", entity="order", entity_id=order.id,
                 actor_id=staff_id, details={"number": order.number, "carrier": carrier.name,
                                             "service": chosen.code, "parcels": parcels,
                                             "weight_grams": weight_grams,
                                             "tracking_number": tracking.number}, at=now)
    session.flush()
    return shipment


def _shipments_made(session: Session, order_id: str) -> int:
    """How many shipments the order has ever had, cancelled ones included: the high-water mark
    of its shipment numbers. A cancelled label may already be stuck on a parcel (printed, its
    job never reported back), so its number is never given to another one. The audit journal
    is append-only and written in the same transaction as each shipment, so it counts every
    shipment ever committed and none rolled back (whose label was never printed)."""
    created = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "shipment.created", AuditEntry.entity == "order",
        AuditEntry.entity_id == order_id)) or 0
    kept = session.scalar(select(func.count()).select_from(Shipment).where(
        (Shipment.order_id == order_id) | (Shipment.remote_order_id == order_id))) or 0
    return max(created, kept)


def _store_of(session: Session, order: ToShip) -> Store:
    """The shop the parcel leaves from: a remote order is one of this till's store (the store
    feed brings no other)."""
    if order.remote:
        return this_register(session)[0]
    return session.get(Store, session.get(Order, order.id).store_id)


def _check_fits(ship_to: tuple[str, ...], ship_from: tuple[str, ...]) -> None:
    from app.printing.label import check_addresses  # reportlab only when labels are made

    check_addresses(ship_to, ship_from)


def _shipment(session: Session, shipment_id: str) -> Shipment:
    shipment = session.get(Shipment, shipment_id) if isinstance(shipment_id, str) else None
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id}", field="shipment")
    return shipment


def cancel_shipment(session: Session, shipment_id: str, *, staff_id: str | None = None,
                    now: datetime | None = None) -> None:
    """Drop a label that was never printed (nothing left the shop, nothing was synced)."""
    shipment = _shipment(session, shipment_id)
    if shipment.printed_at is not None:
        raise RuleViolation(f"the label {shipment.tracking_number} is printed: the parcel is "
                            "on its way", field="shipment")
    audit.append(session, action="shipment.cancelled", entity="order",
                 entity_id=shipment.order_id or shipment.remote_order_id, actor_id=staff_id,
                 details={"number": shipment.order_number,
                          "tracking_number": shipment.tracking_number}, at=now or utcnow())
    session.delete(shipment)
    session.flush()


def mark_printed(session: Session, shipment_id: str, now: datetime | None = None, *,
                 staff_id: str | None = None) -> Shipment:
    """The label is printed: the order becomes ``shipped`` and the server is told, once (a
    reprint finds it printed and changes nothing). Printed by the print worker, nobody is
    named: the order moves in the name of whoever booked the label."""
    shipment = _shipment(session, shipment_id)
    staff_id = staff_id or shipment.booked_by
    if shipment.remote_order_id is not None:
        return _ship_remote(session, shipment, now or utcnow(), staff_id)
    if shipment.printed_at is not None:
        return shipment
    order = session.get(Order, shipment.order_id)
    target = check_transition(order.status, OrderStatus.SHIPPED)
    now = now or utcnow()
    previous = order.status
    shipment.printed_at = now
    order.status = target.value
    order.version += 1
    order.updated_at = now
    outbox.enqueue(session, kind=MutationKind.ORDER_SHIPPED.value, entity_id=order.id, payload={
        "order_id": order.id, "number": order.number, "from": previous,
        "version": order.version, "shipment_id": shipment.id, "carrier": shipment.carrier,
        "service": shipment.service, "tracking_number": shipment.tracking_number,
        "parcels": shipment.parcels, "weight_grams": shipment.weight_grams,
        "shipped_at": now.isoformat()})
    audit.append(session, action="order.status_changed", entity="order", entity_id=order.id,
                 actor_id=staff_id, details={"number": order.number, "from": previous,
                                             "to": target.value,
                                             "tracking_number": shipment.tracking_number}, at=now)
    session.flush()
    return shipment


def _status_change_queued(session: Session, order_id: str) -> bool:
    return session.scalar(select(OutboxEntry.seq).where(
        OutboxEntry.kind == MutationKind.ORDER_STATUS.value, OutboxEntry.entity_id == order_id)
        .limit(1)) is not None


def _ship_remote(session: Session, shipment: Shipment, now: datetime,
                 staff_id: str | None) -> Shipment:
    """A remote order's label is printed: the till's copy of the order goes to ``shipped``
    (through ``processing`` if it was only ``confirmed``), each step an ``order.status`` based
    on the server's version, the last one with the tracking number. If the server changed the
    order meanwhile (cancelled online, say), the push comes back a conflict and the till takes
    the server's view, with a notice for the staff."""
    remote = session.get(RemoteOrder, shipment.remote_order_id)
    if shipment.printed_at is not None:
        # A reprint ships nothing again, unless the server did not keep the shipping (it had
        # changed the order meanwhile and the till now shows its view): the parcel is labelled,
        # so printing the label again asks once more.
        if remote is None or remote.status not in SHIPPABLE_REMOTE \
                or _status_change_queued(session, remote.id):
            return shipment
    elif remote is None:
        raise NotFound(f"order {shipment.order_number} is no longer on this till: it was "
                       "removed on the server", field="order")
    else:
        check_remote_shippable(remote)
        shipment.printed_at = now
    steps = [OrderStatus.PROCESSING, OrderStatus.SHIPPED] \
        if remote.status == OrderStatus.CONFIRMED.value else [OrderStatus.SHIPPED]
    for step in steps:
        shipped = step is OrderStatus.SHIPPED
        step_remote(session, remote, step, staff_id=staff_id, now=now,
                    reason=f"label {shipment.tracking_number} printed" if shipped
                    else "picked to ship",
                    extra={"shipment_id": shipment.id, "carrier": shipment.carrier,
                           "service": shipment.service,
                           "tracking_number": shipment.tracking_number,
                           "parcels": shipment.parcels, "weight_grams": shipment.weight_grams,
                           "shipped_at": now.isoformat()} if shipped else None,
                    noted={"tracking_number": shipment.tracking_number})
    remote.data = json.dumps(remote_view(remote) | {"tracking_number": shipment.tracking_number},
                             sort_keys=True, separators=(",", ":"))
    session.flush()
    return shipment


def step_remote(session: Session, remote: RemoteOrder, step: OrderStatus, *, reason: str,
                staff_id: str | None, now: datetime, extra: dict | None = None,
                noted: dict | None = None) -> None:
    """Move the till's copy of an order the server showed it one step along the state machine
    (``InvalidTransition`` otherwise) and ask the server to do the same: an ``order.status``
    whose ``version`` is the till's copy's after the step, so the server applies it only if
    its order is still the one the till saw. The acting ``staff_id`` (when someone acts) goes
    with it, so the server checks their ``orders:update`` again instead of trusting the
    device. ``extra`` goes into the payload, ``noted`` into the audit entry."""
    previous = remote.status
    target = check_transition(previous, step)
    remote.status, remote.version = target.value, remote.version + 1
    payload = {"order_id": remote.id, "number": remote.number, "from": previous,
               "to": target.value, "version": remote.version, "reason": reason[:200]}
    if staff_id is not None:
        payload["staff_id"] = staff_id
    outbox.enqueue(session, kind=MutationKind.ORDER_STATUS.value, entity_id=remote.id,
                   payload=payload | (extra or {}))
    audit.append(session, action="order.status_changed", entity="order",
                 entity_id=remote.id, actor_id=staff_id,
                 details={"number": remote.number, "from": previous, "to": target.value,
                          **(noted or {})}, at=now)
    remote.data = json.dumps(remote_view(remote) | {"status": remote.status,
                                                    "version": remote.version},
                             sort_keys=True, separators=(",", ":"))

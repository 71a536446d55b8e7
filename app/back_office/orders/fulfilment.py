"""Fulfilment of orders that leave with a parcel: pick (a pick list of what to take off the
shelves for several orders at once), pack (``confirmed`` → ``processing``), label (a shipment
booked with the carrier; its printed label ships the order — ``app.shipping``) and, for a
parcel that left without this till's label, mark it shipped by hand.

Which orders: online orders the server showed this till, and other registers' or this till's
sales to ship, once they are paid (``confirmed``) or being picked (``processing``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.back_office.orders.status import change_order_status
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.orders import OrderStatus
from app.domain.permissions import Permission
from app.shipping import HouseCarrier, create_shipment
from app.shipping.carriers import Carrier
from app.shipping.targets import SHIPPABLE_REMOTE
from app.staff import active_staff
from db.models import Barcode, Order, RemoteOrder

MAX_PICK_ORDERS = 200


@dataclass(frozen=True, slots=True)
class PickRow:
    name: str
    sku: str
    barcode: str  # the variant's first barcode, "" when it has none
    quantity_milli: int
    orders: tuple[str, ...]  # the numbers of the orders it goes into


@dataclass(frozen=True, slots=True)
class PickOrder:
    number: str
    ship_to: str  # the name it goes to


@dataclass(frozen=True, slots=True)
class PickList:
    orders: tuple[PickOrder, ...]
    rows: tuple[PickRow, ...]


def _view(remote: RemoteOrder) -> dict:
    try:
        view = json.loads(remote.data)
    except ValueError:
        return {}
    return view if isinstance(view, dict) else {}


PickLine = tuple[str, str, str, int]  # variant id, SKU, name, quantity in thousandths


def _lines_to_pick(session: Session, order_id: str) -> tuple[PickOrder, list[PickLine]]:
    """The order's number and name, and its lines as (variant_id, sku, name, quantity)."""
    order = session.get(Order, order_id)
    if order is not None:
        if order.fulfilment != "ship":
            raise RuleViolation(f"order {order.number} was handed over at the counter: "
                                "nothing to pick", field="orders")
        if order.status != OrderStatus.PROCESSING.value:
            raise RuleViolation(f"order {order.number} is {order.status}: nothing to pick",
                                field="orders")
        name = order.ship_to.splitlines()[0] if order.ship_to else ""
        return PickOrder(order.number, name), [
            (line.variant_id, line.sku, line.name,
             line.quantity_milli - line.refunded_quantity_milli) for line in order.lines]
    remote = session.get(RemoteOrder, order_id)
    if remote is None:
        raise NotFound(f"no order {order_id}", field="orders")
    if remote.status not in SHIPPABLE_REMOTE:
        raise RuleViolation(f"order {remote.number} is {remote.status}: nothing to pick "
                            "(only paid orders not shipped yet are picked)", field="orders")
    view = _view(remote)
    address = view.get("shipping_address")
    if not isinstance(address, dict):
        raise RuleViolation(f"order {remote.number} has no shipping address: it is not an "
                            "order to ship", field="orders")
    lines = []
    for line in view.get("lines") or []:
        if not isinstance(line, dict):
            continue
        quantity = line.get("quantity_milli") or 0
        refunded = line.get("refunded_quantity_milli") or 0
        lines.append((str(line.get("variant_id") or ""), str(line.get("sku") or ""),
                      str(line.get("name") or ""), int(quantity) - int(refunded)))
    return PickOrder(remote.number, str(address.get("name") or "")), lines


def pick_list(session: Session, order_ids: list[str]) -> PickList:
    """What to take off the shelves for ``order_ids``: one row per item (the same item of
    several orders added up, each order named), by SKU. Refused, naming the order, when one of
    them is not waiting to be shipped."""
    ids = list(dict.fromkeys(i for i in order_ids if isinstance(i, str) and i.strip()))
    if not ids:
        raise InvalidInput("choose the orders to pick", field="orders")
    if len(ids) > MAX_PICK_ORDERS:
        raise InvalidInput(f"at most {MAX_PICK_ORDERS} orders on one pick list", field="orders")
    orders: list[PickOrder] = []
    quantity: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[tuple[str, str], str] = {}
    numbers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for order_id in ids:
        head, lines = _lines_to_pick(session, order_id)
        orders.append(head)
        for variant_id, sku, name, milli in lines:
            if milli <= 0:
                continue  # returned already
            key = (variant_id, sku)
            quantity[key] += milli
            names.setdefault(key, name)
            if head.number not in numbers[key]:
                numbers[key].append(head.number)
    variant_ids = {v for v, _ in quantity if v}
    codes: dict[str, str] = {}
    if variant_ids:
        for variant_id, code in session.execute(
                select(Barcode.variant_id, Barcode.code)
                .where(Barcode.variant_id.in_(variant_ids)).order_by(Barcode.code)):
            codes.setdefault(variant_id, code)
    rows = tuple(PickRow(names[key], key[1], codes.get(key[0], ""), quantity[key],
                         tuple(numbers[key]))
                 for key in sorted(quantity, key=lambda k: (k[1], names[k].casefold())))
    return PickList(tuple(orders), rows)


def pack(session: Session, *, order_id: str, staff_id: str, now: datetime | None = None) -> str:
    """The order is being picked and packed: ``confirmed`` → ``processing`` (an order already
    in ``processing`` is refused: it is packed)."""
    order = session.get(Order, order_id)
    status = order.status if order is not None else None
    if order is None:
        remote = session.get(RemoteOrder, order_id)
        status = remote.status if remote is not None else None
    if status == OrderStatus.PROCESSING.value:
        raise RuleViolation("this order is being packed already: print its label",
                            field="status")
    if status != OrderStatus.CONFIRMED.value and status is not None:
        raise RuleViolation(f"an order that is {status} is not packed (only confirmed, paid "
                            "orders are)", field="status")
    return change_order_status(session, order_id=order_id, target=OrderStatus.PROCESSING.value,
                               staff_id=staff_id, reason="packed", now=now)


def book_label(session: Session, *, order_id: str, staff_id: str, weight_grams: int,
               parcels: int = 1, service: str | None = None, carrier: Carrier | None = None,
               now: datetime | None = None) -> str:
    """Book the order's parcels with the carrier (the built-in one unless another is given):
    the id of the shipment whose label is then printed (``label`` document). The same figures
    again give the label already waiting."""
    staff = active_staff(session, staff_id, Permission.ORDERS_UPDATE)
    carrier = carrier or HouseCarrier()
    chosen = service or carrier.services()[0].code
    shipment = create_shipment(session, order_id, weight_grams=weight_grams, parcels=parcels,
                               service=chosen, carrier=carrier, staff_id=staff.id, now=now)
    return shipment.id

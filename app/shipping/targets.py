"""The order a shipment is for: a sale rung up on this till, or an order the server showed it.

A till ships two kinds of order. Its own sales sent home (``orders``, ``fulfilment = ship``)
are its own truth: the printed label moves them to ``shipped`` and ``order.shipped`` tells the
server. Orders it only knows from the server (``remote_orders``: online orders, and other
registers' sales to ship) are the server's: the label moves the till's copy along the state
machine and ``order.status`` asks the server to do the same, version-checked, so an order the
customer cancelled meanwhile comes back as a conflict instead of being shipped over.

``ToShip`` is what the rest of shipping needs of either, so the rules (what may ship, what the
label prints) are written once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.orders import OrderStatus
from app.shipping.address import MAX_LINES
from db.models import Order, RemoteOrder

#: statuses from which a remote order's printed label ships it (a paid online order waiting
#: to be picked, or one being picked); ``pending`` is not paid yet
SHIPPABLE_REMOTE = (OrderStatus.CONFIRMED.value, OrderStatus.PROCESSING.value)
#: countries whose addresses put the town before the postcode ("London SW1Y 4JH")
TOWN_FIRST = frozenset({"GB", "IE", "US", "CA", "AU", "NZ", "IN", "BR", "JP", "KR", "CN"})


@dataclass(frozen=True, slots=True)
class ToShip:
    id: str
    number: str
    status: str
    remote: bool  # known from the server (remote_orders), not rung up here

    @property
    def where(self) -> dict[str, str]:
        """The shipment's column that names the order."""
        return {"remote_order_id": self.id} if self.remote else {"order_id": self.id}


def find_to_ship(session: Session, ref: object) -> ToShip:
    """The order ``ref`` (id or number), this till's own first."""
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidInput("which order? give its number", field="order")
    ref = ref.strip()
    order = session.scalar(select(Order).where(or_(Order.number == ref, Order.id == ref)))
    if order is not None:
        return ToShip(order.id, order.number, order.status, remote=False)
    remote = session.scalar(select(RemoteOrder).where(
        or_(RemoteOrder.number == ref, RemoteOrder.id == ref)).limit(1))
    if remote is None:
        raise NotFound(f"no order {ref}", field="order")
    return ToShip(remote.id, remote.number, remote.status, remote=True)


def check_remote_shippable(remote: RemoteOrder) -> None:
    if remote.status == OrderStatus.SHIPPED.value:
        raise RuleViolation(f"order {remote.number} is shipped already: reprint its label "
                            "instead", field="order")
    if remote.status == OrderStatus.PENDING.value:
        raise RuleViolation(f"order {remote.number} is pending: it is not paid yet, so it "
                            "cannot be shipped", field="order")
    if remote.status not in SHIPPABLE_REMOTE:
        raise RuleViolation(f"order {remote.number} is {remote.status}: it cannot be shipped",
                            field="order")


def remote_view(remote: RemoteOrder) -> dict[str, Any]:
    try:
        view = json.loads(remote.data)
    except ValueError:
        view = None
    return view if isinstance(view, dict) else {}


def remote_ship_to(remote: RemoteOrder) -> tuple[str, ...]:
    """The lines a label prints for a remote order, from the server's ``shipping_address``:
    the name, the street lines, the town with its postcode (in the order the country writes
    them), and the country's code. Long lines are left for the label to wrap; an order with no
    address to ship to is refused."""
    address = remote_view(remote).get("shipping_address")
    if not isinstance(address, dict):
        raise RuleViolation(f"order {remote.number} has no shipping address: it is not an "
                            "order to ship", field="order")

    def part(name: str) -> str:
        value = address.get(name)
        return " ".join(value.split()) if isinstance(value, str) else ""

    name, city, postcode, region = part("name"), part("city"), part("postcode"), part("region")
    country = part("country").upper()
    if remote.channel == "till":
        # another register's sale: its typed lines, which the server joined into ``line2``
        # with ", " — split back, unless a line held a comma itself and the split overflows
        middle = [s.strip() for s in part("line2").split(", ") if s.strip()]
        streets = [part("line1"), *(middle if len(middle) <= MAX_LINES - 3
                                    else [part("line2")])]
    else:
        streets = [part("line1"), part("line2")]
    streets = [street for street in streets if street]
    if country in TOWN_FIRST:
        town = " ".join(p for p in (city, region, postcode) if p)
    else:
        town = " ".join(p for p in (postcode, city, region) if p)
    if not name or not streets or not town:
        missing = "name" if not name else "street" if not streets else "town or postcode"
        raise RuleViolation(f"order {remote.number}'s shipping address has no {missing}: "
                            "give the address to print instead", field="ship_to")
    return tuple(line for line in (name, *streets, town, country) if line)

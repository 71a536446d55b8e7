"""``order.shipped``: a till printed the label of one of its sales to ship, which moves it from
``processing`` to ``shipped`` with the carrier's tracking number (the order's history names
the carrier, service and parcels; a customer with an email is told, as for online orders).

The sale is the till's own (born there, ``processing`` because it was paid but not handed
over), so there is no version to check: the state machine is the rule. The same tracking
number again (an outbox rebuilt after a crash sends it under a new mutation id) is
``applied`` and changes nothing; an order shipped under another number, an online order (its
status travels as ``order.status``), or a move the state machine refuses (refunded at another
till meanwhile) is ``rejected`` with its reason."""

from __future__ import annotations

from app.domain.errors import InvalidTransition
from app.domain.orders import OrderStatus, check_transition
from app.domain.sync_protocol import Status
from server.orders.lifecycle import change_status_in
from server.sync.handlers.base import Context, Outcome, Refused
from server.sync.handlers.common import identifier, is_int, text


def order_shipped(ctx: Context) -> Outcome:
    payload = ctx.payload
    order_id = identifier(payload.get("order_id") or ctx.mutation.entity_id, "payload.order_id")
    tracking = text(payload.get("tracking_number"), "payload.tracking_number", max_length=60,
                    required=True).strip()
    if not tracking.isascii() or not tracking.isprintable():
        raise Refused("payload.tracking_number: must be printable ASCII")
    carrier = text(payload.get("carrier"), "payload.carrier", max_length=30) or "carrier"
    service = text(payload.get("service"), "payload.service", max_length=60)
    parcels = payload.get("parcels")
    order = ctx.db.orders.find_one({"_id": order_id}, session=ctx.session)
    if order is None:
        raise Refused(f"payload.order_id: no order {order_id} on the server")
    if order.get("store_id") != ctx.store_id:
        raise Refused(f"payload.order_id: order {order_id} belongs to another store")
    number = order.get("number") or order_id
    if order.get("channel") != "till":
        raise Refused(f"payload.order_id: order {number} is an online order: its "
                      "status travels as order.status")
    if order["status"] == OrderStatus.SHIPPED.value:
        if order.get("tracking_number") == tracking:
            return Outcome(Status.APPLIED)
        raise Refused(f"payload.tracking_number: order {number} was shipped with "
                      f"tracking number {order.get('tracking_number')}")
    try:
        check_transition(order["status"], OrderStatus.SHIPPED)
    except InvalidTransition as exc:
        raise Refused(f"payload.order_id: order {number}: {exc.message}") from None
    count = f", {parcels} parcel{'s' if parcels != 1 else ''}" if is_int(parcels) else ""
    reason = (f"label printed at register {ctx.principal.register_id} "
              f"({carrier} {service}{count})".replace(" )", ")"))
    change_status_in(ctx.db, ctx.session, order_id=order_id, target=OrderStatus.SHIPPED,
                     reason=reason[:200], version=order["version"], tracking_number=tracking,
                     principal=ctx.principal, audit_id=ctx.derived_id("audit"), ip=None,
                     request_id=ctx.request_id)
    return Outcome(Status.APPLIED)

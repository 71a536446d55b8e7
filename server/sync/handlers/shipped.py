"""``order.shipped``: a till printed the label of one of its sales to ship, which moves it from
``processing`` to ``shipped`` with the carrier's tracking number (the order's history names
the carrier, service and parcels; a customer with an email is told, as for online orders).

The sale is the till's own (born there, ``processing`` because it was paid but not handed
over), so there is no version to check: the state machine is the rule. The same tracking
number again (an outbox rebuilt after a crash sends it under a new mutation id) is
``applied`` and changes nothing; an order shipped under another number, an online order (its
status travels as ``order.status``, with the tracking number when a till labels it), or a move the state machine refuses (refunded at another
till meanwhile) is ``rejected`` with its reason."""

from __future__ import annotations

from app.domain.errors import InvalidTransition
from app.domain.orders import OrderStatus, check_transition
from app.domain.sync_protocol import Status
from server.orders.lifecycle import change_status_in
from server.sync.handlers.base import Context, Outcome, Refused
from server.sync.handlers.common import identifier, label_reason, tracking_number


def order_shipped(ctx: Context) -> Outcome:
    payload = ctx.payload
    order_id = identifier(payload.get("order_id") or ctx.mutation.entity_id, "payload.order_id")
    tracking = tracking_number(payload, required=True)
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
    reason = label_reason(ctx, payload)
    change_status_in(ctx.db, ctx.session, order_id=order_id, target=OrderStatus.SHIPPED,
                     reason=reason, version=order["version"], tracking_number=tracking,
                     principal=ctx.principal, audit_id=ctx.derived_id("audit"), ip=None,
                     request_id=ctx.request_id)
    return Outcome(Status.APPLIED)

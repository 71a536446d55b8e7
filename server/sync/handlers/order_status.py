"""``order.status``: a till moved an online order along the state machine. Server wins.

The version rule: the till keeps the server's version of an online order it pulled (the
store feed's entry carries it), and its own change adds one, so the payload's ``version`` is
the till's version *after* the change and ``version - 1`` is the version it was based on.
The change applies only when that is still the server's version (and the order is still in
the ``from`` status the till saw); the server's change then adds one too, so both sides agree
on the new number. Anything else means someone changed the order meanwhile: ``conflict``
with ``current``, the order as the server has it, for the till to take over. A replay of the
same mutation is answered ``duplicate`` before this rule is reached.

A move the state machine refuses is ``rejected`` with its reason. A staff member named by
the mutation must hold ``orders:update`` (the till checked it; the server checks again);
without one the device's own authority stands (the till's outbox does not name the staff for
a status change).

A move to ``shipped`` may carry the parcel's ``tracking_number`` (a till printed the label of an
online order, or of another register's sale to ship): it is kept on the order and the
customer's shipping mail names it, as when staff ship through the API."""

from __future__ import annotations

from app.domain.errors import InvalidInput, InvalidTransition
from app.domain.orders import OrderStatus, check_transition, parse_status
from app.domain.permissions import Permission
from app.domain.sync_protocol import Status
from server.orders.lifecycle import change_status_in
from server.orders.views import order_view
from server.sync.handlers.base import Context, Outcome, Refused
from server.sync.handlers.common import (check_staff, identifier, is_int, label_reason,
                                         staff_id_of, text, tracking_number)


def order_status(ctx: Context) -> Outcome:
    payload = ctx.payload
    order_id = identifier(payload.get("order_id") or ctx.mutation.entity_id, "payload.order_id")
    try:
        target = parse_status(text(payload.get("to"), "payload.to", max_length=20,
                                   required=True), field="payload.to")
    except InvalidInput as exc:
        raise Refused(str(exc)) from None
    version = payload.get("version")
    if not is_int(version) or version < 2:
        raise Refused("payload.version: must be the order's version after the change (2 or more)")
    reason = text(payload.get("reason"), "payload.reason", max_length=200)
    tracking = tracking_number(payload, required=False)
    if tracking is not None and target is not OrderStatus.SHIPPED:
        raise Refused(f"payload.tracking_number: only a move to shipped has one, not to "
                      f"{target.value}")
    staff_id = staff_id_of(ctx)
    principal = check_staff(ctx, staff_id, Permission.ORDERS_UPDATE) if staff_id \
        else ctx.principal
    order = ctx.db.orders.find_one({"_id": order_id}, session=ctx.session)
    if order is None:
        raise Refused(f"payload.order_id: no order {order_id} on the server")
    if order.get("store_id") != ctx.store_id:
        raise Refused(f"payload.order_id: order {order_id} belongs to another store")
    if tracking is not None and order["status"] == OrderStatus.SHIPPED.value \
            and order.get("tracking_number") == tracking:
        return Outcome(Status.APPLIED)  # the same label's shipping again (an outbox rebuilt)
    based_on = version - 1
    seen = payload.get("from")
    if order["version"] != based_on or (seen is not None and seen != order["status"]):
        return Outcome(Status.CONFLICT, reason=(
            f"the order was changed on the server meanwhile (it is {order['status']} at "
            f"version {order['version']}; this change to {target.value} was based on "
            f"{seen or 'its status'} at version {based_on})"), current=order_view(order))
    if target is OrderStatus.REFUNDED:
        raise Refused("payload.to: an order becomes refunded by refunding it, which pays the "
                      "money back")
    try:
        check_transition(order["status"], target)
    except InvalidTransition as exc:
        raise Refused(f"payload.to: {exc.message}") from None
    change_status_in(ctx.db, ctx.session, order_id=order_id, target=target,
                     reason=label_reason(ctx, payload) if tracking else
                     reason or f"changed at register {ctx.principal.register_id}",
                     version=order["version"], tracking_number=tracking, principal=principal,
                     audit_id=ctx.derived_id("audit"), ip=None, request_id=ctx.request_id)
    return Outcome(Status.APPLIED)

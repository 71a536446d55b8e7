"""Status changes along ``app.domain.orders``' state machine and recorded payments. Each change
is one transaction: the order (version checked, history appended), its stock (shipped: fulfil;
cancelled: release), its coupon (cancelled unpaid: given back), the mail, the audit entry and
the store feed's entry."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.orders import OrderStatus, check_transition, parse_status
from server import audit
from server.changes.log import Change, append, store_feed
from server.common.versioning import not_found, now_ms, version_conflict
from server.coupons import service as coupons
from server.database import in_transaction
from server.errors import ApiError
from server.inventory import service as inventory
from server.orders import mails
from server.orders import repository as repo
from server.orders.views import order_view
from server.reports import rollups
from server.security.deps import Principal

Doc = dict[str, Any]


def load(db: Database, order_id: str, session: ClientSession | None = None) -> Doc:
    order = repo.get(db, order_id, session)
    if order is None:
        raise not_found("order", order_id)
    return order


def publish(db: Database, order: Doc, session: ClientSession) -> None:
    """The order's new view on its store's feed (tills pull online orders from it)."""
    append(db, store_feed(order["store_id"]), Change("order", order["_id"],
                                                     version=order["version"],
                                                     data=order_view(order)), session=session)


def finish(db: Database, session: ClientSession, order_id: str, *, principal: Principal,
           action: str, details: Doc, audit_id: str, ip: str | None,
           request_id: str | None) -> Doc:
    """The end of every order change: its audit entry, and the new view on the store feed."""
    audit.record(db, actor=principal.actor, action=action, target=order_id, ip=ip,
                 request_id=request_id, details=details, session=session, audit_id=audit_id)
    updated = load(db, order_id, session)
    publish(db, updated, session)
    return updated


def history_entry(frm: str | None, to: str, actor: str, reason: str) -> Doc:
    return {"at": now_ms(), "from": frm, "to": to, "actor": actor, "reason": reason}


def change_status(db: Database, *, order_id: str, status: str, reason: str, version: int,
                  tracking_number: str | None, principal: Principal, ip: str | None,
                  request_id: str | None) -> Doc:
    """Move an order to ``status``: 409 for a stale ``version`` or a move the state machine
    does not allow (with the allowed moves); ``refunded`` is reached through refunds only."""
    target = parse_status(status)
    if target is OrderStatus.REFUNDED:
        raise ApiError(409, "use_refunds", "an order becomes refunded when its money goes back: "
                       "POST /orders/{id}/refunds", {"field": "status"})
    audit_id = str(uuid.uuid4())
    return order_view(in_transaction(db, lambda session: change_status_in(
        db, session, order_id=order_id, target=target, reason=reason, version=version,
        tracking_number=tracking_number, principal=principal, audit_id=audit_id, ip=ip,
        request_id=request_id)))


def change_status_in(db: Database, session: ClientSession, *, order_id: str,
                     target: OrderStatus, reason: str, version: int,
                     tracking_number: str | None, principal: Principal, audit_id: str,
                     ip: str | None, request_id: str | None) -> Doc:
    """``change_status`` inside the caller's transaction (sync applies a till's status change
    together with the rest of its batch); returns the stored order as written."""
    order = load(db, order_id, session)
    if order["version"] != version:
        raise version_conflict("order", order["version"])
    current = order["status"]
    check_transition(current, target)
    entry = history_entry(current, target.value, principal.actor, reason)
    changes: Doc = {"status": target.value, "updated_at": entry["at"]}
    if tracking_number:
        changes["tracking_number"] = tracking_number
    if not repo.update_if_version(db, order_id, version,
                                  {"$set": changes, "$push": {"history": entry}}, session):
        raise version_conflict("order", order["version"])
    if target is OrderStatus.SHIPPED:
        inventory.fulfil(db, session=session, order_id=order_id, actor=principal.actor)
        mails.shipped(db, order, tracking_number=tracking_number, session=session)
    elif target is OrderStatus.CANCELLED:
        inventory.release(db, session=session, order_id=order_id, actor=principal.actor)
        if order["paid_total"] == 0:  # never a sale: its coupon use and rollups go back
            coupons.unredeem(db, session=session, order_id=order_id)
            rollups.remove_order(db, session=session, order=order)
    return finish(db, session, order_id, principal=principal, action="order.status",
                  details={"from": current, "to": target.value, "reason": reason},
                  audit_id=audit_id, ip=ip, request_id=request_id)


def add_payment(db: Database, *, order_id: str, method: str, amount: int,
                provider_ref: str | None, principal: Principal, ip: str | None,
                request_id: str | None) -> Doc:
    """Record a payment (never more than is still due; the same ``provider_ref`` twice is
    recorded once). A pending order that is now paid in full becomes ``confirmed``."""
    payment_id, audit_id = str(uuid.uuid4()), str(uuid.uuid4())

    def work(session: ClientSession) -> Doc:
        order = load(db, order_id, session)
        if provider_ref and any(p.get("provider_ref") == provider_ref
                                for p in order["payments"]):
            return order
        if order["status"] in (OrderStatus.CANCELLED.value, OrderStatus.REFUNDED.value):
            raise ApiError(409, "order_closed", f"the order is {order['status']}: it takes no "
                           "payments", {"field": "status"})
        due = order["total"] - order["paid_total"]
        if amount > due:
            raise ApiError(422, "overpayment", f"amount: only {due} (minor units) is still due",
                           {"field": "amount", "due": due})
        now = now_ms()
        payment = {"id": payment_id, "method": method, "amount": amount,
                   "status": "succeeded", "provider_ref": provider_ref, "refunded": 0,
                   "at": now}
        changes: Doc = {"paid_total": order["paid_total"] + amount, "updated_at": now}
        push: Doc = {"payments": payment}
        if order["paid_total"] + amount == order["total"] and \
                order["status"] == OrderStatus.PENDING.value:
            changes["status"] = OrderStatus.CONFIRMED.value
            push["history"] = history_entry(order["status"], changes["status"],
                                            principal.actor, "paid in full")
        if not repo.update_if_version(db, order_id, order["version"],
                                      {"$set": changes, "$push": push}, session):
            raise version_conflict("order", order["version"])
        rollups.apply_payment(db, session=session, order={**order, **changes,
                                                          "payments": [*order["payments"], payment]},
                              payment=payment)
        return finish(db, session, order_id, principal=principal, action="order.payment",
                      details={"payment_id": payment_id, "method": method, "amount": amount},
                      audit_id=audit_id, ip=ip, request_id=request_id)

    return order_view(in_transaction(db, work))

"""GDPR for customers: export everything held about one (``/customers/{id}/export``) and
erase it (``/customers/{id}/erase``): orders are anonymised (amounts, lines and dates stay for
the books), everything else personal is deleted or scrubbed, earlier change-log entries
included, in one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from server import audit
from server.changes import log as change_log
from server.changes.log import CUSTOMERS_FEED, DELETE, Change, append, store_feed
from server.common.versioning import now_ms
from server.customers.service import customer_view, require
from server.database import in_transaction
from server.orders.views import order_view, refund_view
from server.security.deps import Principal
from server.users import staff_feed
from server.users.service import public_user

Doc = dict[str, Any]
#: the top-level order fields that name or reach a person (lines, amounts and dates stay)
ORDER_PERSONAL = ("email", "shipping_address", "billing_address", "customer_name", "phone")
_MAIL_FIELDS = ("to", "subject", "kind", "status", "created_at", "sent_at")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k if k != "_id" else "id": _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _user(db: Database, customer: Doc, session: ClientSession | None) -> Doc | None:
    user_id = customer.get("user_id")
    return db.users.find_one({"_id": user_id}, session=session) if user_id else None


def _addresses(customer: Doc, user: Doc | None) -> list[str]:
    emails = {customer.get("email"), (user or {}).get("email")}
    return sorted(e for e in emails if e)


def _orders(db: Database, customer: Doc, emails: list[str],
            session: ClientSession | None) -> list[Doc]:
    """Orders linked to the customer, and guest orders placed with one of their emails."""
    found = {o["_id"]: o for o in db.orders.find({"customer_id": customer["_id"]},
                                                 session=session)}
    if emails:
        for order in db.orders.find({"email": {"$in": emails}}, session=session):
            found.setdefault(order["_id"], order)
    return sorted(found.values(), key=lambda o: (o.get("created_at") or now_ms(), o["_id"]))


def _carts(db: Database, user: Doc | None, emails: list[str],
           session: ClientSession | None) -> list[Doc]:
    found: dict[str, Doc] = {}
    if user is not None:
        found.update({c["_id"]: c for c in db.carts.find({"user_id": user["_id"]},
                                                         session=session)})
    if emails:
        found.update({c["_id"]: c for c in db.carts.find({"email": {"$in": emails}},
                                                         session=session)})
    return list(found.values())


def _redemptions(db: Database, customer_id: str, order_ids: list[str],
                 session: ClientSession | None) -> list[Doc]:
    found = {r["_id"]: r for r in db.coupon_redemptions.find({"customer_id": customer_id},
                                                              session=session)}
    if order_ids:
        found.update({r["_id"]: r for r in db.coupon_redemptions.find(
            {"order_id": {"$in": order_ids}}, session=session)})
    return list(found.values())


def _usage_ids(customer_id: str, redemptions: list[Doc]) -> list[str]:
    return sorted({f"{r['coupon_id']}:{customer_id}" for r in redemptions if r.get("coupon_id")})


def _targets(customer: Doc) -> list[str]:
    return [t for t in (customer["_id"], customer.get("user_id")) if t]


def _audit_entries(db: Database, customer: Doc, session: ClientSession | None) -> list[Doc]:
    targets = _targets(customer)
    found = {e["_id"]: e for e in db.audit_log.find({"target": {"$in": targets}},
                                                     session=session)}
    if customer.get("user_id"):
        found.update({e["_id"]: e for e in db.audit_log.find(
            {"actor": f"user:{customer['user_id']}"}, session=session)})
    return sorted(found.values(), key=lambda e: e["at"])


def export(db: Database, customer_id: str) -> Doc:
    """Everything held about a customer, as JSON: the record, the linked account's public
    fields, orders with their refunds, carts, coupon use, mails queued or sent to them and
    the audit entries about them."""
    customer = require(db, customer_id)
    user = _user(db, customer, None)
    emails = _addresses(customer, user)
    orders = _orders(db, customer, emails, None)
    order_ids = [o["_id"] for o in orders]
    refunds = list(db.refunds.find({"order_id": {"$in": order_ids}})) if order_ids else []
    redemptions = _redemptions(db, customer_id, order_ids, None)
    usage_ids = _usage_ids(customer_id, redemptions)
    usage = list(db.coupon_usage.find({"_id": {"$in": usage_ids}})) if usage_ids else []
    mails = list(db.email_outbox.find({"to": {"$in": emails}})) if emails else []
    return {"exported_at": now_ms().isoformat(), "customer": customer_view(customer),
            "account": public_user(user) if user else None,
            "orders": [order_view(o) for o in orders],
            "refunds": [refund_view(r) for r in refunds],
            "carts": [_plain(c) for c in _carts(db, user, emails, None)],
            "coupon_redemptions": [_plain(r) for r in redemptions],
            "coupon_usage": [_plain(u) for u in usage],
            # a mail's text may hold a live token (password reset): its subject says enough
            "mails": [_plain({k: m.get(k) for k in ("_id", *_MAIL_FIELDS)}
                             | ({} if m.get("sensitive") else {"text": m.get("text")}))
                      for m in mails],
            "audit": [_plain(e) for e in _audit_entries(db, customer, None)]}


def _scrub_orders(db: Database, orders: list[Doc], session: ClientSession) -> None:
    """Anonymise each order and its earlier entries on its store's feed, then append the
    anonymised order so that tills that pulled it replace their copy."""
    for order in orders:
        db.orders.update_one({"_id": order["_id"]},
                             {"$set": {**{k: None for k in ORDER_PERSONAL if k in order},
                                       "anonymised": True, "updated_at": now_ms()},
                              "$inc": {"version": 1}}, session=session)
        change_log.rewrite(
            db, {"entity": "order", "entity_id": order["_id"]},
            {"$set": {f"data.{k}": None for k in ORDER_PERSONAL}}, session=session)
        updated = db.orders.find_one({"_id": order["_id"]}, session=session)
        if updated.get("store_id"):
            append(db, store_feed(updated["store_id"]),
                   Change("order", updated["_id"], version=updated.get("version"),
                          data=order_view(updated)), session=session)


def _scrub_account(db: Database, user: Doc, session: ClientSession) -> None:
    """Deactivate the linked account and drop what names or reaches the person."""
    user_id = user["_id"]
    db.users.update_one({"_id": user_id}, {"$set": {
        "email": f"erased-{user_id}@invalid", "name": "", "password_hash": None,
        "pin_hash": None, "phone": "", "active": False, "erased": True,
        "updated_at": now_ms()}, "$inc": {"version": 1}}, session=session)
    staff_feed.erase(db, user_id, session=session)  # if a staff account: tills drop its PIN
    db.email_tokens.delete_many({"user_id": user_id}, session=session)
    db.token_families.update_many({"user_id": user_id}, {"$set": {"revoked": True}},
                                  session=session)


def erase(db: Database, *, customer_id: str, principal: Principal, ip: str | None,
          request_id: str | None) -> Doc:
    """Erase a customer in one transaction; idempotent (an erased customer stays a
    tombstone). The audit entry names who did it, never what was erased."""
    audit_id = str(uuid.uuid4())
    return customer_view(in_transaction(db, lambda s: erase_in(
        db, s, customer_id=customer_id, principal=principal, ip=ip, request_id=request_id,
        audit_id=audit_id)))


def erase_in(db: Database, s: ClientSession, *, customer_id: str, principal: Principal,
             ip: str | None, request_id: str | None, audit_id: str) -> Doc:
    """The erase inside the caller's transaction ``s`` (the push's ``customer.erase`` runs it
    in its batch's); returns the tombstone. It reads everything before its first write."""
    customer = require(db, customer_id, s)
    if customer.get("erased"):
        return customer
    user = _user(db, customer, s)
    emails = _addresses(customer, user)
    orders = _orders(db, customer, emails, s)
    order_ids = [o["_id"] for o in orders]
    redemptions = _redemptions(db, customer_id, order_ids, s)
    usage_ids = _usage_ids(customer_id, redemptions)
    _scrub_orders(db, orders, s)
    carts = _carts(db, user, emails, s)
    if carts:
        db.carts.delete_many({"_id": {"$in": [c["_id"] for c in carts]}}, session=s)
    for redemption in redemptions:
        db.coupon_redemptions.update_one({"_id": redemption["_id"]},
                                         {"$set": {"customer_id": None}}, session=s)
    if usage_ids:
        db.coupon_usage.delete_many({"_id": {"$in": usage_ids}}, session=s)
    if emails:
        db.email_outbox.delete_many({"to": {"$in": emails}}, session=s)
        db.customer_emails.delete_many({"_id": {"$in": emails}, "customer_id": customer_id},
                                       session=s)
    for entry in _audit_entries(db, customer, s):
        db.audit_log.update_one({"_id": entry["_id"]},
                                {"$set": {"details": {"erased": True}, "ip": None}},
                                session=s)
    if user is not None:
        _scrub_account(db, user, s)
    change_log.rewrite(db, {"entity": "customer", "entity_id": customer_id},
                       {"$set": {"data": {"id": customer_id, "erased": True}}}, session=s)
    tombstone = {"_id": customer_id, "erased": True, "user_id": None,
                 "version": int(customer.get("version", 1)) + 1,
                 "created_at": customer["created_at"], "updated_at": now_ms()}
    db.customers.replace_one({"_id": customer_id}, tombstone, session=s)
    append(db, CUSTOMERS_FEED, Change("customer", customer_id, op=DELETE,
                                      version=tombstone["version"], data=None), session=s)
    audit.record(db, actor=principal.actor, action="customer.erased", target=customer_id,
                 ip=ip, request_id=request_id, session=s, audit_id=audit_id,
                 details={"orders_anonymised": len(orders), "carts_deleted": len(carts),
                          "account_scrubbed": user is not None})
    return tombstone

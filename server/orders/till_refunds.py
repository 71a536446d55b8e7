"""Till refunds that arrive by sync: append-only and never refused (the money already went
back across the counter). They are stored in the shape ``server.orders.refunds`` stores, with
what does not add up kept as ``flags``; idempotent per refund id.

A refund can reach the server before its order (sold at one till, returned at another that
synced first): it is stored with the flag ``order_unknown`` and ``applied_to_order: false``,
and ``attach_waiting`` applies it (order totals, line quantities, rollups) when the order
arrives. Their stock movements are posted by sync through ``server.inventory``, not here.

Additions to the refunds' stored shape: ``channel: "till"``, ``number``, ``store_id``,
``register_id``, ``flags``, ``applied_to_order``, ``received_at``; each line also keeps
the till's ``order_line_id`` and ``variant_id``."""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.orders import TRANSITIONS, OrderStatus
from server.common.versioning import now_ms
from server.orders import repository as repo
from server.orders.lifecycle import history_entry, load, publish
from server.reports import rollups

Doc = dict[str, Any]
ORDER_UNKNOWN = "order_unknown"


def record_till_refund(db: Database, *, session: ClientSession, refund: Doc) -> str:
    """See ``server.orders.service.record_till_refund``."""
    refund_id = refund.get("id") or refund.get("_id")
    if not refund_id or not refund.get("order_id"):
        raise ValueError("a till refund carries its id and its order's id")
    if db.refunds.find_one({"_id": str(refund_id)}, {"_id": 1}, session=session) is not None:
        return "duplicate"
    doc = _document(refund)
    order = repo.get(db, doc["order_id"], session)
    if order is None:
        doc["flags"].append(ORDER_UNKNOWN)
        repo.insert_refund(db, doc, session)
        return "applied"
    _apply(db, session, order, doc)
    repo.insert_refund(db, doc, session)
    rollups.apply_refund(db, session=session, order=load(db, order["_id"], session),
                         refund=_for_rollups(doc))
    return "applied"


def attach_waiting(db: Database, *, session: ClientSession, order_id: str) -> int:
    """Apply the refunds of ``order_id`` that arrived before it (in the order they were
    given); returns how many. Call it in the transaction that stores the order."""
    waiting = sorted((r for r in db.refunds.find({"order_id": order_id}, session=session)
                      if r.get("applied_to_order") is False), key=lambda r: (r["at"], r["_id"]))
    for doc in waiting:
        order = load(db, order_id, session)
        _apply(db, session, order, doc)
        db.refunds.update_one({"_id": doc["_id"]}, {"$set": {
            "lines": doc["lines"], "flags": doc["flags"], "applied_to_order": True}},
            session=session)
        rollups.apply_refund(db, session=session, order=load(db, order_id, session),
                             refund=_for_rollups(doc))
    return len(waiting)


def _document(refund: Doc) -> Doc:
    now = now_ms()
    return {"_id": str(refund.get("id") or refund["_id"]), "order_id": str(refund["order_id"]),
            "channel": "till", "number": refund.get("number"),
            "store_id": refund.get("store_id"), "register_id": refund.get("register_id"),
            "lines": [dict(line) for line in refund.get("lines") or []],
            "shipping": 0, "amount": int(refund.get("amount") or 0),
            "tenders": [dict(t) for t in refund.get("tenders") or []],
            "reason": str(refund.get("reason") or ""), "actor": str(refund.get("actor") or ""),
            "at": refund.get("at") or now, "flags": list(refund.get("flags") or []),
            "applied_to_order": False, "received_at": now}


def _for_rollups(doc: Doc) -> Doc:
    """Only the lines that name a line of the order count in the product rows."""
    return {**doc, "lines": [line for line in doc["lines"] if line.get("index") is not None]}


def _apply(db: Database, session: ClientSession, order: Doc, doc: Doc) -> None:
    """Add ``doc`` to its order (lines, payments, totals, status), flagging what exceeds what
    was sold or paid; sets ``doc["applied_to_order"]``. The order's version moves by one, as
    the till's own copy did when it gave the refund."""
    lines = [dict(line) for line in order["lines"]]
    _match_lines(lines, doc)
    by_index = {line["index"]: line for line in lines}
    for part in doc["lines"]:
        line = by_index.get(part.get("index"))
        if line is None:
            continue
        line["refunded_quantity_milli"] = line.get("refunded_quantity_milli", 0) + \
            part["quantity_milli"]
        line["refunded_amount"] = line.get("refunded_amount", 0) + part["amount"]
        line["refunded_tax"] = line.get("refunded_tax", 0) + part.get("tax", 0)
        if line["refunded_quantity_milli"] > line["quantity_milli"]:
            doc["flags"].append(f"line {line['index']}: more returned than was sold")
    payments = [dict(p) for p in order["payments"]]
    by_payment = {p["id"]: p for p in payments}
    for tender in doc["tenders"]:
        payment = by_payment.get(tender.get("payment_id"))
        if payment is None:
            doc["flags"].append(f"tender {tender.get('payment_id')}: not a payment of the order")
            continue
        payment["refunded"] = payment.get("refunded", 0) + tender["amount"]
    refunded_total = order.get("refunded_total", 0) + doc["amount"]
    if refunded_total > order.get("paid_total", 0):
        doc["flags"].append("more refunded than was paid")
    changes: Doc = {"lines": lines, "payments": payments, "refunded_total": refunded_total,
                    "updated_at": now_ms()}
    update: Doc = {"$set": changes}
    everything = all(ln.get("refunded_quantity_milli", 0) >= ln["quantity_milli"]
                     for ln in lines)
    status = OrderStatus(order["status"])
    if everything and OrderStatus.REFUNDED in TRANSITIONS[status]:
        changes["status"] = OrderStatus.REFUNDED.value
        reason = doc["reason"] or "refunded at the till"
        update["$push"] = {"history": history_entry(status.value, changes["status"],
                                                    doc["actor"], reason)}
    if not repo.update_if_version(db, order["_id"], order["version"], update, session):
        raise RuntimeError(f"order {order['_id']} moved inside its own transaction")
    doc["applied_to_order"] = True
    publish(db, load(db, order["_id"], session), session)


def _match_lines(lines: list[Doc], doc: Doc) -> None:
    """Fill each refund line's ``index`` (the order line it returns) when the caller could
    not: by the position the till gave, checked against the variant, else by the variant."""
    for n, part in enumerate(doc["lines"]):
        index, variant_id = part.get("index"), part.get("variant_id")
        if isinstance(index, int) and 0 <= index < len(lines) and \
                variant_id in (None, lines[index].get("variant_id")):
            continue
        same = [ln["index"] for ln in lines if variant_id and ln.get("variant_id") == variant_id]
        part["index"] = same[0] if same else None
        if part["index"] is None:
            doc["flags"].append(f"lines[{n}]: returns nothing the order sold")

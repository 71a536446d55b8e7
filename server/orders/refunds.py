"""Refunds of an order, line by line, never more than was paid: each line's money and tax back
come from ``app.domain.orders.refund_line`` (cumulative rounding, the last unit returns
exactly what is left), the amount is spread over the order's payments by ``refund_to_tenders``
(which refuses more than they still hold). The refund that returns every line also returns the
shipping, and moves the order to ``refunded``. One transaction with the rollups, the audit
entry and the feed entry; two refunds racing for the last item conflict and the second, run
again, finds nothing left to return."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.errors import RuleViolation
from app.domain.orders import (RETURNABLE, LineRefundState, OrderStatus, TenderBalance,
                               check_transition, refund_line, refund_to_tenders)
from server.common.versioning import now_ms, version_conflict
from server.database import in_transaction
from server.errors import ApiError
from server.orders import repository as repo
from server.orders.lifecycle import finish, history_entry, load
from server.orders.views import order_view, refund_view
from server.reports import rollups
from server.security.deps import Principal

Doc = dict[str, Any]


def _refused(field: str, message: str) -> ApiError:
    return ApiError(422, "refund_refused", f"{field}: {message}", {"field": field})


def _state(line: Doc) -> LineRefundState:
    return LineRefundState(line["quantity_milli"], line["total"], line["tax"],
                           line.get("refunded_quantity_milli", 0),
                           line.get("refunded_amount", 0), line.get("refunded_tax", 0))


def plan(order: Doc, wanted: list[tuple[int, int]]) -> tuple[list[Doc], list[Doc], int, bool]:
    """(new lines, refund lines, shipping back, everything returned) for ``wanted``:
    [(line index, quantity_milli)]. Raises 422 naming the field for anything that is not
    left to return."""
    if order["status"] not in [s.value for s in RETURNABLE]:
        raise ApiError(409, "not_refundable", f"a {order['status']} order cannot be refunded "
                       "(only shipped, delivered or cancelled ones)", {"field": "status"})
    lines = [dict(ln) for ln in order["lines"]]
    by_index = {ln["index"]: ln for ln in lines}
    seen: set[int] = set()
    refund_lines = []
    for i, (index, quantity) in enumerate(wanted):
        where = f"lines.{i}"
        line = by_index.get(index)
        if line is None:
            raise _refused(f"{where}.index", f"the order has no line {index}")
        if index in seen:
            raise _refused(f"{where}.index", f"line {index} is named twice")
        seen.add(index)
        if not line.get("sold_by_weight", True) and quantity % 1000:
            raise _refused(f"{where}.quantity", "must be whole")
        try:
            back = refund_line(_state(line), quantity, field=f"{where}.quantity")
        except RuleViolation as exc:
            raise _refused(exc.field or f"{where}.quantity", exc.message) from None
        line["refunded_quantity_milli"] = line.get("refunded_quantity_milli", 0) + quantity
        line["refunded_amount"] = line.get("refunded_amount", 0) + back.amount
        line["refunded_tax"] = line.get("refunded_tax", 0) + back.tax
        refund_lines.append({"index": index, "quantity_milli": quantity, "amount": back.amount,
                             "tax": back.tax})
    everything = all(ln["refunded_quantity_milli"] == ln["quantity_milli"] for ln in lines)
    shipping = (order["shipping_total"] - order.get("shipping_refunded", 0)) if everything else 0
    return lines, refund_lines, shipping, everything


def refund(db: Database, *, order_id: str, wanted: list[tuple[int, int]], reason: str,
           principal: Principal, ip: str | None, request_id: str | None) -> Doc:
    """Refund ``wanted`` lines of an order; returns ``{refund, order}``."""
    refund_id, audit_id = str(uuid.uuid4()), str(uuid.uuid4())

    def work(session: ClientSession) -> tuple[Doc, Doc]:
        order = load(db, order_id, session)
        lines, refund_lines, shipping, everything = plan(order, wanted)
        amount = sum(r["amount"] for r in refund_lines) + shipping
        balances = [TenderBalance(p["id"], p["method"], p["amount"], p.get("refunded", 0))
                    for p in order["payments"] if p.get("status") == "succeeded"]
        try:
            tenders = refund_to_tenders(amount, balances, currency=order["currency"])
        except RuleViolation as exc:
            raise _refused("lines", f"{exc.message} (paid {order['paid_total']}, refunded "
                           f"{order['refunded_total']} minor units so far)") from None
        back = {b.payment_id: take for b, take in tenders}
        payments = [{**p, "refunded": p.get("refunded", 0) + back.get(p["id"], 0)}
                    for p in order["payments"]]
        now = now_ms()
        changes: Doc = {"lines": lines, "payments": payments,
                        "refunded_total": order["refunded_total"] + amount,
                        "shipping_refunded": order.get("shipping_refunded", 0) + shipping,
                        "updated_at": now}
        update: Doc = {"$set": changes}
        if everything and order["status"] != OrderStatus.REFUNDED.value:
            changes["status"] = check_transition(order["status"], OrderStatus.REFUNDED).value
            update["$push"] = {"history": history_entry(order["status"], changes["status"],
                                                        principal.actor, reason)}
        if not repo.update_if_version(db, order_id, order["version"], update, session):
            raise version_conflict("order", order["version"])
        doc = {"_id": refund_id, "order_id": order_id, "lines": refund_lines,
               "shipping": shipping, "amount": amount,
               "tenders": [{"payment_id": b.payment_id, "method": b.method, "amount": take}
                           for b, take in tenders],
               "reason": reason, "actor": principal.actor, "at": now}
        repo.insert_refund(db, doc, session)
        rollups.apply_refund(db, session=session, order=load(db, order_id, session), refund=doc)
        updated = finish(db, session, order_id, principal=principal, action="order.refund",
                         details={"refund_id": refund_id, "amount": amount, "reason": reason},
                         audit_id=audit_id, ip=ip, request_id=request_id)
        return doc, updated

    doc, updated = in_transaction(db, work)
    return {"refund": refund_view(doc), "order": order_view(updated)}

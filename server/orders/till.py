"""Till sales that arrive by sync: append-only and never rejected (the sale happened, the money
was taken); whatever does not add up is stored as ``flags`` for review. Idempotent per order id.
Their stock movements are posted by sync through ``server.inventory``, not here."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.orders import OrderStatus
from server.common.versioning import now_ms
from server.coupons import service as coupons
from server.orders import repository as repo
from server.orders.lifecycle import publish
from server.payments.till_link import link_till_sales
from server.recommendations import service as recommendations
from server.reports import rollups

Doc = dict[str, Any]
_LINE_INTS = ("quantity_milli", "unit_price", "gross", "discount", "tax", "total")
_ORDER_INTS = ("subtotal", "discount_total", "tax_total", "total")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def _line(index: int, raw: Any, flags: list[str]) -> Doc:
    raw = raw if isinstance(raw, dict) else {}
    line: Doc = {"index": index, "product_id": raw.get("product_id"),
                 "variant_id": raw.get("variant_id"), "sku": str(raw.get("sku") or ""),
                 "name": str(raw.get("name") or ""), "category_id": raw.get("category_id"),
                 "brand": str(raw.get("brand") or ""),
                 "taxes": raw.get("taxes") if isinstance(raw.get("taxes"), list) else [],
                 "refunded_quantity_milli": 0, "refunded_amount": 0, "refunded_tax": 0}
    for name in _LINE_INTS:
        value = _int(raw.get(name))
        if value is None:
            flags.append(f"lines[{index}].{name}: missing or not a whole number")
        line[name] = value or 0
    if not line["variant_id"]:
        flags.append(f"lines[{index}]: no variant")
    return line


def _receipt_facts(payment: Doc) -> Doc:
    """What an emailed receipt shows of a tender beside its amount: the cash handed over, a
    card's brand and last four digits (nothing else of a card reaches Tillpoint)."""
    last4 = payment.get("card_last4")
    brand = payment.get("card_brand")
    return {"tendered": _int(payment.get("tendered")),
            "card_brand": brand[:20] if isinstance(brand, str) and brand else None,
            "card_last4": last4 if isinstance(last4, str) and len(last4) == 4
            and last4.isdigit() else None}


def _ship_to(text: Any, flags: list[str]) -> Doc:
    """The till's address (name, then one line per line, the town last) in the fields of an
    online order's ``shipping_address``, so what reads (or erases) one reads the other."""
    lines = [line.strip() for line in text.split("\n") if line.strip()] \
        if isinstance(text, str) else []
    if len(lines) < 2:
        flags.append("ship_to: missing or not an address")
    name, rest = (lines[0], lines[1:]) if lines else ("", [])
    return {"name": name[:200], "line1": rest[0][:200] if rest else "",
            "line2": ", ".join(rest[1:-1])[:200], "city": rest[-1][:100] if len(rest) > 1
            else "", "postcode": "", "region": "", "country": "", "phone": ""}


def normalise(order: Doc) -> Doc:
    """The stored document for a till sale, flagging (never refusing) what is wrong."""
    flags: list[str] = [str(f) for f in order.get("flags") or [] if isinstance(f, str)]
    lines = [_line(i, raw, flags) for i, raw in enumerate(order.get("lines") or [])]
    if not lines:
        flags.append("no lines")
    # a sale sent to the customer is paid but not handed over: it waits for its label
    shipping = order.get("fulfilment") == "ship"
    status = (OrderStatus.PROCESSING if shipping else OrderStatus.DELIVERED).value
    doc: Doc = {"_id": str(order.get("id") or order.get("_id")), "channel": "till",
                "status": status, "lines": lines}
    for name in ("number", "store_id", "register_id", "cashier_id", "customer_id", "email",
                 "coupon_code", "currency"):
        doc[name] = order.get(name)
    for name in ("number", "store_id", "currency"):
        if not doc[name]:
            flags.append(f"{name}: missing")
    doc["prices_include_tax"] = bool(order.get("prices_include_tax", True))
    for name in _ORDER_INTS:
        value = _int(order.get(name))
        if value is None:
            value = sum(ln[{"subtotal": "gross", "discount_total": "discount",
                            "tax_total": "tax", "total": "total"}[name]] for ln in lines)
            flags.append(f"{name}: missing, computed from the lines")
        doc[name] = value
    if doc["total"] != sum(ln["total"] for ln in lines):
        flags.append("total differs from the sum of the lines")
    payments = [p for p in order.get("payments") or [] if isinstance(p, dict)]
    doc["payments"] = [{"id": str(p.get("id") or f"{doc['_id']}:{i}"),
                        "method": str(p.get("method") or "unknown"),
                        "amount": _int(p.get("amount")) or 0,
                        "status": str(p.get("status") or "succeeded"),
                        "provider_ref": p.get("provider_ref"), "refunded": 0,
                        **_receipt_facts(p)}
                       for i, p in enumerate(payments)]
    doc["change_given"] = max(_int(order.get("change_given")) or 0, 0)
    doc["paid_total"] = sum(p["amount"] for p in doc["payments"])
    if doc["paid_total"] < doc["total"]:
        flags.append("paid less than the total")
    now = now_ms()
    created = _when(order.get("created_at")) or now
    if _when(order.get("created_at")) is None:
        flags.append("created_at: missing or not a date, the time it arrived is used")
    doc.update(shipping_total=0, shipping_refunded=0, refunded_total=0,
               shipping_address=_ship_to(order.get("ship_to"), flags) if shipping else None,
               history=[{"at": created, "from": None, "to": status,
                         "actor": f"register:{doc['register_id']}", "reason": "sold at the till"}],
               flags=flags, version=1, created_at=created, updated_at=now, received_at=now)
    return doc


def record_till_order(db: Database, *, session: ClientSession, order: Doc) -> str:
    """See ``server.orders.service.record_till_order``."""
    order_id = order.get("id") or order.get("_id")
    if not order_id:
        raise ValueError("a till order carries its id (the mutation's order id)")
    if repo.get(db, str(order_id), session) is not None:
        return "duplicate"
    doc = normalise(order)
    if doc.get("coupon_code"):  # the till could not check the limits offline: count, then flag
        flag = coupons.record_offline_use(db, session=session, code=doc["coupon_code"],
                                          customer_id=doc.get("customer_id"), order_id=doc["_id"])
        if flag:
            doc["flags"].append(flag)
    link_till_sales(db, session=session, orders=[doc])  # Stripe may have reported first
    repo.insert(db, doc, session)  # a concurrent copy conflicts here; its retry finds it above
    rollups.apply_order(db, session=session, order=doc)
    recommendations.record_order(db, session=session, order=doc)
    if doc["store_id"]:
        publish(db, doc, session)
    return "applied"

"""Sales rollups. CONTRACT used by orders (and, later, sync): called in the same transaction
as each order and refund, so the reports never disagree with the orders. The reports owner
implements these; their signatures stay.

Stored shape: ``sales_rollups``: ``{_id: "<store_id>|<day>|<dimension>|<key>", store_id,
day: "YYYY-MM-DD" (in the store's timezone), dimension: "total" | "product" | "category" |
"cashier" | "payment" | "channel", key: str, orders: int, quantity_milli: int, gross: int,
discount: int, tax: int, total: int, refunds: int, refunded_amount: int}`` — every figure an
exact integer ($inc), so any range is a sum of days.

Definitions (the reports and their tests use the same ones): ``gross``/``discount`` and, for
product and category rows, ``tax``/``total``/``quantity_milli`` are sums over the lines;
``total``/``tax``/``shipping`` of the ``total``, ``channel`` and ``cashier`` rows are the
order's own (shipping included). ``payment`` rows carry ``orders`` and ``total`` only: what
was taken by that method. ``orders`` is the number of orders with at least one line (or
payment) in the row; ``refunds`` the number of refunds touching it. A sale counts on the day
it was made and a refund on the day it was given, both in the store's timezone. Figures added
beside the stored shape: ``shipping``, ``refunded_tax``, ``refunded_quantity_milli``, and the
rows' ``currency`` (the store's: totals are never summed across currencies). The same rows
are kept per month in ``sales_rollups_monthly`` (``day`` is "YYYY-MM") in the same write, so a
long range reads whole months there and only its partial months' days here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database

from app.domain.errors import DomainError
from app.domain.orders import TenderBalance, refund_to_tenders

Doc = dict[str, Any]
FIGURES = ("orders", "quantity_milli", "gross", "discount", "tax", "shipping", "total",
           "refunds", "refunded_amount", "refunded_tax", "refunded_quantity_milli")
LINE_FIGURES = ("quantity_milli", "gross", "discount", "tax", "total")
DIMENSIONS = ("total", "product", "category", "cashier", "payment", "channel")
#: payments in these states took no money, so no report counts them
NOT_TAKEN = frozenset({"pending", "failed", "cancelled", "canceled", "declined", "voided"})
NO_CATEGORY = "none"
#: the same rows per calendar month (``day`` is "YYYY-MM"): a report over months reads
#: stores × months × keys documents instead of stores × days × keys (measured on the embedded
#: database: about 0.1–0.2 ms per document read, so 90 days of 200 products in 3 stores was
#: 54,000 day rows, slower than aggregating the raw lines)
MONTHLY = "sales_rollups_monthly"
UNKNOWN_CASHIER = "unknown"


def zone(name: object) -> ZoneInfo:
    """The store's IANA timezone; a missing or unknown one counts as UTC (never a failed sale)."""
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(at: datetime, tz: ZoneInfo) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return aware.astimezone(tz).date().isoformat()


def rollup_id(store_id: str, day: str, dimension: str, key: str) -> str:
    return f"{store_id}|{day}|{dimension}|{key}"


def cashier_key(order: Doc) -> str:
    if order.get("channel") == "online":
        return "online"
    return order.get("cashier_id") or UNKNOWN_CASHIER


def taken_payments(order: Doc) -> list[Doc]:
    return [p for p in order.get("payments", []) if p.get("status") not in NOT_TAKEN]


class _Rows:
    """The increments of one order or refund, per (dimension, key)."""

    def __init__(self) -> None:
        self.figures: dict[tuple[str, str], dict[str, int]] = {}
        self.names: dict[str, str] = {}

    def add(self, dimension: str, key: str, **figures: int) -> None:
        row = self.figures.setdefault((dimension, key), {})
        for name, value in figures.items():
            row[name] = row.get(name, 0) + int(value)

    def add_whole(self, order: Doc, figures: dict[str, int]) -> None:
        """Figures of the whole order (or refund) on the rows it counts in as one."""
        for dimension, key in (("total", "all"), ("channel", order.get("channel") or "till"),
                               ("cashier", cashier_key(order))):
            self.add(dimension, key, **figures)

    def add_lines(self, counter: str, one: int, parts: list[tuple[Doc, dict[str, int]]]) -> None:
        """Figures per order line on its product and category rows; ``counter`` (orders or
        refunds) counts ``one`` once per row, however many lines share it."""
        for dimension, key_of in LINE_DIMENSIONS:
            seen: set[str] = set()
            for line, figures in parts:
                key = key_of(line)
                self.add(dimension, key, **{counter: 0 if key in seen else one}, **figures)
                seen.add(key)
                if dimension == "product" and counter == "orders" and line.get("name"):
                    self.names[key] = line["name"]


LINE_DIMENSIONS = (("product", lambda line: line["product_id"]),
                   ("category", lambda line: line.get("category_id") or NO_CATEGORY))


def _order_rows(order: Doc, sign: int) -> _Rows:
    rows = _Rows()
    lines = order.get("lines", [])
    rows.add_whole(order, {
        "orders": sign, "quantity_milli": sign * sum(l["quantity_milli"] for l in lines),
        "gross": sign * sum(l["gross"] for l in lines),
        "discount": sign * sum(l["discount"] for l in lines),
        "tax": sign * order.get("tax_total", 0), "shipping": sign * order.get("shipping_total", 0),
        "total": sign * order.get("total", 0)})
    rows.add_lines("orders", sign, [(line, {f: sign * line[f] for f in LINE_FIGURES})
                                    for line in lines])
    methods: set[str] = set()
    for payment in taken_payments(order):
        method = payment["method"]
        rows.add("payment", method, orders=sign if method not in methods else 0,
                 total=sign * payment["amount"])
        methods.add(method)
    return rows


def refund_split(db: Database, order: Doc, refund: Doc,
                 session: ClientSession | None) -> list[tuple[str, int]]:
    """(method, amount) of a refund: as the refund says (its ``tenders``), or else as the
    domain's rule (``refund_to_tenders``: non-cash first, never more than a tender holds)
    spreads it after the order's other refunds, so the split is the same whoever computes it."""
    given = refund.get("tenders") or refund.get("payments")  # the orders domain writes tenders
    if given:
        return [(t["method"], int(t["amount"])) for t in given if t.get("amount")]
    taken = taken_payments(order)
    earlier = sum(int(r["amount"]) for r in db.refunds.find(
        {"order_id": order["_id"]}, {"amount": 1}, session=session) if r["_id"] != refund["_id"])
    balances = [TenderBalance(p.get("id", str(i)), p["method"], int(p["amount"]), 0)
                for i, p in enumerate(taken)]
    try:
        before = {b.payment_id: a for b, a in refund_to_tenders(earlier, balances)}
        after = refund_to_tenders(earlier + int(refund["amount"]), balances)
    except DomainError:  # more refunded than taken: reported as not attributable, never lost
        return [("unattributed", int(refund["amount"]))]
    return [(b.method, a - before.get(b.payment_id, 0)) for b, a in after
            if a - before.get(b.payment_id, 0)]


def _refund_rows(db: Database, order: Doc, refund: Doc, session: ClientSession | None) -> _Rows:
    rows = _Rows()
    lines = {l["index"]: l for l in order.get("lines", [])}
    refunded = refund.get("lines", [])
    rows.add_whole(order, {
        "refunds": 1, "refunded_amount": int(refund["amount"]),
        "refunded_tax": sum(int(r.get("tax", 0)) for r in refunded),
        "refunded_quantity_milli": sum(int(r["quantity_milli"]) for r in refunded)})
    rows.add_lines("refunds", 1, [(lines[part["index"]], {
        "refunded_amount": part["amount"], "refunded_tax": part.get("tax", 0),
        "refunded_quantity_milli": part["quantity_milli"]}) for part in refunded])
    methods: set[str] = set()
    for method, amount in refund_split(db, order, refund, session):
        rows.add("payment", method, refunds=1 if method not in methods else 0,
                 refunded_amount=amount)
        methods.add(method)
    return rows


def _store(db: Database, store_id: str, session: ClientSession | None) -> Doc:
    return db.stores.find_one({"_id": store_id}, {"timezone": 1, "currency": 1},
                              session=session) or {}


def _write(db: Database, order: Doc, at: datetime, rows: _Rows,
           session: ClientSession | None) -> None:
    """The day rows (the contract's shape) and the month rows beside them, each one
    ``bulk_write`` of upserted ``$inc``s: two round trips per order, whatever its size."""
    store = _store(db, order["store_id"], session)
    day = local_day(at, zone(store.get("timezone")))
    currency = order.get("currency") or store.get("currency")
    for collection, period in ((db.sales_rollups, day), (db[MONTHLY], day[:7])):
        ops: list[UpdateOne] = []
        for (dimension, key), figures in sorted(rows.figures.items()):
            update: Doc = {"$inc": {f: figures.get(f, 0) for f in FIGURES},
                           "$setOnInsert": {"store_id": order["store_id"], "day": period,
                                            "dimension": dimension, "key": key,
                                            "currency": currency}}
            if dimension == "product" and rows.names.get(key):
                update["$set"] = {"name": rows.names[key]}  # the latest sale's, for display
            ops.append(UpdateOne({"_id": rollup_id(order["store_id"], period, dimension, key)},
                                 update, upsert=True))
        if ops:
            collection.bulk_write(ops, ordered=True, session=session)


def apply_order(db: Database, *, session: ClientSession, order: dict[str, Any]) -> None:
    """Add a new order (its stored document, see ``server.orders.service``) to the rollups."""
    _write(db, order, order["created_at"], _order_rows(order, 1), session)


def apply_orders(db: Database, *, session: ClientSession, orders: list[dict[str, Any]]) -> None:
    """``apply_order`` for many new orders at once (a till's pushed batch): their increments
    merged per row, so two bulk writes in all instead of two per order. (Beyond the
    contract: for sync.)"""
    stores = {sid: _store(db, sid, session) for sid in sorted({o["store_id"] for o in orders})}
    merged: dict[tuple[str, str], Doc] = {}
    for order in orders:
        store = stores[order["store_id"]]
        day = local_day(order["created_at"], zone(store.get("timezone")))
        currency = order.get("currency") or store.get("currency")
        rows = _order_rows(order, 1)
        for collection, period in (("sales_rollups", day), (MONTHLY, day[:7])):
            for (dimension, key), figures in rows.figures.items():
                rid = rollup_id(order["store_id"], period, dimension, key)
                update = merged.setdefault((collection, rid), {
                    "$inc": {f: 0 for f in FIGURES},
                    "$setOnInsert": {"store_id": order["store_id"], "day": period,
                                     "dimension": dimension, "key": key, "currency": currency}})
                for name in FIGURES:
                    update["$inc"][name] += figures.get(name, 0)
                if dimension == "product" and rows.names.get(key):
                    update["$set"] = {"name": rows.names[key]}
    for collection in ("sales_rollups", MONTHLY):
        ops = [UpdateOne({"_id": rid}, update, upsert=True)
               for (name, rid), update in sorted(merged.items()) if name == collection]
        if ops:
            db[collection].bulk_write(ops, ordered=True, session=session)


def apply_refund(db: Database, *, session: ClientSession, order: dict[str, Any],
                 refund: dict[str, Any]) -> None:
    """Add a refund of ``order`` (see ``server.orders.service`` for both shapes)."""
    _write(db, order, refund["at"], _refund_rows(db, order, refund, session), session)


def remove_order(db: Database, *, session: ClientSession, order: dict[str, Any]) -> None:
    """Take back an order that never became a sale (cancelled before it was paid): the
    exact opposite of ``apply_order``, on the order's own day. (Beyond the contract: for the
    orders owner's cancel path.)"""
    _write(db, order, order["created_at"], _order_rows(order, -1), session)


def apply_payment(db: Database, *, session: ClientSession, order: dict[str, Any],
                  payment: dict[str, Any]) -> None:
    """Count a payment taken after the order was recorded (an online order paid later), on
    the order's day so that a day's payments stay beside its sales. (Beyond the contract.)"""
    rows = _Rows()
    already = {p["method"] for p in taken_payments(order) if p.get("id") != payment.get("id")}
    rows.add("payment", payment["method"], orders=0 if payment["method"] in already else 1,
             total=int(payment["amount"]))
    _write(db, order, order["created_at"], rows, session)

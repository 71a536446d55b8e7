"""The rollups against a full aggregation over the raw documents: many random orders and
refunds (three stores in three timezones, days across a DST change, cashiers, online orders
with shipping, split and failed payments, repeated products, partial refunds) are written
through ``apply_order`` / ``apply_refund`` in real transactions, then every report is compared,
to the unit, with a plain-Python aggregation over the raw order and refund documents.

Orders are built in parallel by another engineer, so the fixture writes orders and refunds
in the documented stored shape (``server.orders.service``) directly with pymongo, in the same
transaction as the rollup update, as checkout will."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from server.database import in_transaction
from server.reports import rollups
from server.reports.indexes import ensure_indexes
from tests.server.test_users import as_role

API = "/api/v1/reports"
STORES = [("s-utc", "S01", "UTC", "EUR"), ("s-akl", "S02", "Pacific/Auckland", "NZD"),
          ("s-nyc", "S03", "America/New_York", "USD")]
PRODUCTS = [(f"p{i}", f"Product {i}", f"cat{i % 3}" if i % 4 else None) for i in range(8)]
CASHIERS = ["u-ann", "u-bob", None]
START = datetime(2026, 3, 6, 0, 0, tzinfo=timezone.utc)  # New York moves its clocks on 8 March
SUMS = ("orders", "quantity_milli", "gross", "discount", "tax", "shipping", "total", "refunds",
        "refunded_amount", "refunded_tax", "refunded_quantity_milli")


def make_order(rng: random.Random) -> dict:
    store_id, code, _, currency = rng.choice(STORES)
    online = rng.random() < 0.25
    lines = []
    for index in range(rng.randint(1, 5)):
        product_id, name, category = rng.choice(PRODUCTS)  # a product may come twice
        quantity = rng.choice([1000, 2000, 3000, 250, 1500])
        unit = rng.randint(50, 5000)
        gross = unit * quantity // 1000
        discount = rng.randint(0, gross // 3)
        tax = (gross - discount) * rng.choice([0, 70, 200]) // 1000
        total = gross - discount + tax
        lines.append({"index": index, "product_id": product_id, "variant_id": product_id + "v",
                      "sku": product_id, "name": name, "category_id": category, "brand": "",
                      "quantity_milli": quantity, "unit_price": unit, "gross": gross,
                      "discount": discount, "tax": tax, "total": total, "taxes": [],
                      "refunded_quantity_milli": 0, "refunded_amount": 0})
    shipping = rng.choice([0, 499]) if online else 0
    total = sum(l["total"] for l in lines) + shipping
    card = rng.randint(0, total) if rng.random() < 0.5 else (total if rng.random() < 0.5 else 0)
    payments = [{"id": str(uuid.uuid4()), "method": m, "amount": a, "status": "captured",
                 "provider_ref": None} for m, a in (("card", card), ("cash", total - card)) if a]
    if rng.random() < 0.2:
        payments.append({"id": str(uuid.uuid4()), "method": "card", "amount": 999,
                         "status": "failed", "provider_ref": None})
    at = START + timedelta(minutes=rng.randint(0, 6 * 24 * 60))
    return {"_id": str(uuid.uuid4()), "number": f"{code}-X-{rng.randint(1, 10**6):06d}",
            "store_id": store_id, "channel": "online" if online else "till",
            "status": "pending" if online else "delivered", "customer_id": None, "email": None,
            "currency": currency, "prices_include_tax": False, "lines": lines,
            "subtotal": sum(l["gross"] for l in lines),
            "discount_total": sum(l["discount"] for l in lines),
            "tax_total": sum(l["tax"] for l in lines), "shipping_total": shipping,
            "total": total, "coupon_code": None, "payments": payments,
            "paid_total": total, "refunded_total": 0, "shipping_address": None,
            "cashier_id": None if online else rng.choice(CASHIERS), "register_id": None,
            "history": [], "flags": [], "version": 1, "created_at": at, "updated_at": at}


def make_refund(rng: random.Random, order: dict, refunded: dict) -> dict | None:
    """A partial refund of a few lines that never returns more than was sold or paid."""
    parts, room = [], order["total"] - refunded["amount"]
    for line in rng.sample(order["lines"], k=rng.randint(1, len(order["lines"]))):
        left_q = line["quantity_milli"] - refunded["q"].get(line["index"], 0)
        left_a = line["total"] - refunded["a"].get(line["index"], 0)
        if left_q <= 0 or left_a <= 0 or room <= 0:
            continue
        quantity = rng.randint(1, left_q)
        amount = min(rng.randint(0, left_a), room)
        room -= amount
        parts.append({"index": line["index"], "quantity_milli": quantity, "amount": amount,
                      "tax": amount * line["tax"] // max(line["total"], 1)})
    if not parts:
        return None
    for p in parts:
        refunded["q"][p["index"]] = refunded["q"].get(p["index"], 0) + p["quantity_milli"]
        refunded["a"][p["index"]] = refunded["a"].get(p["index"], 0) + p["amount"]
    amount = sum(p["amount"] for p in parts)
    refunded["amount"] += amount
    refund = {"_id": str(uuid.uuid4()), "order_id": order["_id"], "lines": parts,
              "amount": amount, "reason": "returned", "actor": "user:test",
              "at": order["created_at"] + timedelta(hours=rng.randint(0, 72))}
    if rng.random() < 0.3:  # the orders domain says where the money went
        refund["tenders"] = [{"payment_id": None, "method": "voucher", "amount": amount}]
    return refund


@pytest.fixture(scope="module")
def world():
    rng = random.Random(20261201)
    orders = [make_order(rng) for _ in range(110)]
    refunds = []
    for order in orders:
        state = {"amount": 0, "q": {}, "a": {}}
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            refund = make_refund(rng, order, state)
            if refund:
                refunds.append(refund)
    return orders, refunds


@pytest.fixture(scope="module")
def client(mongo_uri, tmp_path_factory):
    """One app and database for the module: filling it is the slow part, and reports only
    read it."""
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.database import Mongo
    from tests.support.server_fixtures import make_settings

    name = f"t_{uuid.uuid4().hex[:16]}"
    settings = make_settings(mongo_uri, name, tmp_path_factory.mktemp("reports"))
    app = create_app(settings, Mongo.open(mongo_uri, name))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.mongo.client.drop_database(name)
    app.state.mongo.close()


@pytest.fixture(scope="module")
def filled(client, world):
    db = client.app.state.mongo.db
    ensure_indexes(db)
    now = datetime.now(timezone.utc)
    db.stores.insert_many([{"_id": sid, "code": code, "name": f"Store {code}", "currency": cur,
                            "prices_include_tax": False, "timezone": tz, "address": "",
                            "tax_number": "", "version": 1, "created_at": now,
                            "updated_at": now} for sid, code, tz, cur in STORES])
    db.categories.insert_many([{"_id": f"cat{i}", "name": f"Category {i}"} for i in range(3)])
    orders, refunds = world
    for order in orders:
        def sale(s, order=order):
            db.orders.insert_one(order, session=s)
            rollups.apply_order(db, session=s, order=order)
        in_transaction(db, sale)
    for refund in refunds:
        order = next(o for o in orders if o["_id"] == refund["order_id"])

        def give(s, refund=refund, order=order):
            db.refunds.insert_one(refund, session=s)
            rollups.apply_refund(db, session=s, order=order, refund=refund)
        in_transaction(db, give)
    return as_role(client, "owner")[1]


# ---- the independent aggregation over the raw documents -------------------------------------

def local_day(at: datetime, store_id: str) -> date:
    tz = next(tz for sid, _, tz, _ in STORES if sid == store_id)
    return at.astimezone(ZoneInfo(tz)).date()


def bucket(day: date, group_by: str) -> str:
    if group_by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()[:7] if group_by == "month" else day.isoformat()


def tender_split(order: dict, earlier: int, amount: int) -> dict[str, int]:
    """Non-cash tenders first, each up to what it took: the refund's share after ``earlier``."""
    taken = [p for p in order["payments"] if p["status"] == "captured"]
    taken.sort(key=lambda p: p["method"] == "cash")
    split: dict[str, int] = defaultdict(int)
    skip, left = earlier, amount
    for p in taken:
        room = p["amount"]
        used = min(skip, room)
        skip -= used
        take = min(left, room - used)
        split[p["method"]] += take
        left -= take
    return {m: a for m, a in split.items() if a}


def expected(world, group_by: str, start: date, end: date, store_id: str | None) -> dict:
    orders, refunds = world
    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMS, 0))

    def keep(doc_store: str, day: date) -> bool:
        return start <= day <= end and store_id in (None, doc_store)

    def whole_key(order: dict, day: date) -> str:
        if group_by in ("day", "week", "month"):
            return bucket(day, group_by)
        return {"store": order["store_id"], "channel": order["channel"], "total": "all",
                "cashier": "online" if order["channel"] == "online"
                else order["cashier_id"] or "unknown"}[group_by]

    by_id = {o["_id"]: o for o in orders}
    for order in orders:
        day = local_day(order["created_at"], order["store_id"])
        if not keep(order["store_id"], day):
            continue
        cur = order["currency"]
        if group_by in ("product", "category"):
            seen = set()
            for line in order["lines"]:
                key = line["product_id"] if group_by == "product" else \
                    line["category_id"] or "none"
                row = rows[key, cur]
                row["orders"] += key not in seen
                seen.add(key)
                for f in ("quantity_milli", "gross", "discount", "tax", "total"):
                    row[f] += line[f]
        elif group_by == "payment":
            for method in {p["method"] for p in order["payments"] if p["status"] == "captured"}:
                rows[method, cur]["orders"] += 1
                rows[method, cur]["total"] += sum(p["amount"] for p in order["payments"]
                                                  if p["method"] == method
                                                  and p["status"] == "captured")
        else:
            row = rows[whole_key(order, day), cur]
            row["orders"] += 1
            row["quantity_milli"] += sum(l["quantity_milli"] for l in order["lines"])
            row["gross"] += order["subtotal"]
            row["discount"] += order["discount_total"]
            for f, source in (("tax", "tax_total"), ("shipping", "shipping_total"),
                              ("total", "total")):
                row[f] += order[source]
    earlier: dict[str, int] = defaultdict(int)
    for refund in refunds:
        order = by_id[refund["order_id"]]
        prior = earlier[order["_id"]]
        earlier[order["_id"]] += refund["amount"]
        day = local_day(refund["at"], order["store_id"])
        if not keep(order["store_id"], day):
            continue
        cur = order["currency"]
        if group_by in ("product", "category"):
            seen = set()
            for part in refund["lines"]:
                line = order["lines"][part["index"]]
                key = line["product_id"] if group_by == "product" else \
                    line["category_id"] or "none"
                row = rows[key, cur]
                row["refunds"] += key not in seen
                seen.add(key)
                row["refunded_amount"] += part["amount"]
                row["refunded_tax"] += part["tax"]
                row["refunded_quantity_milli"] += part["quantity_milli"]
        elif group_by == "payment":
            split = ({t["method"]: t["amount"] for t in refund["tenders"] if t["amount"]}
                     if refund.get("tenders")
                     else tender_split(order, prior, refund["amount"]))
            for method, amount in split.items():
                rows[method, cur]["refunds"] += 1
                rows[method, cur]["refunded_amount"] += amount
        else:
            row = rows[whole_key(order, day), cur]
            row["refunds"] += 1
            row["refunded_amount"] += refund["amount"]
            row["refunded_tax"] += sum(p["tax"] for p in refund["lines"])
            row["refunded_quantity_milli"] += sum(p["quantity_milli"] for p in refund["lines"])
    for row in rows.values():
        row["net_total"] = row["total"] - row["refunded_amount"]
        row["net_quantity_milli"] = row["quantity_milli"] - row["refunded_quantity_milli"]
    return dict(rows)


def served(rows: list[dict]) -> dict:
    return {(r["key"], r["currency"]): {k: v for k, v in r.items()
                                        if k not in ("key", "currency", "label")}
            for r in rows}


RANGES = [(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 3, 7), date(2026, 3, 9)),
          (date(2026, 3, 8), date(2026, 3, 8)), (date(2026, 3, 12), date(2026, 3, 20)),
          # whole months from the month rows, partial ones from the day rows
          (date(2026, 2, 15), date(2026, 4, 10)), (date(2026, 3, 7), date(2026, 4, 30)),
          (date(2026, 2, 1), date(2026, 3, 10))]


@pytest.mark.parametrize("group_by", ["day", "week", "month", "product", "category", "cashier",
                                      "payment", "store", "channel"])
def test_every_report_equals_the_aggregation_over_raw_documents(client, world, filled,
                                                                group_by):
    checked = 0
    for (start, end) in RANGES:
        for store_id in (None, "s-akl", "s-nyc"):
            params = {"from": start.isoformat(), "to": end.isoformat(), "group_by": group_by}
            if store_id:
                params["store_id"] = store_id
            response = client.get(f"{API}/sales", params=params, headers=filled)
            assert response.status_code == 200, response.text
            report = response.json()
            want = expected(world, group_by, start, end, store_id)
            assert served(report["rows"]) == want, (group_by, start, end, store_id)
            totals = expected(world, "total", start, end, store_id)
            assert {t["currency"]: {k: v for k, v in t.items() if k != "currency"}
                    for t in report["totals"]} == {c: v for (_, c), v in totals.items()}
            checked += len(want)
    assert checked >= len(RANGES)  # the ranges really hold sales


def test_labels_and_order_of_rows(client, filled):
    month = {"from": "2026-03-01", "to": "2026-03-31"}
    days = client.get(f"{API}/sales", params=month, headers=filled).json()["rows"]
    assert [r["key"] for r in days] == sorted(r["key"] for r in days)
    products = client.get(f"{API}/sales", params=month | {"group_by": "product"},
                          headers=filled).json()["rows"]
    assert {r["label"] for r in products} <= {name for _, name, _ in PRODUCTS}
    cats = client.get(f"{API}/sales", params=month | {"group_by": "category"},
                      headers=filled).json()["rows"]
    assert {r["label"] for r in cats} <= {"Category 0", "Category 1", "Category 2",
                                          "(no category)"}
    stores = client.get(f"{API}/sales", params=month | {"group_by": "store"},
                        headers=filled).json()["rows"]
    assert sorted(r["label"] for r in stores) == ["S01 Store S01", "S02 Store S02",
                                                  "S03 Store S03"]


@pytest.mark.parametrize("by, figure", [("total", "net_total"),
                                        ("quantity", "net_quantity_milli")])
def test_top_products_are_the_best_net_sellers(client, world, filled, by, figure):
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    want = expected(world, "product", start, end, "s-utc")
    ranked = sorted(want.items(), key=lambda kv: (-kv[1][figure], kv[0][0]))[:3]
    response = client.get(f"{API}/top-products", headers=filled, params={
        "from": start.isoformat(), "to": end.isoformat(), "store_id": "s-utc", "limit": 3,
        "by": by})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["key"], i[figure]) for i in items] == [(k[0], v[figure]) for k, v in ranked]

"""``/api/v1/reports`` input checks (422 naming the field, 404 for an unknown store, 403 for
roles without REPORTS_READ) and the rollup functions beyond the contract (``remove_order`` for
an order cancelled unpaid, ``apply_payment`` for a payment taken later). Orders are written in
the documented stored shape by the test, since the orders domain is built in parallel."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from server.database import in_transaction
from server.reports import rollups
from tests.server.test_users import as_role

API = "/api/v1/reports"
AT = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)


@pytest.fixture
def owner(client):
    return as_role(client, "owner")[1]


def store(db, tz: str = "Europe/Berlin") -> str:
    store_id = str(uuid.uuid4())
    db.stores.insert_one({"_id": store_id, "code": "S" + store_id[:3], "name": "Berlin",
                          "currency": "EUR", "prices_include_tax": True, "timezone": tz,
                          "version": 1, "created_at": AT, "updated_at": AT})
    return store_id


def order(store_id: str, *, payments: list[dict]) -> dict:
    line = {"index": 0, "product_id": "p1", "variant_id": "v1", "sku": "A", "name": "Mug",
            "category_id": None, "brand": "", "quantity_milli": 2000, "unit_price": 600,
            "gross": 1200, "discount": 200, "tax": 160, "total": 1000, "taxes": [],
            "refunded_quantity_milli": 0, "refunded_amount": 0}
    return {"_id": str(uuid.uuid4()), "store_id": store_id, "channel": "online",
            "status": "pending", "currency": "EUR", "lines": [line], "subtotal": 1200,
            "discount_total": 200, "tax_total": 160, "shipping_total": 300, "total": 1300,
            "payments": payments, "cashier_id": None, "created_at": AT}


def report(client, headers, store_id: str, group_by: str) -> list[dict]:
    response = client.get(f"{API}/sales", headers=headers, params={
        "from": "2026-07-01", "to": "2026-07-01", "store_id": store_id, "group_by": group_by})
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_an_unpaid_order_counts_no_payment_until_one_is_taken(client, owner):
    db = client.app.state.mongo.db
    store_id = store(db)  # 23:30 UTC is already 1 July in Berlin
    pending = {"id": "pay-1", "method": "card", "amount": 1300, "status": "pending"}
    sale = order(store_id, payments=[pending])
    in_transaction(db, lambda s: rollups.apply_order(db, session=s, order=sale))
    [total] = report(client, owner, store_id, "day")
    assert (total["key"], total["orders"], total["total"], total["shipping"]) == \
        ("2026-07-01", 1, 1300, 300)
    assert report(client, owner, store_id, "payment") == []
    [cashier] = report(client, owner, store_id, "cashier")
    assert cashier["key"] == "online" and cashier["label"] == "(online)"
    taken = {**pending, "status": "captured"}
    in_transaction(db, lambda s: rollups.apply_payment(db, session=s, order=sale, payment=taken))
    [card] = report(client, owner, store_id, "payment")
    assert (card["key"], card["orders"], card["total"]) == ("card", 1, 1300)


def test_an_order_cancelled_unpaid_leaves_nothing_behind(client, owner):
    db = client.app.state.mongo.db
    store_id = store(db)
    sale = order(store_id, payments=[{"id": "p", "method": "cash", "amount": 1300,
                                      "status": "captured"}])
    in_transaction(db, lambda s: rollups.apply_order(db, session=s, order=sale))
    in_transaction(db, lambda s: rollups.remove_order(db, session=s, order=sale))
    for group_by in ("day", "product", "payment", "channel"):
        for row in report(client, owner, store_id, group_by):
            assert all(row[f] == 0 for f in rollups.FIGURES), row


@pytest.mark.parametrize("params, status, field", [
    ({"to": "2026-01-01"}, 422, "from"),
    ({"from": "2026-01-01"}, 422, "to"),
    ({"from": "2026-1-1", "to": "2026-01-02"}, 422, "from"),
    ({"from": "2026-02-30", "to": "2026-03-01"}, 422, "from"),
    ({"from": "2026-01-02", "to": "2026-01-01"}, 422, "to"),
    ({"from": "2020-01-01", "to": "2023-01-02"}, 422, "to"),
    ({"from": "2026-01-01", "to": "2026-01-02", "group_by": "colour"}, 422, "group_by"),
    ({"from": "2026-01-01", "to": "2026-01-02", "colour": "red"}, 422, "colour"),
    ({"from": "2026-01-01", "to": "2026-01-02", "store_id": "nowhere"}, 404, "store_id"),
])
def test_bad_report_requests_are_refused_naming_the_field(client, owner, params, status,
                                                          field):
    response = client.get(f"{API}/sales", params=params, headers=owner)
    assert response.status_code == status, response.text
    assert response.json()["error"]["details"]["field"] == field


def test_three_years_are_allowed_and_top_products_check_their_input(client, owner):
    assert client.get(f"{API}/sales", params={"from": "2020-01-01", "to": "2022-12-31"},
                      headers=owner).status_code == 200
    base = {"from": "2026-01-01", "to": "2026-01-31"}
    assert client.get(f"{API}/top-products", params=base, headers=owner).json()["items"] == []
    for params, field in (({"by": "price"}, "by"), ({"limit": 0}, "limit"),
                          ({"group_by": "day"}, "group_by")):
        response = client.get(f"{API}/top-products", params=base | params, headers=owner)
        assert response.status_code == 422 and field in response.text, response.text


def test_reports_need_the_reports_permission(client):
    for role in ("cashier", "support", "stock_clerk"):
        _, headers = as_role(client, role)
        assert client.get(f"{API}/sales", headers=headers).status_code == 403
    _, manager = as_role(client, "manager")
    assert client.get(f"{API}/sales", params={"from": "2026-01-01", "to": "2026-01-01"},
                      headers=manager).status_code == 200
    assert client.get(f"{API}/top-products").status_code == 401


@pytest.mark.parametrize("start, end, edges, months", [
    ("2026-03-01", "2026-03-31", [], ("2026-03", "2026-03")),
    ("2026-03-02", "2026-03-31", [("2026-03-02", "2026-03-31")], None),
    ("2026-02-15", "2026-04-10", [("2026-02-15", "2026-02-28"), ("2026-04-01", "2026-04-10")],
     ("2026-03", "2026-03")),
    ("2025-12-31", "2028-02-29", [("2025-12-31", "2025-12-31")], ("2026-01", "2028-02")),
    ("2026-03-05", "2026-03-05", [("2026-03-05", "2026-03-05")], None),
])
def test_a_range_reads_whole_months_and_the_days_around_them(start, end, edges, months):
    from server.reports.service import periods

    assert periods(start, end) == (edges, months)

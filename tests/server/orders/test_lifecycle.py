"""An order's life over HTTP on the in-process app: payments, status changes along the state
machine (409 with the allowed moves otherwise, 409 for a stale version), stock fulfilled on
shipping and released on cancelling, the coupon given back, mails, audit and history; the
staff list with filters, sorting and pagination; a customer's own orders."""

from __future__ import annotations

from tests.server.orders.fixtures import (API, ADDRESS, add, checkout, coupon, level, move,
                                          new_cart, pay, product, shopper, staff)


def _order(client, item, quantity=1, headers=None, code=None):
    cart = new_cart(client, headers)["id"]
    add(client, cart, item, quantity, headers)
    if code:
        assert client.post(f"{API}/carts/{cart}/coupon", headers=headers or {},
                           json={"code": code}).status_code == 200
    response = checkout(client, cart, headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_order_goes_from_paid_to_delivered_with_stock_mails_audit_and_history(client, mongo):
    owner, support = staff(client), staff(client, "support")
    item = product(client, owner, stock=5)
    order = _order(client, item, 2)
    half = pay(client, order, support, amount=1000)
    assert half["status"] == "pending" and half["paid_total"] == 1000
    over = client.post(f"{API}/orders/{order['id']}/payments", headers=support,
                       json={"method": "card", "amount": order["total"]})
    assert over.status_code == 422 and over.json()["error"]["details"]["field"] == "amount"
    paid = pay(client, half, support, amount=order["total"] - 1000)
    assert paid["status"] == "confirmed" and paid["paid_total"] == order["total"]
    by_payment = list(mongo.db.sales_rollups.find({"store_id": order["store_id"],
                                                   "dimension": "payment"}))
    assert [(r["key"], r["orders"], r["total"]) for r in by_payment] == [("card", 1, order["total"])]
    processing = move(client, paid, "processing", support)
    assert processing.status_code == 200, processing.text
    shipped = move(client, processing.json(), "shipped", support, tracking_number="TRK-123")
    assert shipped.status_code == 200, shipped.text
    stock = level(client, item["variant_id"])
    assert stock["on_hand_milli"] == 3000 and stock["reserved_milli"] == 0
    mail = mongo.db.email_outbox.find_one({"_id": f"order-shipped:{order['id']}"})
    assert "TRK-123" in mail["text"] and mail["to"] == order["email"]
    delivered = move(client, shipped.json(), "delivered", support).json()
    assert [h["to"] for h in delivered["history"]] == ["pending", "confirmed", "processing",
                                                      "shipped", "delivered"]
    assert delivered["history"][-1]["reason"] == "test: delivered"
    assert delivered["history"][-1]["actor"].startswith("user:")
    audits = list(mongo.db.audit_log.find({"target": order["id"], "action": "order.status"}))
    assert len(audits) == 3 and {a["details"]["reason"] for a in audits} >= {"test: shipped"}
    # against the state machine: 409 with the allowed moves
    back = move(client, delivered, "processing", support)
    assert back.status_code == 409
    assert back.json()["error"]["details"]["allowed"] == ["refunded"]
    stale = move(client, {**delivered, "version": delivered["version"] - 1}, "cancelled", support)
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["current_version"] == delivered["version"]
    nonsense = move(client, delivered, "lost", support)
    assert nonsense.status_code == 422
    detail = client.get(f"{API}/orders/{order['id']}", headers=support).json()
    assert detail["status"] == "delivered" and detail["refunds"] == []


def test_cancelling_an_unpaid_order_releases_stock_and_gives_the_coupon_back(client, mongo):
    owner = staff(client)
    item = product(client, owner, stock=2)
    offer = coupon(client, owner, usage_limit=1)
    order = _order(client, item, 2, code=offer["code"])
    assert mongo.db.coupons.find_one({"_id": offer["id"]})["used"] == 1
    assert level(client, item["variant_id"])["reserved_milli"] == 2000
    totals = {"store_id": order["store_id"], "dimension": "total"}
    assert sum(r["orders"] for r in mongo.db.sales_rollups.find(totals)) == 1
    cancelled = move(client, order, "cancelled", owner)
    assert cancelled.status_code == 200, cancelled.text
    assert sum(r["orders"] for r in mongo.db.sales_rollups.find(totals)) == 0
    assert level(client, item["variant_id"])["reserved_milli"] == 0
    assert mongo.db.coupons.find_one({"_id": offer["id"]})["used"] == 0
    again = move(client, cancelled.json(), "confirmed", owner)
    assert again.status_code == 409 and again.json()["error"]["details"]["allowed"] == ["refunded"]
    taken = client.post(f"{API}/orders/{order['id']}/payments", headers=owner,
                        json={"method": "cash", "amount": 100})
    assert taken.status_code == 409
    # the stock and the coupon are free again for the next shopper
    _order(client, item, 2, code=offer["code"])


def test_orders_list_with_filters_sort_and_pages_and_refuses_unknown_fields(client):
    owner, reader = staff(client), staff(client, "support")
    item = product(client, owner, stock=20)
    orders = [_order(client, item, n) for n in (1, 3, 2)]
    pay(client, orders[1], owner)
    listed = client.get(f"{API}/orders", headers=reader).json()
    assert [o["id"] for o in listed["items"]] == [o["id"] for o in reversed(orders)]
    by_total = client.get(f"{API}/orders?sort=-total&per_page=2", headers=reader).json()
    assert [o["id"] for o in by_total["items"]] == [orders[1]["id"], orders[2]["id"]]
    assert by_total["has_more"] is True
    page2 = client.get(f"{API}/orders?sort=-total&per_page=2&page=2", headers=reader).json()
    assert [o["id"] for o in page2["items"]] == [orders[0]["id"]] and not page2["has_more"]
    confirmed = client.get(f"{API}/orders?status=confirmed", headers=reader).json()["items"]
    assert [o["id"] for o in confirmed] == [orders[1]["id"]]
    day = orders[0]["created_at"][:10]
    ranged = client.get(f"{API}/orders?from={day}&to={day}&channel=online&store_id="
                        f"{orders[0]['store_id']}", headers=reader).json()["items"]
    assert len(ranged) == 3
    assert client.get(f"{API}/orders?from=2001-01-01&to=2001-01-02",
                      headers=reader).json()["items"] == []
    for query, field in (("sort=password", "sort"), ("colour=red", "colour"),
                         ("status=lost", "status"), ("from=yesterday", "from"),
                         ("from=2030-01-02&to=2030-01-01", "to"), ("customer_id[$ne]=x",
                                                                   "customer_id[$ne]")):
        refused = client.get(f"{API}/orders?{query}", headers=reader)
        assert refused.status_code == 422, (query, refused.text)
        details = refused.json()["error"]["details"]
        named = [d["field"] for d in details] if isinstance(details, list) else [details["field"]]
        assert any(field in n for n in named), (query, details)
    assert client.get(f"{API}/orders/no-such-order", headers=reader).status_code == 404


def test_a_customer_sees_only_their_own_orders(client):
    owner = staff(client)
    item = product(client, owner, stock=10)
    _, alice = shopper(client)
    _, bob = shopper(client)
    mine = _order(client, item, 1, alice)
    _order(client, item, 1, bob)
    _order(client, item, 1)  # a guest's
    listed = client.get(f"{API}/account/orders", headers=alice).json()
    assert [o["id"] for o in listed["items"]] == [mine["id"]]
    assert listed["items"][0]["shipping_address"] == {**ADDRESS, "line2": "", "region": "",
                                                      "phone": ""}
    assert client.get(f"{API}/orders/{mine['id']}", headers=alice).status_code == 403
    assert client.get(f"{API}/account/orders").status_code == 401

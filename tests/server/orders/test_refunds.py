"""Refunds over HTTP on the in-process app: line by line, never more than was paid (per line, in
total, and when two refunds race for the last item), the last one returns the shipping and
moves the order to refunded, with the refund stored and audited."""

from __future__ import annotations

import threading

from tests.server.orders.fixtures import (API, add, checkout, move, new_cart, pay, product,
                                          staff)


def _delivered(client, owner, lines):
    """An order of ``lines`` [(product view, pieces)], paid and delivered."""
    cart = new_cart(client)["id"]
    for view, quantity in lines:
        add(client, cart, view, quantity)
    order = checkout(client, cart).json()
    order = pay(client, order, owner)
    for status in ("processing", "shipped", "delivered"):
        response = move(client, order, status, owner)
        assert response.status_code == 200, response.text
        order = response.json()
    return order


def _refund(client, order, headers, lines, reason="returned"):
    return client.post(f"{API}/orders/{order['id']}/refunds", headers=headers,
                       json={"lines": lines, "reason": reason})


def test_partial_refunds_add_up_to_what_was_paid_and_never_more(client, mongo):
    owner, cashier = staff(client), staff(client, "cashier")
    a, b = product(client, owner, price=1000), product(client, owner, price=333)
    order = _delivered(client, owner, [(a, 3), (b, 1)])
    assert order["total"] == 3000 + 333 + 495 and order["paid_total"] == order["total"]
    first = _refund(client, order, cashier, [{"index": 0, "quantity": 1}])
    assert first.status_code == 201, first.text
    assert first.json()["refund"]["amount"] == 1000
    assert first.json()["order"]["status"] == "delivered"
    too_many = _refund(client, order, cashier, [{"index": 0, "quantity": 3}])
    assert too_many.status_code == 422
    assert too_many.json()["error"]["details"]["field"] == "lines.0.quantity"
    for bad, field in (([{"index": 7, "quantity": 1}], "lines.0.index"),
                       ([{"index": 1, "quantity": 1}, {"index": 1, "quantity": 1}], "lines.1.index"),
                       ([{"index": 0, "quantity": 0}], "lines.0.quantity"),
                       ([{"index": 0, "quantity": 1.5}], "lines.0.quantity"),
                       ([{"index": 0}], "lines.0.quantity")):
        refused = _refund(client, order, cashier, bad)
        assert refused.status_code == 422, (bad, refused.text)
        details = refused.json()["error"]["details"]
        named = [d["field"] for d in details] if isinstance(details, list) else [details["field"]]
        assert field in named, (bad, details)
    rest = _refund(client, order, cashier, [{"index": 0, "quantity": 2}, {"index": 1, "quantity": 1}])
    assert rest.status_code == 201, rest.text
    body = rest.json()
    assert body["refund"]["amount"] == 2000 + 333 + 495 and body["refund"]["shipping"] == 495
    assert body["order"]["status"] == "refunded"
    assert body["order"]["refunded_total"] == order["paid_total"]
    assert body["order"]["payments"][0]["refunded"] == order["paid_total"]
    assert _refund(client, order, cashier, [{"index": 1, "quantity": 1}]).status_code == 409
    refunds = client.get(f"{API}/orders/{order['id']}", headers=owner).json()["refunds"]
    assert sum(r["amount"] for r in refunds) == order["paid_total"]
    assert mongo.db.audit_log.count_documents({"target": order["id"],
                                               "action": "order.refund"}) == 2


def test_two_refunds_racing_for_the_last_item_give_it_back_once(client, mongo):
    owner = staff(client)
    item = product(client, owner, price=1250)
    order = _delivered(client, owner, [(item, 1)])
    answers, barrier = [], threading.Barrier(2)

    def go():
        barrier.wait()
        answers.append(_refund(client, order, owner, [{"index": 0, "quantity": 1}]))

    threads = [threading.Thread(target=go) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    codes = sorted(a.status_code for a in answers)
    assert codes[0] == 201 and codes[1] in (409, 422), [a.text for a in answers]
    stored = mongo.db.orders.find_one({"_id": order["id"]})
    assert stored["refunded_total"] == order["paid_total"] == 1250 + 495
    assert mongo.db.refunds.count_documents({"order_id": order["id"]}) == 1


def test_unpaid_or_unshipped_orders_cannot_be_refunded_and_refunded_is_not_a_manual_move(client):
    owner = staff(client)
    item = product(client, owner)
    cart = new_cart(client)["id"]
    add(client, cart, item, 1)
    pending = checkout(client, cart).json()
    early = _refund(client, pending, owner, [{"index": 0, "quantity": 1}])
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_refundable"
    cancelled = move(client, pending, "cancelled", owner).json()
    unpaid = _refund(client, cancelled, owner, [{"index": 0, "quantity": 1}])
    assert unpaid.status_code == 422 and "refundable" in unpaid.json()["error"]["message"]
    manual = move(client, cancelled, "refunded", owner)
    assert manual.status_code == 409 and manual.json()["error"]["code"] == "use_refunds"

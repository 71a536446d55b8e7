"""``cart.parked`` / ``cart.resumed`` / ``receipt.email`` pushed to the real app over the real
database: a parked cart reaches the store's other tills through the store feed, the first
resume wins and the second is told where and when, bad payloads are refused naming the field
and leave nothing, and an emailed receipt is rendered from the server's copy of the sale and
delivered to a real SMTP sink."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from app.domain.sync_protocol import store_feed
from server.changes import log as change_log
from server.mail.worker import EmailWorker
from server.security.deps import Principal
from server.sync.push import apply_batch
from server.sync.schemas import Mutation
from tests.server.sync.test_feed import pull_all
from tests.server.test_auth_helpers import mail_body
from tests.server.sync.test_push_helpers import (Till, mutation, new_store, pair, pushed, staff,
                                                 stocked_product, till_order)


def _cart(variant_id: str = "v-1", **changes: Any) -> dict[str, Any]:
    line = {"variant_id": variant_id, "quantity_milli": 2000,
            "discount": {"kind": "percent", "value": 100_000}, "unit_price": None,
            "price_source": "catalogue", "approved_by": None}
    return {"lines": [line], "order_discount": {"kind": "amount", "value": 50},
            "coupon_code": None, "customer_id": None, **changes}


def _parked(till: Till, cashier: str, **changes: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "store_id": till.store_id, "register_id": till.register_id,
            "staff_id": cashier, "label": "Anna — on hold", "cart": _cart(),
            "created_at": "2026-03-02T10:00:00+00:00", **changes}


def _resumed(till: Till, cart_id: str, cashier: str, at: str = "2026-03-02T10:30:00+00:00"):
    return {"id": cart_id, "register_id": till.register_id, "staff_id": cashier,
            "label": "Anna — on hold", "at": at}


def _feed(db, store_id: str) -> list[tuple[str, str, str]]:
    return [(e["entity"], e["entity_id"], e["op"])
            for e in change_log.read(db, store_feed(store_id), after=0, limit=1000)
            if e["entity"] == "parked_cart"]


@pytest.fixture
def shop(mongo):
    db = mongo.db
    store = new_store(db)
    db.stores.update_one({"_id": store["id"]}, {"$set": {"timezone": "Europe/Brussels"}})
    first, second = pair(db, store, "R01"), pair(db, store, "R02")
    return db, first, second, staff(db, "cashier")


def test_a_parked_cart_reaches_the_other_till_and_the_first_resume_wins(client, shop):
    db, first, second, cashier = shop
    cart = _parked(first, cashier)
    park = mutation(first, "cart.parked", cart)
    assert pushed(client, first, [park]) == [{"id": park["id"], "status": "applied"}]
    stored = db.parked_carts.find_one({"_id": cart["id"]})
    assert (stored["status"], stored["register_code"], stored["cart"]) == (
        "parked", "R01", _cart())
    changes, cursor, _ = pull_all(client, second.headers)
    [view] = [c for c in changes if c["entity"] == "parked_cart"]
    assert (view["entity_id"], view["op"], view["feed"]) == (cart["id"], "upsert",
                                                            store_feed(first.store_id))
    assert view["data"] == {"id": cart["id"], "store_id": first.store_id,
                            "register_id": first.register_id, "register_code": "R01",
                            "staff_id": cashier, "label": "Anna — on hold", "cart": _cart(),
                            "created_at": "2026-03-02T10:00:00+00:00", "version": 1}
    assert pushed(client, first, [park])[0]["status"] == "duplicate"  # a lost reply's retry

    taken = mutation(second, "cart.resumed", _resumed(second, cart["id"], cashier))
    assert pushed(client, second, [taken])[0]["status"] == "applied"
    later, _, _ = pull_all(client, first.headers, cursor)
    assert [(c["entity_id"], c["op"]) for c in later if c["entity"] == "parked_cart"] == [
        (cart["id"], "delete")]
    # the first till took it too while apart: refused, and told where and when
    [late] = pushed(client, first, [mutation(first, "cart.resumed",
                                             _resumed(first, cart["id"], cashier))])
    assert late["status"] == "rejected"
    assert late["reason"] == ("already resumed on register R02 at 2026-03-02 11:30 CET: the "
                              "cart was taken there too; check the other till before selling "
                              "it here (the same goods may have been sold twice)")
    # and it cannot be parked again under the same id
    [again] = pushed(client, first, [mutation(first, "cart.parked", cart)])
    assert again["status"] == "rejected" and "already resumed on register R02" in again["reason"]
    assert _feed(db, first.store_id) == [("parked_cart", cart["id"], "upsert"),
                                         ("parked_cart", cart["id"], "delete")]


def test_the_order_discounts_approver_travels_with_the_parked_cart(client, shop):
    db, first, second, cashier = shop
    manager = staff(db, "manager")
    cart = _parked(first, cashier, cart=_cart(order_discount_by=manager))
    assert pushed(client, first, [mutation(first, "cart.parked", cart)])[0]["status"] == "applied"
    changes, _, _ = pull_all(client, second.headers)
    [view] = [c for c in changes if c["entity"] == "parked_cart"]
    assert view["data"]["cart"]["order_discount_by"] == manager
    [bad] = pushed(client, first, [mutation(first, "cart.parked", _parked(
        first, cashier, cart=_cart(order_discount_by=12)))])
    assert bad["status"] == "rejected" and "order_discount_by" in bad["reason"]


def test_parked_and_resumed_in_one_batch_leaves_nothing_parked(client, shop):
    db, first, _, cashier = shop
    cart = _parked(first, cashier)
    results = pushed(client, first, [mutation(first, "cart.parked", cart),
                                     mutation(first, "cart.resumed",
                                              _resumed(first, cart["id"], cashier))])
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert db.parked_carts.find_one({"_id": cart["id"]})["status"] == "resumed"


def test_a_resume_the_server_never_saw_parked_is_kept_so_a_late_park_is_refused(client, shop):
    db, first, _, cashier = shop
    cart_id = str(uuid.uuid4())
    assert pushed(client, first, [mutation(first, "cart.resumed",
                                           _resumed(first, cart_id, cashier))])[0]["status"] \
        == "applied"
    assert _feed(db, first.store_id) == []
    [late] = pushed(client, first, [mutation(first, "cart.parked",
                                             _parked(first, cashier, id=cart_id))])
    assert late["status"] == "rejected" and "already resumed on register R01" in late["reason"]


def test_two_tills_resuming_at_once_one_wins(client, shop):
    db, first, second, cashier = shop
    cart = _parked(first, cashier)
    pushed(client, first, [mutation(first, "cart.parked", cart)])
    results: dict[str, dict] = {}

    def resume(till: Till) -> None:
        principal = Principal("device", till.device_id, None, None, till.store_id,
                              till.register_id)
        body = Mutation(**mutation(till, "cart.resumed", _resumed(till, cart["id"], cashier)))
        results[till.register_code] = apply_batch(db, principal=principal, mutations=[body],
                                                  request_id=None)["results"][0]

    threads = [threading.Thread(target=resume, args=(t,)) for t in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r["status"] for r in results.values()) == ["applied", "rejected"]
    winner = db.parked_carts.find_one({"_id": cart["id"]})["resumed"]["register_code"]
    loser = next(r for r in results.values() if r["status"] == "rejected")
    assert loser["reason"].startswith(f"already resumed on register {winner} at ")
    assert _feed(db, first.store_id).count(("parked_cart", cart["id"], "delete")) == 1


@pytest.mark.parametrize("change, reason", [
    ({"cart": None}, "payload.cart: must be an object"),
    ({"cart": _cart(lines=[])}, "payload.cart.lines: must be a list of at least one line"),
    ({"cart": _cart(lines=[{"variant_id": "v", "quantity_milli": 0}])},
     "payload.cart.lines[0].quantity_milli: must be greater than zero"),
    ({"cart": _cart(lines=[{"variant_id": "v", "quantity_milli": 1000, "price_source": "free"}])},
     "payload.cart.lines[0].price_source: 'free' is not one of catalogue, label, override"),
    ({"cart": _cart(order_discount={"kind": "percent", "value": 2_000_000})},
     "payload.cart.order_discount.value: must not be over 100 %"),
    ({"cart": _cart(order_discount={"kind": "gift", "value": 1})},
     "payload.cart.order_discount.kind: 'gift' is not percent or amount"),
    ({"cart": _cart(lines=[{"quantity_milli": 1000}])},
     "payload.cart.lines[0].variant_id: must be text"),
    ({"label": "x" * 101}, "payload.label: longer than 100 characters"),
    ({"store_id": "another-store"}, "payload.store_id: another-store is not this device's store"),
    ({"register_id": "another-register"},
     "payload.register_id: another-register is not this device's register"),
    ({"staff_id": None}, "staff_id: a staff member holding sale:create must make this change"),
    ({"staff_id": "nobody"}, "staff_id: no active staff member nobody"),
])
def test_a_bad_park_is_refused_naming_the_field_and_leaves_nothing(client, shop, change, reason):
    db, first, _, cashier = shop
    cart = _parked(first, cashier, **change)
    [result] = pushed(client, first, [mutation(first, "cart.parked", cart,
                                               staff_id=cart.get("staff_id"))])
    assert result["status"] == "rejected"
    assert result["reason"].startswith(reason), result["reason"]
    assert db.parked_carts.count_documents({}) == 0 and _feed(db, first.store_id) == []


def test_a_stock_clerk_may_not_park_and_another_stores_till_may_not_resume(client, shop):
    db, first, _, cashier = shop
    clerk = staff(db, "stock_clerk")
    [refused] = pushed(client, first, [mutation(first, "cart.parked", _parked(first, clerk))])
    assert refused["reason"] == "staff_id: a stock_clerk may not do this (sale:create)"
    cart = _parked(first, cashier)
    pushed(client, first, [mutation(first, "cart.parked", cart)])
    elsewhere = pair(db, new_store(db), "R01")
    [foreign] = pushed(client, elsewhere, [mutation(elsewhere, "cart.resumed",
                                                    _resumed(elsewhere, cart["id"], cashier))])
    assert foreign == {"id": foreign["id"], "status": "rejected",
                       "reason": f"payload.id: parked cart {cart['id']} belongs to another store"}
    assert db.parked_carts.find_one({"_id": cart["id"]})["status"] == "parked"


# -- emailed receipts -------------------------------------------------------------------------

def _receipt(order: dict, email: str = "ada@example.com") -> dict[str, Any]:
    return {"order_id": order["id"], "number": order["number"], "email": email}


def test_a_receipt_asked_for_with_its_sale_is_mailed_from_the_servers_copy(
        client, shop, settings, smtp_sink):
    db, first, _, cashier = shop
    tea = stocked_product(db, first.store_id, name="Darjeeling Tea")
    sale = till_order(first, [(tea, 2)], staff_id=cashier)  # 2 × 12.99, card VISA 4242
    cash = till_order(first, [(tea, 1)], staff_id=cashier)
    cash["payments"] = [{"id": str(uuid.uuid4()), "method": "cash", "amount": 1299,
                         "tendered": 2000, "refunded": 0, "reference": None,
                         "card_brand": None, "card_last4": None}]
    cash["change_given"] = 701
    ada, bob = f"ada-{uuid.uuid4().hex[:6]}@example.com", f"bob-{uuid.uuid4().hex[:6]}@example.com"
    batch = [mutation(first, "order.created", sale), mutation(first, "order.created", cash),
             mutation(first, "receipt.email", _receipt(sale, ada.upper()), entity_id=sale["id"]),
             mutation(first, "receipt.email", _receipt(cash, bob), entity_id=cash["id"])]
    assert [r["status"] for r in pushed(client, first, batch)] == ["applied"] * 4
    assert db.email_outbox.find_one({"_id": batch[2]["id"]})["to"] == ada
    assert pushed(client, first, batch[2:3])[0]["status"] == "duplicate"
    assert EmailWorker(db, settings).run_once() == 2
    mail = smtp_sink.wait_for(ada, subject_contains=sale["number"])
    text = mail_body(mail)
    shop_name = db.stores.find_one({"_id": first.store_id})["name"]
    assert mail["Subject"] == f"Your receipt {sale['number']} from {shop_name}"
    assert text.splitlines()[:3] == [shop_name, f"Receipt {sale['number']}",
                                     "2026-03-02 10:30 CET"]  # the store's time
    assert sale["number"] in text and "2 × Darjeeling Tea" in text and "12.99 each" in text
    assert "TOTAL EUR" in text and text.count("25.98") >= 2
    assert "VAT 21% (21 %, included)" in text and "4.51" in text
    assert "Card VISA •••• 4242" in text and "pi_test_1" not in text
    change = mail_body(smtp_sink.wait_for(bob, subject_contains=cash["number"]))
    assert "Cash (given 20.00)" in change and "Change" in change and "7.01" in change


@pytest.mark.parametrize("receipt, reason", [
    ({"order_id": "no-such-order", "number": None, "email": "a@example.com"},
     "payload.order_id: no order no-such-order on the server"),
    ({"email": "not an address"}, "payload.email: not an email address"),
    ({"email": None}, "payload.email: not an email address"),
    ({"number": "S99-R99-000001"}, "payload.number: S99-R99-000001 is not the number of order"),
])
def test_a_bad_receipt_request_is_refused_and_queues_no_mail(client, shop, receipt, reason):
    db, first, _, cashier = shop
    tea = stocked_product(db, first.store_id, name="Tea")
    sale = till_order(first, [(tea, 1)], staff_id=cashier)
    pushed(client, first, [mutation(first, "order.created", sale)])
    body = {**_receipt(sale), **receipt}
    [result] = pushed(client, first, [mutation(first, "receipt.email", body,
                                               entity_id=body["order_id"])])
    assert result["status"] == "rejected" and result["reason"].startswith(reason), result
    assert db.email_outbox.count_documents({"kind": "receipt"}) == 0


def test_another_stores_till_cannot_mail_this_stores_receipt(client, shop):
    db, first, _, cashier = shop
    tea = stocked_product(db, first.store_id, name="Tea")
    sale = till_order(first, [(tea, 1)], staff_id=cashier)
    pushed(client, first, [mutation(first, "order.created", sale)])
    elsewhere = pair(db, new_store(db), "R01")
    [result] = pushed(client, elsewhere, [mutation(elsewhere, "receipt.email", _receipt(sale),
                                                   entity_id=sale["id"])])
    assert result["reason"] == f"payload.order_id: order {sale['id']} belongs to another store"

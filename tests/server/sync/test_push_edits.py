"""``POST /sync/push`` with the till's edits, in-process over the real database: stock movements
by staff allowed to move stock, online order statuses with the server-wins version rule,
customers last-writer-wins per field with the overwritten value kept, and back-office
product edits that conflict when the product moved on."""

from __future__ import annotations

import uuid

from server.catalog.schemas import ProductPatch
from server.catalog.service import patch_product
from server.customers import service as customers
from server.customers.schemas import CustomerCreate, CustomerUpdate
from server.security.deps import Principal
from tests.server.orders.fixtures import checkout, new_cart, pay, product, staff as staff_auth
from tests.server.orders.fixtures import add, move
from tests.server.sync.test_push_helpers import (mutation, on_hand, pair, pushed, staff,
                                                 stocked_product, variant_of)

MANAGER = Principal("user", "test-manager", "manager")


def test_stock_movements_need_a_stock_clerk_and_a_known_variant(client, mongo):
    db = mongo.db
    till = pair(db)
    clerk, cashier = staff(db, "stock_clerk"), staff(db, "cashier")
    tea = stocked_product(db, till.store_id, 10_000, name="Tea")
    variant = variant_of(tea)

    def moved(kind: str, quantity: int, **extra):
        return {"id": str(uuid.uuid4()), "store_id": till.store_id, "variant_id": variant,
                "kind": kind, "quantity_milli": quantity, "reason": "test", "staff_id": clerk,
                "at": "2026-03-02T08:00:00+00:00", **extra}

    batch = [mutation(till, "stock.movement", moved("receipt", 5_000)),
             mutation(till, "stock.movement", moved("count", -2_000)),
             mutation(till, "stock.movement", moved("transfer", -1_000)),
             mutation(till, "stock.movement", moved("adjustment", 1_000, staff_id=cashier)),
             mutation(till, "stock.movement", moved("receipt", 1_000,
                                                    variant_id=str(uuid.uuid4()))),
             mutation(till, "stock.movement", moved("receipt", 1_500)),
             mutation(till, "stock.movement", moved("sale", -1_000))]
    results = pushed(client, till, batch)
    assert [r["status"] for r in results] == ["applied"] * 3 + ["rejected"] * 4
    assert "stock:write" in results[3]["reason"]
    assert results[4]["reason"].startswith("payload.variant_id: no product variant")
    assert "quantity" in results[5]["reason"]  # pieces come whole
    assert results[6]["reason"].startswith("payload.kind:")
    assert on_hand(db, till.store_id, variant) == 10_000 + 5_000 - 2_000 - 1_000
    kinds = {m["_id"]: m["kind"] for m in db.stock_movements.find({"variant_id": variant})}
    assert kinds[batch[2]["payload"]["id"]] == "transfer_out"
    assert kinds[batch[1]["payload"]["id"]] == "count"
    assert db.stock_movements.find_one({"_id": batch[0]["payload"]["id"]})["actor"] == \
        f"user:{clerk}"


def _online_order(client):
    owner = staff_auth(client, "owner")
    item = product(client, owner, price=1500, stock=5)
    cart = new_cart(client)
    add(client, cart["id"], item)
    order = checkout(client, cart["id"]).json()
    return owner, pay(client, order, owner)


def test_an_online_order_moves_on_the_tills_word_unless_the_server_moved_first(client, mongo):
    db = mongo.db
    owner, order = _online_order(client)  # confirmed, as the till pulled it
    till = pair(db)
    assert order["status"] == "confirmed"

    def change(frm: str, to: str, version: int):
        return {"order_id": order["id"], "number": order["number"], "from": frm, "to": to,
                "version": version, "reason": "picked at the shop"}

    manager = staff(db, "manager")
    results = pushed(client, till, [
        mutation(till, "order.status", change("confirmed", "processing", order["version"] + 1),
                 staff_id=manager),
        mutation(till, "order.status", change("processing", "delivered", order["version"] + 2))])
    assert results[0]["status"] == "applied"
    assert results[1]["status"] == "rejected" and "cannot go from processing to delivered" in \
        results[1]["reason"]
    stored = db.orders.find_one({"_id": order["id"]})
    assert stored["status"] == "processing" and stored["version"] == order["version"] + 1
    assert stored["history"][-1]["actor"] == f"user:{manager}"
    # the server ships it meanwhile; the till's cancel was based on the old version
    assert move(client, {**order, "version": stored["version"]}, "shipped", owner,
                tracking_number="TRK1").status_code == 200
    cancel = change("processing", "cancelled", stored["version"] + 1)
    stale = pushed(client, till, [mutation(till, "order.status", cancel)])
    assert stale[0]["status"] == "conflict"
    assert stale[0]["current"]["status"] == "shipped"
    assert stale[0]["current"]["version"] == stored["version"] + 1
    cashier = staff(db, "cashier")
    refused = pushed(client, till, [mutation(till, "order.status",
                                             change("shipped", "delivered", stored["version"] + 2),
                                             staff_id=cashier)])
    assert refused[0]["status"] == "rejected" and "orders:update" in refused[0]["reason"]


def test_customers_last_writer_wins_per_field_and_keeps_what_it_overwrote(client, mongo):
    db = mongo.db
    till = pair(db)
    cashier = staff(db, "cashier")
    customer_id = str(uuid.uuid4())
    fields = {"name": "Ada Lovelace", "email": "Ada@Example.com", "phone": "+44 20 1234",
              "address": "12 St James's Square, London", "notes": ""}
    created = pushed(client, till, [mutation(till, "customer.upsert", {
        "id": customer_id, "fields": fields, "base": None}, staff_id=cashier)])
    assert created == [{"id": created[0]["id"], "status": "applied"}]
    stored = db.customers.find_one({"_id": customer_id})
    assert stored["email"] == "ada@example.com" and stored["address"].startswith("12 St")
    assert db.change_log.count_documents({"entity_id": customer_id}) == 1
    # the back office edits the phone and notes online; the till, based on the old values,
    # edits the phone and the name
    customers.update(db, customer_id=customer_id, body=CustomerUpdate(
        version=stored["version"], phone="+44 20 9999", notes="VIP"), principal=MANAGER,
        ip=None, request_id=None)
    base = {"name": "Ada Lovelace", "phone": "+44 20 1234"}
    edit = pushed(client, till, [mutation(till, "customer.upsert", {
        "id": customer_id, "fields": {"name": "Ada King", "phone": "+44 20 5555"},
        "base": base}, staff_id=cashier)])[0]
    assert edit["status"] == "applied"
    assert edit["overridden"] == [{"field": "phone", "server_value": "+44 20 9999",
                                   "our_value": "+44 20 5555"}]
    stored = db.customers.find_one({"_id": customer_id})
    assert (stored["name"], stored["phone"], stored["notes"]) == ("Ada King", "+44 20 5555", "VIP")
    conflict = db.sync_conflicts.find_one({"entity_id": customer_id})
    assert (conflict["field"], conflict["overwritten"], conflict["incoming"]) == \
        ("phone", "+44 20 9999", "+44 20 5555")
    assert conflict["device_id"] == till.device_id


def test_customer_edits_are_validated_and_need_customers_write(client, mongo):
    db = mongo.db
    till = pair(db)
    cashier, clerk = staff(db, "cashier"), staff(db, "stock_clerk")
    taken = customers.create(db, body=CustomerCreate(name="Grace", email="grace@example.com"),
                             principal=MANAGER, ip=None, request_id=None)

    def upsert(fields, staff_id=cashier, base=None):
        return mutation(till, "customer.upsert", {"id": str(uuid.uuid4()), "fields": fields,
                                                  "base": base}, staff_id=staff_id)

    results = pushed(client, till, [
        upsert({"name": "Bad", "email": "not an email"}), upsert({"name": "x" * 201}),
        upsert({"email": "new@example.com"}), upsert({"name": "Ok", "shoe_size": 42}),
        upsert({"name": "Copy", "email": taken["email"]}), upsert({"name": "Ok"}, clerk),
        upsert({"name": "Fine", "email": "fine@example.com"})])
    reasons = [r.get("reason", "") for r in results]
    assert [r["status"] for r in results] == ["rejected"] * 6 + ["applied"]
    assert reasons[0].startswith("payload.fields.email: not an email")
    assert reasons[1].startswith("payload.fields.name: longer than 200")
    assert reasons[2].startswith("payload.fields.name: a new customer needs a name")
    assert reasons[3].startswith("payload.fields.shoe_size")
    assert reasons[4] == "payload.fields.email: another customer has the email grace@example.com"
    assert "customers:write" in reasons[5]
    assert db.customers.count_documents({}) == 2


def test_a_stale_product_edit_comes_back_as_a_conflict_with_the_servers_product(client, mongo):
    db = mongo.db
    till = pair(db)
    manager = staff(db, "manager")
    tea = stocked_product(db, till.store_id, name="Tea")
    variant = variant_of(tea)
    edit = {"id": tea["_id"], "base_version": 1,
            "fields": {"name": "Green tea", "tags": ["hot"], "low_stock_threshold_milli": 3000},
            "variants": [{"id": variant, "price": 1450, "cost": 600}]}
    applied = pushed(client, till, [mutation(till, "product.update", edit, staff_id=manager)])
    assert applied[0]["status"] == "applied"
    stored = db.products.find_one({"_id": tea["_id"]})
    assert stored["version"] == 2 and stored["name"] == "Green tea"
    assert stored["variants"][0]["prices"] == {"EUR": 1450}
    assert stored["variants"][0]["cost"] == {"EUR": 600}
    assert db.change_log.find_one({"entity_id": tea["_id"], "version": 2})["data"]["name"] == \
        "Green tea"
    patch_product(db, product_id=tea["_id"], body=ProductPatch(version=2, brand="Leafy"),
                  actor="test")
    stale = pushed(client, till, [mutation(till, "product.update", {
        **edit, "base_version": 2, "fields": {"name": "Black tea"}}, staff_id=manager)])
    assert stale[0]["status"] == "conflict"
    assert stale[0]["current"]["version"] == 3 and stale[0]["current"]["brand"] == "Leafy"
    assert db.products.find_one({"_id": tea["_id"]})["name"] == "Green tea"
    cashier = staff(db, "cashier")
    results = pushed(client, till, [
        mutation(till, "product.update", {**edit, "base_version": 3}, staff_id=cashier),
        mutation(till, "product.update", {**edit, "base_version": 3, "fields": {"name": ""}},
                 staff_id=manager),
        mutation(till, "product.update", {**edit, "base_version": 3,
                                          "variants": [{"id": "nope", "price": 1}]},
                 staff_id=manager)])
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert "catalog:write" in results[0]["reason"]
    assert results[1]["reason"].startswith("payload.fields.name")
    assert results[2]["reason"] == "payload.variants[0].id: no variant nope in this product"

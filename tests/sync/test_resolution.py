"""What each push result does to a real local store: carried movements settled, the server's
view put in place on a conflict, and issues in words for the staff."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app import inventory, outbox
from app.catalog_edit import update_product
from app.customers import create_customer, update_customer
from app.domain.tenders import TenderMethod
from app.orders import change_status
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.sales.identity import this_register
from app.sync_issues import list_issues
from db.models import (Customer, Order, OutboxEntry, Product, RemoteOrder, StockMovement,
                       SyncIssue, Variant)
from server.catalog.views import product_view, tax_class_view
from server.orders.views import order_view
from sync.apply import apply_entity
from sync.errors import ProtocolError
from sync.resolution import record_outcome
from tests.support import catalog

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
TAX_ID, PRODUCT_ID, VARIANT_ID = "tax-std", "prod-lamp", "var-lamp"


def _product_doc(name: str = "Desk Lamp", price: int = 2500, version: int = 1) -> dict:
    return {"_id": PRODUCT_ID, "name": name, "description": "", "brand": "Acme",
            "category_id": None, "tags": [], "tax_class_id": TAX_ID, "prices": {"EUR": price},
            "cost": {"EUR": 1000}, "sold_by_weight": False, "low_stock_threshold_milli": None,
            "variants": [{"id": VARIANT_ID, "sku": "LAMP", "name": "", "attributes": {},
                          "barcodes": ["2000000000015"], "prices": None, "cost": None,
                          "archived": False}],
            "images": [], "archived": False, "version": version, "created_at": NOW,
            "updated_at": NOW}


@pytest.fixture
def till(blank_shop):
    """A till holding the server's lamp (as a pull put it there), a manager and a cashier."""
    with blank_shop.write() as s:
        store = this_register(s)[0]
        tax = {"_id": TAX_ID, "name": "Standard", "rates": [{"name": "VAT 21%", "rate_ppm": 210_000}],
               "version": 1}
        assert apply_entity(s, "tax_class", TAX_ID, "upsert", tax_class_view(tax),
                            store_id=store.id, currency=store.currency)
        assert apply_entity(s, "product", PRODUCT_ID, "upsert", product_view(_product_doc()),
                            store_id=store.id, currency=store.currency)
        inventory.record_movement(s, store_id=store.id, variant_id=VARIANT_ID,
                                  quantity_milli=10_000, kind="receipt")
        return blank_shop, store.id, catalog.staff(s, role="manager").id, \
            catalog.staff(s, role="cashier").id


def _outcome(store, result: dict, kind: str | None = None) -> None:
    """As the push does it: record the result and delete the entry, in one transaction."""
    with store.write() as s:
        query = select(OutboxEntry).order_by(OutboxEntry.seq)
        if kind:
            query = query.where(OutboxEntry.kind == kind)
        entry = s.scalars(query).first()
        record_outcome(s, entry, {"id": entry.mutation_id, **result})
        s.delete(entry)


def _level(store, store_id) -> int:
    with store.read() as s:
        return inventory.level(s, store_id=store_id, variant_id=VARIANT_ID)


def _sell(store, cashier, milli=2_000) -> tuple[str, list[str]]:
    with store.write() as s:
        cart = Cart()
        cart.add(VARIANT_ID, milli)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier)
        ids = [m.id for m in s.scalars(select(StockMovement).where(
            StockMovement.order_id == order.id))]
        return order.number, ids


def _synced(store, ids) -> list[bool]:
    with store.read() as s:
        return [s.get(StockMovement, i).synced for i in ids]


def _issues(store) -> list[dict]:
    with store.read() as s:
        return list_issues(s)


@pytest.mark.parametrize("result", [{"status": "applied"},
                                    {"status": "duplicate", "original_status": "applied"},
                                    {"status": "duplicate"}])
def test_an_acknowledged_sale_marks_its_movements_synced_and_keeps_the_level(till, result):
    store, store_id, _, cashier = till
    _, moves = _sell(store, cashier)
    _outcome(store, result)
    assert _synced(store, moves) == [True] and _level(store, store_id) == 8_000
    assert _issues(store) == []


def test_a_refused_sale_is_told_and_leaves_the_level_it_was_never_counted_in(till):
    store, store_id, _, cashier = till
    number, moves = _sell(store, cashier)
    _outcome(store, {"status": "rejected", "reason": "internal error: KeyError"})
    assert _synced(store, moves) == [True] and _level(store, store_id) == 10_000
    [issue] = _issues(store)
    assert issue["kind"] == "rejected" and issue["entity"] == "order"
    assert issue["message"] == f"The server refused sale {number}: internal error: KeyError"
    assert "stock_movements" not in issue["details"]["sent"]
    with store.read() as s:
        assert s.scalar(select(Order).where(Order.number == number)) is not None  # kept here


def test_a_refused_stock_movement_leaves_the_level_once_even_if_recorded_twice(till):
    store, store_id, manager, _ = till
    with store.write() as s:
        clerk = catalog.staff(s, role="stock_clerk").id
        move = inventory.post_movement(s, staff_id=clerk, variant_id=VARIANT_ID,
                                       quantity_milli=-3_000, kind="adjustment", reason="broken").id
    assert _level(store, store_id) == 7_000
    with store.write() as s:
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.kind == "stock.movement"))
        for _ in range(2):
            record_outcome(s, entry, {"status": "rejected",
                                      "reason": "the staff member may not post stock"})
    assert _synced(store, [move]) == [True] and _level(store, store_id) == 10_000
    messages = [i["message"] for i in _issues(store)]
    assert messages[0] == ("The server refused the stock adjustment of Desk Lamp: the staff "
                           "member may not post stock; the stock level here no longer counts it")


def test_a_stale_product_edit_is_replaced_by_the_servers_and_the_staff_are_told(till):
    store, _, manager, _ = till
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=PRODUCT_ID, changes={"name": "Lamp"},
                       variant_changes=[{"id": VARIANT_ID, "price": 1999}])
    current = product_view(_product_doc(name="Desk Lamp (new)", price=2750, version=3))
    _outcome(store, {"status": "conflict", "current": current})
    with store.read() as s:
        product, variant = s.get(Product, PRODUCT_ID), s.get(Variant, VARIANT_ID)
        assert (product.name, product.version, variant.price) == ("Desk Lamp (new)", 3, 2750)
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    [issue] = _issues(store)
    assert issue["kind"] == "conflict" and issue["entity"] == "product"
    assert issue["message"] == ("Your change to Desk Lamp (new) was not kept: it was changed on "
                                "the server meanwhile; the server's version is now shown")
    assert issue["details"]["sent"]["fields"] == {"name": "Lamp"}
    assert issue["details"]["sent"]["variants"][0]["price"] == 1999
    assert issue["details"]["kept"]["version"] == 3


def test_a_conflict_whose_view_cannot_be_read_is_still_told(till):
    store, _, manager, _ = till
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=PRODUCT_ID, changes={"name": "Lamp"})
    _outcome(store, {"status": "conflict", "current": {"id": PRODUCT_ID, "name": "Broken",
                                                        "variants": "nope"}})
    [issue] = _issues(store)
    assert issue["message"].endswith("the server's version will be shown after the next sync")
    with store.read() as s:
        assert s.get(Product, PRODUCT_ID).name == "Lamp"  # nothing half-applied


def test_a_lost_conflict_reply_is_told_when_the_replay_answers_duplicate(till):
    store, _, manager, _ = till
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=PRODUCT_ID, changes={"brand": "Mine"})
    current = product_view(_product_doc(version=2))
    _outcome(store, {"status": "duplicate", "original_status": "conflict", "current": current})
    assert [i["kind"] for i in _issues(store)] == ["conflict"]
    with store.read() as s:
        assert s.get(Product, PRODUCT_ID).brand == "Acme"


def test_an_applied_edit_moves_the_base_of_the_next_one_before_any_pull(till):
    store, _, manager, _ = till
    with store.write() as s:
        update_product(s, staff_id=manager, product_id=PRODUCT_ID, changes={"brand": "One"})
        update_product(s, staff_id=manager, product_id=PRODUCT_ID, changes={"brand": "Two"})
    _outcome(store, {"status": "applied"})
    with store.write() as s:
        assert s.get(Product, PRODUCT_ID).version == 2
        update_product(s, staff_id=manager, product_id=PRODUCT_ID, changes={"brand": "Three"})
    with store.read() as s:
        bases = [json.loads(p)["base_version"] for p in s.scalars(
            select(OutboxEntry.payload).order_by(OutboxEntry.seq))]
    assert bases == [2, 3]  # the second edit (made at 1, based on 2) and the new one on 3


def test_an_overwritten_concurrent_edit_gives_one_issue_per_field(till):
    store, _, _, cashier = till
    with store.write() as s:
        cid = catalog.customer(s, name="Ada Lovelace", email="ada@example.com").id
        update_customer(s, staff_id=cashier, customer_id=cid,
                        changes={"phone": "+32 470 11 22 33", "notes": "VIP"})
    _outcome(store, {"status": "applied", "overridden": [
        {"field": "phone", "server_value": "+44 20 7946 0000", "our_value": "+32 470 11 22 33"},
        {"field": "notes", "server_value": "", "our_value": "VIP"}]})
    issues = sorted(_issues(store), key=lambda i: i["id"])
    assert [i["message"] for i in issues] == [
        "phone of customer Ada Lovelace: your value replaced '+44 20 7946 0000' set elsewhere",
        "notes of customer Ada Lovelace: your value replaced nothing set elsewhere"]
    assert {i["kind"] for i in issues} == {"overridden"}
    assert issues[0]["details"] == {"field": "phone", "server_value": "+44 20 7946 0000",
                                    "our_value": "+32 470 11 22 33"}


def test_a_refused_customer_edit_is_undone_where_nobody_edited_again(till):
    store, _, _, cashier = till
    with store.write() as s:
        cid = create_customer(s, staff_id=cashier, name="Ada", email="ada@example.com").id
    _outcome(store, {"status": "applied"})
    with store.write() as s:
        update_customer(s, staff_id=cashier, customer_id=cid,
                        changes={"email": "ada@new.example", "phone": "0470 11 22 33"})
        update_customer(s, staff_id=cashier, customer_id=cid, changes={"phone": "0470 99 99 99"})
    _outcome(store, {"status": "rejected", "reason": "email: another customer has it"})
    with store.read() as s:
        c = s.get(Customer, cid)
        # the email goes back; the phone was edited again since, so it stays
        assert (c.email, c.phone) == ("ada@example.com", "0470 99 99 99")
    [issue] = _issues(store)
    assert issue["message"] == ("The server refused your change to customer Ada: email: another "
                                "customer has it; it was undone here")


def test_a_status_change_the_server_overruled_takes_the_servers_status(till):
    store, _, manager, cashier = till
    number, _ = _sell(store, cashier)
    _outcome(store, {"status": "applied"})
    with store.write() as s:
        order = s.scalar(select(Order).where(Order.number == number))
        order.status, order.channel = "pending", "online"
    with store.write() as s:
        change_status(s, order_ref=number, target="confirmed", staff_id=manager)
    _outcome(store, {"status": "conflict",
                     "current": {"id": "x", "number": number, "status": "cancelled", "version": 4}})
    with store.read() as s:
        order = s.scalar(select(Order).where(Order.number == number))
        assert (order.status, order.version) == ("cancelled", 4)
    [issue] = _issues(store)
    assert issue["message"].startswith(f"Your change to order {number} was not kept")


def test_an_online_orders_overruled_status_lands_in_the_remote_orders(till):
    store, store_id, _, _ = till
    with store.write() as s:
        outbox.enqueue(s, kind="order.status", entity_id="web-1",
                       payload={"order_id": "web-1", "number": "W-000001", "from": "pending",
                                "to": "confirmed", "version": 2, "reason": ""})
    doc = {"_id": "web-1", "number": "W-000001", "store_id": store_id, "channel": "online",
           "status": "cancelled", "currency": "EUR", "total": 2598, "lines": [], "payments": [],
           "version": 3, "created_at": NOW, "updated_at": NOW}
    _outcome(store, {"status": "conflict", "current": order_view(doc)})
    with store.read() as s:
        remote = s.get(RemoteOrder, "web-1")
        assert (remote.status, remote.version) == ("cancelled", 3)
    assert _issues(store)[0]["message"].startswith("Your change to order W-000001 was not kept")


@pytest.mark.parametrize("result", [{"status": "maybe"}, {"status": None},
                                    {"status": "duplicate", "original_status": "lost"}])
def test_an_unknown_status_raises_and_writes_nothing(till, result):
    store, store_id, _, cashier = till
    _, moves = _sell(store, cashier)
    with pytest.raises(ProtocolError, match="unknown push status"):
        _outcome(store, result)
    assert _synced(store, moves) == [False] and _level(store, store_id) == 8_000
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 1
        assert s.scalar(select(func.count()).select_from(SyncIssue)) == 0

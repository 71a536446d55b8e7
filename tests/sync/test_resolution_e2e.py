"""The till's own outbox entries pushed to the real server (in-process, real database) and its
answers recorded by ``record_outcome``: what the services queue is what the server's handlers
take, and each answer lands locally as the resolution contract says."""

from __future__ import annotations

import uuid
from itertools import count

import pytest
from sqlalchemy import func, select

from app import inventory
from app.catalog_edit import update_product
from app.customers import create_customer, update_customer
from app.sales.identity import REGISTER_KEY, STORE_KEY, set_local
from app.sync_issues import list_issues
from db.models import OutboxEntry, Product, Register, StaffUser, StockMovement, Store, Variant
from server.catalog.schemas import ProductPatch
from server.catalog.service import patch_product
from server.catalog.views import product_view
from server.customers import service as customers
from server.customers.schemas import CustomerUpdate
from server.database import in_transaction
from server.devices import service as devices
from server.inventory import service as server_inventory
from server.security.deps import Principal
from server.users.service import create_user
from sync.apply import apply_entity
from tests.server.inventory.fixtures import new_product
from tests.support.hand_push import push_outbox

API = "/api/v1"
BACK_OFFICE = Principal("user", "back-office", "manager")
_DEVICE_SEQ = count(1)  # only ever grows, as a till's device sequence does


@pytest.fixture
def paired(client, mongo, store):
    """A local store paired with the server: same store, register and staff ids both sides,
    and the server's product pulled in."""
    db = mongo.db
    issued = devices.issue_pairing_code(db, register_code="R01", minutes=5, actor="test", ip=None)
    device = devices.pair_device(db, code=issued["code"], ip=None, request_id=None)
    roles = ("manager", "stock_clerk", "cashier")
    staff = {role: create_user(db, email=f"{role}-{uuid.uuid4().hex[:6]}@example.com", role=role,
                               password="correct horse battery staple 9", verified=True,
                               actor="test", ip=None, rounds=4)["_id"] for role in roles}
    product = new_product(db, name="Desk Lamp")
    variant_id = product["variants"][0]["id"]
    in_transaction(db, lambda s: server_inventory.record_movement(
        db, session=s, store_id=device["store_id"], product_id=product["_id"],
        variant_id=variant_id, kind="receipt", quantity_milli=10_000, actor="test"))
    with store.write() as s:
        s.add(Store(id=device["store_id"], code=device["store_code"], name="Shop", currency="EUR"))
        s.flush()
        s.add(Register(id=device["register_id"], store_id=device["store_id"],
                       code=device["register_code"], name="Till"))
        s.flush()
        set_local(s, STORE_KEY, device["store_id"])
        set_local(s, REGISTER_KEY, device["register_id"])
        for role, user_id in staff.items():
            s.add(StaffUser(id=user_id, name=role, email=f"{role}@till", role=role))
        assert apply_entity(s, "product", product["_id"], "upsert", product_view(product),
                            store_id=device["store_id"], currency="EUR")
        inventory.record_movement(s, store_id=device["store_id"], variant_id=variant_id,
                                  quantity_milli=10_000, kind="receipt")
        s.execute(StockMovement.__table__.update().values(synced=True))  # as a pull leaves it
    headers = {"Authorization": f"Device {device['device_id']}:{device['device_key']}"}
    return store, db, headers, device["store_id"], staff, product["_id"], variant_id


def _push(client, store, headers) -> list[dict]:
    """One push round done by hand, as ``sync.push`` does it."""
    return push_outbox(client, store, headers, _DEVICE_SEQ)[1]


def list_issues_of(store) -> list[dict]:
    with store.read() as s:
        return list_issues(s)


def test_an_offline_product_edit_loses_to_the_servers_and_the_back_office_is_told(client, paired):
    store, db, headers, _, staff, product_id, variant_id = paired
    with store.write() as s:
        update_product(s, staff_id=staff["manager"], product_id=product_id,
                       changes={"name": "Lamp (offline)"},
                       variant_changes=[{"id": variant_id, "price": 999}])
    patch_product(db, product_id=product_id, body=ProductPatch(version=1, name="Lamp (server)"),
                  actor="user:back-office")
    [result] = _push(client, store, headers)
    assert result["status"] == "conflict"
    with store.read() as s:
        product, variant = s.get(Product, product_id), s.get(Variant, variant_id)
        assert (product.name, product.version, variant.price) == ("Lamp (server)", 2, 1299)
    [issue] = list_issues_of(store)
    assert issue["message"] == ("Your change to Lamp (server) was not kept: it was changed on "
                                "the server meanwhile; the server's version is now shown")
    # the next edit is based on the server's version and applies
    with store.write() as s:
        update_product(s, staff_id=staff["manager"], product_id=product_id,
                       changes={"brand": "Acme"})
    assert [r["status"] for r in _push(client, store, headers)] == ["applied"]
    assert db.products.find_one({"_id": product_id})["brand"] == "Acme"


def test_two_edits_queued_offline_both_apply_in_order(client, paired):
    store, db, headers, _, staff, product_id, variant_id = paired
    with store.write() as s:
        update_product(s, staff_id=staff["manager"], product_id=product_id,
                       changes={"name": "First"})
        update_product(s, staff_id=staff["manager"], product_id=product_id, changes={},
                       variant_changes=[{"id": variant_id, "price": 1450}])
    assert [r["status"] for r in _push(client, store, headers)] == ["applied", "applied"]
    stored = db.products.find_one({"_id": product_id})
    assert (stored["name"], stored["version"]) == ("First", 3)
    assert stored["variants"][0]["prices"]["EUR"] == 1450
    with store.read() as s:
        assert s.get(Product, product_id).version == 3 and list_issues(s) == []


def test_stock_posted_here_is_counted_once_and_a_refused_one_leaves_the_level(client, paired):
    store, db, headers, store_id, staff, _, variant_id = paired
    with store.write() as s:
        counted = inventory.post_movement(s, staff_id=staff["stock_clerk"], variant_id=variant_id,
                                          quantity_milli=7_000, kind="count").id
        s.add(StaffUser(id="not-on-server", name="Temp", email="temp@till", role="stock_clerk"))
        s.flush()
        refused = inventory.post_movement(s, staff_id="not-on-server", variant_id=variant_id,
                                          quantity_milli=5_000, kind="receipt").id
    results = _push(client, store, headers)
    assert [r["status"] for r in results] == ["applied", "rejected"]
    level = server_inventory.levels_for(db, store_id=store_id, variant_ids=[variant_id])
    assert int(level[variant_id]["on_hand_milli"]) == 7_000
    with store.read() as s:
        assert s.get(StockMovement, counted).synced and s.get(StockMovement, refused).synced
        assert inventory.level(s, store_id=store_id, variant_id=variant_id) == 7_000
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    [issue] = list_issues_of(store)
    assert issue["kind"] == "rejected" and issue["message"].startswith(
        "The server refused the stock receipt of Desk Lamp: ")


def test_a_customer_edit_that_overwrote_anothers_is_reported_per_field(client, paired):
    store, db, headers, _, staff, _, _ = paired
    with store.write() as s:
        customer_id = create_customer(s, staff_id=staff["cashier"], name="Ada Lovelace",
                                      email="ada@example.com", phone="+44 20 1234").id
    assert [r["status"] for r in _push(client, store, headers)] == ["applied"]
    stored = db.customers.find_one({"_id": customer_id})
    customers.update(db, customer_id=customer_id, body=CustomerUpdate(
        version=stored["version"], phone="+44 20 9999"), principal=BACK_OFFICE, ip=None,
        request_id=None)
    with store.write() as s:
        update_customer(s, staff_id=staff["cashier"], customer_id=customer_id,
                        changes={"phone": "+32 470 11 22 33", "notes": "VIP"})
    [result] = _push(client, store, headers)
    assert result["status"] == "applied"
    assert db.customers.find_one({"_id": customer_id})["phone"] == "+32 470 11 22 33"
    [issue] = list_issues_of(store)
    assert issue["kind"] == "overridden"
    assert issue["message"] == ("phone of customer Ada Lovelace: your value replaced "
                                "'+44 20 9999' set elsewhere")

"""A customer's tax number travels as their address does: typed at one till, pushed in
``customer.upsert`` to the real server (in-process, real database), published on the customers
feed and pulled by another till, so an invoice made out there carries it; edits go field by
field and an erasure takes it away everywhere."""

from __future__ import annotations

import json
import uuid
from itertools import count

import pytest
from sqlalchemy import select

from app.customers import create_customer, update_customer
from app.domain.errors import InvalidInput
from app.sales.identity import REGISTER_KEY, STORE_KEY, set_local
from db.engine import LocalStore
from db.models import Customer, OutboxEntry, Register, StaffUser, Store
from server.changes.log import CUSTOMERS_FEED
from server.customers import gdpr
from server.devices import service as devices
from server.security.deps import Principal
from server.users.service import create_user
from sync.apply import apply_entity
from tests.support import catalog
from tests.support.hand_push import push_outbox

API = "/api/v1"
BACK_OFFICE = Principal("user", "back-office", "manager")
_DEVICE_SEQ = count(1)


@pytest.fixture
def paired(client, mongo, store):
    """A local store paired with the server, its cashier known on both sides."""
    db = mongo.db
    issued = devices.issue_pairing_code(db, register_code="R01", minutes=5, actor="test", ip=None)
    device = devices.pair_device(db, code=issued["code"], ip=None, request_id=None)
    cashier = create_user(db, email=f"cashier-{uuid.uuid4().hex[:6]}@example.com",
                          role="cashier", password="correct horse battery staple 9",
                          verified=True, actor="test", ip=None, rounds=4)["_id"]
    with store.write() as s:
        s.add(Store(id=device["store_id"], code=device["store_code"], name="Shop", currency="EUR"))
        s.flush()
        s.add(Register(id=device["register_id"], store_id=device["store_id"],
                       code=device["register_code"], name="Till"))
        s.flush()
        set_local(s, STORE_KEY, device["store_id"])
        set_local(s, REGISTER_KEY, device["register_id"])
        s.add(StaffUser(id=cashier, name="Cashier", email="cashier@till", role="cashier"))
    headers = {"Authorization": f"Device {device['device_id']}:{device['device_key']}"}
    return store, db, headers, device["store_id"], cashier


def _push(client, store, headers) -> list[dict]:
    """One push round; returns each payload sent beside its result."""
    mutations, results = push_outbox(client, store, headers, _DEVICE_SEQ)
    return [{"payload": m["payload"], **r} for m, r in zip(mutations, results)]


def _latest_feed_entry(db, customer_id: str) -> dict:
    return db.change_log.find_one({"feed": CUSTOMERS_FEED, "entity_id": customer_id},
                                  sort=[("seq", -1)])


def _pull_into(other: LocalStore, store_id: str, entry: dict) -> Customer:
    with other.write() as s:
        assert apply_entity(s, "customer", entry["entity_id"], entry["op"], entry["data"],
                            store_id=store_id, currency="EUR")
    with other.read() as s:
        return s.get(Customer, entry["entity_id"])


def test_a_tax_number_typed_at_one_till_reaches_the_server_and_the_next_till(
        client, paired, tmp_path):
    store, db, headers, store_id, cashier = paired
    with store.write() as s:
        customer_id = create_customer(s, staff_id=cashier, name="Ada Lovelace Ltd",
                                      address="12 St James's Square\nLondon",
                                      tax_number=" GB123456789 ").id
    [created] = _push(client, store, headers)
    assert created["status"] == "applied" and created["payload"]["fields"]["tax_number"] == \
        "GB123456789"
    assert db.customers.find_one({"_id": customer_id})["tax_number"] == "GB123456789"
    assert _latest_feed_entry(db, customer_id)["data"]["tax_number"] == "GB123456789"

    other = LocalStore.open(tmp_path / "other-till.sqlite3")
    try:
        pulled = _pull_into(other, store_id, _latest_feed_entry(db, customer_id))
        assert (pulled.name, pulled.address, pulled.tax_number) == (
            "Ada Lovelace Ltd", "12 St James's Square\nLondon", "GB123456789")

        # an edit sends the tax number alone, based on what the till saw
        with store.write() as s:
            update_customer(s, staff_id=cashier, customer_id=customer_id,
                            changes={"tax_number": "GB987654321"})
        [edited] = _push(client, store, headers)
        assert edited["status"] == "applied" and "overridden" not in edited
        assert edited["payload"]["fields"] == {"tax_number": "GB987654321"}
        assert edited["payload"]["base"] == {"tax_number": "GB123456789"}
        assert _pull_into(other, store_id, _latest_feed_entry(db, customer_id)).tax_number == \
            "GB987654321"
        assert gdpr.export(db, customer_id)["customer"]["tax_number"] == "GB987654321"

        # erased on the server: gone from the other till too
        gdpr.erase(db, customer_id=customer_id, principal=BACK_OFFICE, ip=None, request_id=None)
        assert "tax_number" not in db.customers.find_one({"_id": customer_id})
        erased = _pull_into(other, store_id, _latest_feed_entry(db, customer_id))
        assert (erased.erased, erased.tax_number, erased.address) == (True, "", "")
    finally:
        other.close()


def test_a_customer_without_one_is_pushed_as_before(client, paired):
    # a server from before tax numbers refuses the field: a till does not send an empty one
    store, db, headers, _, cashier = paired
    with store.write() as s:
        customer_id = create_customer(s, staff_id=cashier, name="Walk-in").id
    [created] = _push(client, store, headers)
    assert created["status"] == "applied" and "tax_number" not in created["payload"]["fields"]
    assert db.customers.find_one({"_id": customer_id})["tax_number"] == ""


@pytest.mark.parametrize(("value", "message"), [("X" * 65, "longer than 64"),
                                                ("GB12\n3456", "control characters"),
                                                (12345, "must be text")])
def test_a_bad_tax_number_is_refused_at_the_till_naming_the_field(blank_shop, value, message):
    store = blank_shop
    with store.write() as s:
        cashier = catalog.staff(s).id
    with pytest.raises(InvalidInput, match=message) as error, store.write() as s:
        create_customer(s, staff_id=cashier, name="Ada", tax_number=value)
    assert error.value.field == "tax_number"
    with store.read() as s:  # nothing half-written
        assert s.scalar(select(Customer.id)) is None and s.scalar(select(OutboxEntry.seq)) is None


def test_the_server_refuses_a_tax_number_longer_than_the_till_allows(client, paired):
    store, db, headers, _, cashier = paired
    with store.write() as s:
        customer_id = create_customer(s, staff_id=cashier, name="Ada", tax_number="GB1").id
        entry = s.scalar(select(OutboxEntry))
        payload = json.loads(entry.payload)
        payload["fields"]["tax_number"] = "9" * 65  # what an older or broken client might send
        entry.payload = json.dumps(payload)
    [result] = _push(client, store, headers)
    assert result["status"] == "rejected" and "payload.fields.tax_number" in result["reason"]
    assert db.customers.find_one({"_id": customer_id}) is None

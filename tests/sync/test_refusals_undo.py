"""A back-office change the server refuses (or keeps its own version of) leaves the till as the
server has it: an order moved twice goes back to where the first step started, an account the
server never made cannot sign in here, a refused role or PIN is put back, refused tax rates stop
taxing sales, and a pull never brings back a customer erased here while the erase is queued.
Answers are recorded as ``sync.push`` records them (every result of a batch, then the entries
deleted), through the real store-feed and parties apply."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.back_office.customers.gdpr import erase_customer
from app.back_office.orders.status import change_order_status
from app.back_office.settings.taxes import RateInput, save_tax_class
from app.back_office.staff import service as staff
from app.local_auth import verify_pin
from app.sales.identity import this_register
from app.shipping import HouseCarrier, create_shipment, mark_printed
from app.sync_issues import list_issues
from db.models import Customer, OutboxEntry, RemoteOrder, StaffUser, TaxClass
from sync.apply import apply_entity
from sync.resolution import record_outcome
from tests.app.back_office.orders.orders_shop import pull_online
from tests.support import catalog

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)
REFUSED = {"status": "rejected", "reason": "staff not allowed"}


@pytest.fixture
def till(blank_shop):
    """A till with a manager, a cashier (PIN 1234) and a confirmed online order at version 3."""
    with blank_shop.write() as s:
        store = this_register(s)[0]
        store_id = store.id
        ids = {role: catalog.staff(s, role=role).id for role in ("manager", "cashier")}
    ids["order"] = pull_online(blank_shop, store_id, "S01-WEB-000042", status="confirmed",
                               lines=[])
    return blank_shop, store_id, ids


def answer(store, kind: str, *results: dict) -> None:
    """The first ``len(results)`` queued entries of ``kind`` answered in one batch."""
    with store.write() as s:
        entries = s.scalars(select(OutboxEntry).where(OutboxEntry.kind == kind)
                            .order_by(OutboxEntry.seq)).all()[:len(results)]
        for entry, result in zip(entries, results):
            record_outcome(s, entry, result)
        for entry in entries:
            if entry not in s.deleted:
                s.delete(entry)


def queued(store, kind: str) -> list[dict]:
    with store.read() as s:
        return [json.loads(e.payload) for e in s.scalars(
            select(OutboxEntry).where(OutboxEntry.kind == kind).order_by(OutboxEntry.seq))]


def order(store, order_id: str) -> tuple[str, int, dict]:
    with store.read() as s:
        row = s.get(RemoteOrder, order_id)
        return row.status, row.version, json.loads(row.data)


def messages(store) -> list[str]:
    with store.read() as s:
        return [i["message"] for i in reversed(list_issues(s))]


def pull_order(store, store_id: str, order_id: str, status: str, version: int) -> None:
    view = order(store, order_id)[2] | {"status": status, "version": version}
    with store.write() as s:
        assert apply_entity(s, "order", order_id, "upsert", view, store_id=store_id,
                            currency="EUR")


# --- finding 3: order.status chains -------------------------------------------------------

def test_a_refused_first_step_takes_the_order_back_to_where_the_chain_started(till):
    store, store_id, ids = till
    for target in ("processing", "cancelled"):  # v4, then v5 on top of it
        with store.write() as s:
            change_order_status(s, order_id=ids["order"], target=target,
                                staff_id=ids["manager"])
    answer(store, "order.status", REFUSED)
    status, version, view = order(store, ids["order"])
    assert (status, version, view["status"], view["version"]) == ("confirmed", 3,
                                                                   "confirmed", 3)
    assert queued(store, "order.status") == []
    refused, dropped = messages(store)
    assert refused.endswith("; it was undone here") and "was not kept" in dropped
    pull_order(store, store_id, ids["order"], "confirmed", 3)  # the server's unchanged view
    assert order(store, ids["order"])[:2] == ("confirmed", 3)


def test_a_refused_label_puts_the_order_back_to_confirmed_and_printing_again_asks_again(till):
    store, store_id, ids = till
    with store.write() as s:
        shipment = create_shipment(s, ids["order"], carrier=HouseCarrier(), now=NOW,
                                   weight_grams=900, parcels=1, service="standard")
        mark_printed(s, shipment.id, NOW)  # confirmed → processing (v4) → shipped (v5)
        shipment_id = shipment.id
    assert [(m["from"], m["to"]) for m in queued(store, "order.status")] == [
        ("confirmed", "processing"), ("processing", "shipped")]
    answer(store, "order.status", REFUSED)
    status, version, view = order(store, ids["order"])
    assert (status, version, "tracking_number" in view) == ("confirmed", 3, False)
    with store.write() as s:
        mark_printed(s, shipment_id, NOW)
    assert [(m["from"], m["version"]) for m in queued(store, "order.status")] == [
        ("confirmed", 4), ("processing", 5)]


def test_an_older_server_view_wins_once_no_status_change_of_the_order_is_queued(till):
    store, store_id, ids = till
    with store.write() as s:
        change_order_status(s, order_id=ids["order"], target="processing",
                            staff_id=ids["manager"])
    pull_order(store, store_id, ids["order"], "confirmed", 3)  # a page from before the push
    assert order(store, ids["order"])[:2] == ("processing", 4)
    # a conflict whose view did not come with it: the till's copy cannot be put right now...
    answer(store, "order.status", {"status": "conflict", "reason": "changed online"})
    assert order(store, ids["order"])[:2] == ("processing", 4)
    pull_order(store, store_id, ids["order"], "confirmed", 3)  # ...the server's view does
    assert order(store, ids["order"])[:2] == ("confirmed", 3)


# --- finding 4: staff ----------------------------------------------------------------------

def test_a_refused_staff_create_leaves_an_account_that_cannot_sign_in(till):
    store, _, ids = till
    with store.write() as s:
        eve = staff.create_staff(s, staff_id=ids["manager"], name="Eve", email="eve@x.test",
                                 role="manager", pin="4321").id
        staff.reset_pin(s, staff_id=ids["manager"], target_id=eve, pin="5555")
        staff.set_active(s, staff_id=ids["manager"], target_id=eve, active=False)
    # one batch: the create refused, the two changes behind it refused for want of it
    answer(store, "staff.create", {"status": "rejected",
                                   "reason": "payload.email: an account already exists"})
    with store.read() as s:
        member = s.get(StaffUser, eve)
        assert (member.active, member.pin_hash) == (False, None)
    answer(store, "staff.update", *[{"status": "rejected", "reason": "no staff account"}] * 2)
    with store.read() as s:
        member = s.get(StaffUser, eve)
        assert (member.active, member.pin_hash, member.role) == (False, None, "manager")
    created, *updates = messages(store)
    assert created.startswith("The server refused your change to staff member Eve") \
        and created.endswith("the account was deactivated here and its PIN cleared")
    assert all(m.endswith("never made on the server and stays deactivated here")
               for m in updates) and len(updates) == 2


def test_a_refused_promotion_and_pin_reset_are_put_back(till):
    store, _, ids = till
    cashier = ids["cashier"]
    with store.write() as s:
        staff.change_role(s, staff_id=ids["manager"], target_id=cashier, role="stock_clerk")
        staff.change_role(s, staff_id=ids["manager"], target_id=cashier, role="support")
        staff.reset_pin(s, staff_id=ids["manager"], target_id=cashier, pin="9876")
    answer(store, "staff.update", REFUSED)  # the first role change alone
    # the second now replaces what the server has: its refusal puts the cashier back
    assert queued(store, "staff.update")[0]["base"] == {"role": "cashier"}
    answer(store, "staff.update", REFUSED, REFUSED)
    with store.read() as s:
        member = s.get(StaffUser, cashier)
        assert member.role == "cashier" and member.active
        assert verify_pin("1234", member.pin_hash) and not verify_pin("9876", member.pin_hash)
    assert all(m.endswith("it was undone here") for m in messages(store)[1:])


def test_a_refused_pin_reset_queued_without_the_old_hash_clears_the_pin(till):
    store, _, ids = till
    with store.write() as s:
        staff.reset_pin(s, staff_id=ids["manager"], target_id=ids["cashier"], pin="9876")
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.kind == "staff.update"))
        legacy = json.loads(entry.payload)
        del legacy["replaced_pin_hash"]  # as queued before the old hash travelled
        entry.payload = json.dumps(legacy)
    answer(store, "staff.update", REFUSED)
    with store.read() as s:
        assert s.get(StaffUser, ids["cashier"]).pin_hash is None
    assert messages(store)[-1].endswith("the new PIN was cleared, so a manager must set it "
                                        "again")


def test_a_conflicting_role_change_takes_the_servers_account(till):
    store, _, ids = till
    with store.write() as s:
        staff.change_role(s, staff_id=ids["manager"], target_id=ids["cashier"], role="support")
    answer(store, "staff.update", {"status": "conflict", "reason": "role was changed meanwhile",
                                   "current": {"id": ids["cashier"], "role": "stock_clerk",
                                               "active": True, "version": 4}})
    with store.read() as s:
        member = s.get(StaffUser, ids["cashier"])
        assert (member.role, member.version) == ("stock_clerk", 4)


# --- finding 5: tax classes ----------------------------------------------------------------

def test_a_refused_tax_edit_puts_back_the_rates_and_version(till):
    store, _, ids = till
    with store.write() as s:
        standard = catalog.tax_class(s, "Standard", ("VAT", 200_000))
        standard.version = 3
        tax_id = standard.id
    with store.write() as s:
        save_tax_class(s, staff_id=ids["manager"], name="Standard VAT", tax_class_id=tax_id,
                       rates=[RateInput("VAT", "99")])
        born = save_tax_class(s, staff_id=ids["manager"], name="Reduced",
                              rates=[RateInput("VAT", "5")]).id
    answer(store, "tax_class.upsert", REFUSED, REFUSED)
    with store.read() as s:
        tax = s.get(TaxClass, tax_id)
        assert (tax.name, [(r.name, r.rate_ppm) for r in tax.rates], tax.version) == (
            "Standard", [("VAT", 200_000)], 3)
        assert s.get(TaxClass, born) is None  # born here, used by nothing: gone again
    edited, created = messages(store)
    assert edited.endswith("it was undone here") and created.endswith("removed here")
    with store.write() as s:  # the next edit is based on the server's version
        save_tax_class(s, staff_id=ids["manager"], name="Standard", tax_class_id=tax_id,
                       rates=[RateInput("VAT", "21")])
    assert queued(store, "tax_class.upsert")[0]["base_version"] == 3


# --- finding 7: GDPR -----------------------------------------------------------------------

def test_a_pull_does_not_bring_back_a_customer_erased_here_while_the_erase_is_queued(till):
    store, store_id, ids = till
    with store.write() as s:
        ada = catalog.customer(s, "Ada Lovelace", "ada@lovelace.test").id
        bob = catalog.customer(s, "Bob Buyer", "bob@example.com").id
        owner = catalog.staff(s, role="owner").id
    with store.write() as s:
        erase_customer(s, staff_id=owner, customer_id=ada)
    for customer_id, name in ((ada, "Ada Lovelace"), (bob, "Bob B.")):
        view = {"id": customer_id, "name": name, "email": f"{customer_id}@example.com",
                "phone": "", "addresses": [], "version": 2, "erased": False}
        with store.write() as s:
            assert apply_entity(s, "customer", customer_id, "upsert", view, store_id=store_id,
                                currency="EUR")
    with store.read() as s:
        erased, other = s.get(Customer, ada), s.get(Customer, bob)
        assert (erased.erased, erased.email, erased.name != "Ada Lovelace") == (True, None, True)
        assert other.name == "Bob B."

"""One customer edited on two tills offline: last writer wins per field, by the order the
edits ARRIVE at the server (the till that edited first in time but synced last still wins);
edits of different fields merge; a value overwritten by a concurrent edit is kept on the server
(``sync_conflicts``) and the till whose edit overwrote it is told (an ``overridden`` issue)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.customers import update_customer
from db.models import Customer
from tests.support.sync_harness import Till

FIELDS = ("name", "email", "phone", "address", "notes")


def a_customer(till: Till) -> str:
    with till.store.read() as session:
        return session.scalar(select(Customer.id).where(Customer.erased.is_(False))
                              .order_by(Customer.name))


def local_customer(till: Till, customer_id: str) -> dict:
    with till.store.read() as session:
        customer = session.get(Customer, customer_id)
        return {f: getattr(customer, f) or "" for f in FIELDS}


def edit(till: Till, customer_id: str, **changes: str) -> None:
    with till.store.write() as session:
        update_customer(session, staff_id=till.cashier, customer_id=customer_id,
                        changes=changes)


@pytest.mark.parametrize("last", [0, 1], ids=["R01-arrives-last", "R02-arrives-last"])
def test_concurrent_customer_edits_merge_per_field_and_the_last_to_arrive_wins(
        shop, two_tills, last):
    late, early = two_tills[last], two_tills[1 - last]
    customer_id = a_customer(early)
    before = shop.db.customers.find_one({"_id": customer_id})
    assert local_customer(late, customer_id) == local_customer(early, customer_id)
    # The till that will sync last edits first: arrival decides, not the time of the edit.
    edit(late, customer_id, phone="+32 470 00 00 02", email="late.edit@example.com")
    edit(early, customer_id, phone="+32 470 00 00 01", notes="Asked for the catalogue")

    first = early.round()
    assert first.ok and first.push.applied == 1
    second = late.round()
    assert second.ok and second.push.applied == 1
    assert early.round().ok  # hears of the later edit

    kept = shop.db.customers.find_one({"_id": customer_id})
    assert (kept["phone"], kept["email"], kept["notes"]) == \
        ("+32 470 00 00 02", "late.edit@example.com", "Asked for the catalogue")
    assert (kept["name"], kept.get("address", "")) == (before["name"], before.get("address", ""))
    assert kept["version"] == before["version"] + 2
    conflicts = list(shop.db.sync_conflicts.find({"entity": "customer",
                                                  "entity_id": customer_id}))
    assert [(c["field"], c["overwritten"], c["incoming"], c["device_id"]) for c in conflicts] \
        == [("phone", "+32 470 00 00 01", "+32 470 00 00 02", late.device_id)]

    [issue] = late.issues()
    assert (issue.kind, issue.entity, issue.entity_id) == ("overridden", "customer", customer_id)
    assert issue.message == (f"phone of customer {before['name']}: your value replaced "
                             "'+32 470 00 00 01' set elsewhere")
    assert early.issues() == []
    merged = {f: kept.get(f) or "" for f in FIELDS}
    for till in two_tills:
        assert local_customer(till, customer_id) == merged, till.name


def test_an_address_taken_at_a_till_reaches_every_till_and_stays_on_its_own(shop, two_tills):
    """The till's one free-text address travels as ``address``; the pull must read it back
    from there (not only from the online shop's structured ``addresses``)."""
    editor, other = two_tills
    customer_id = a_customer(editor)
    edit(editor, customer_id, address="Grote Markt 1, 1000 Brussel")
    assert editor.round().ok and other.round().ok
    assert shop.db.customers.find_one({"_id": customer_id})["address"] == \
        "Grote Markt 1, 1000 Brussel"
    for till in two_tills:
        assert local_customer(till, customer_id)["address"] == "Grote Markt 1, 1000 Brussel", \
            till.name

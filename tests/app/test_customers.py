"""Customers created and edited at the till: validated, audited, queued as ``customer.upsert``
with the fields changed and their values before, all in the caller's one transaction."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.customers import create_customer, find_customers, update_customer
from app.domain.errors import InvalidInput, NotFound, RuleViolation
from db.models import AuditEntry, Customer, OutboxEntry
from tests.support import catalog


@pytest.fixture
def people(blank_shop):
    with blank_shop.write() as s:
        return blank_shop, catalog.staff(s, role="cashier").id, catalog.staff(s, role="stock_clerk").id


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _entries(session) -> list[dict]:
    return [json.loads(e.payload) for e in session.scalars(
        select(OutboxEntry).where(OutboxEntry.kind == "customer.upsert").order_by(OutboxEntry.seq))]


def test_a_new_customer_is_queued_with_every_field_and_no_base(people):
    store, cashier, _ = people
    with store.write() as s:
        c = create_customer(s, staff_id=cashier, name="  Grace Hopper ", email="Grace@Example.COM",
                            phone="+1 (555) 010-0000", address="1 Navy Yard\nArlington",
                            notes="prefers invoices")
        cid = c.id
    with store.read() as s:
        c = s.get(Customer, cid)
        assert (c.name, c.email, c.phone) == ("Grace Hopper", "grace@example.com", "+1 (555) 010-0000")
        [payload] = _entries(s)
        assert payload == {"id": cid, "base": None, "staff_id": cashier, "fields": {
            "name": "Grace Hopper", "email": "grace@example.com", "phone": "+1 (555) 010-0000",
            "address": "1 Navy Yard\nArlington", "notes": "prefers invoices"}}
        entry = s.scalar(select(OutboxEntry))
        assert entry.entity_id == cid
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.created"))
        # the journal names the fields, never the person's data
        assert audit.entity_id == cid and "Grace" not in audit.details and "grace" not in audit.details


def test_no_phone_travels_as_empty_text_and_no_email_as_null(people):
    store, cashier, _ = people
    with store.write() as s:
        c = create_customer(s, staff_id=cashier, name="Walk-in", email="", phone="  ")
        assert (c.email, c.phone) == (None, None)
    with store.read() as s:
        fields = _entries(s)[0]["fields"]
        assert fields["email"] is None and fields["phone"] == "" and fields["address"] == ""


def test_an_edit_sends_only_what_changed_with_the_values_before(people):
    store, cashier, _ = people
    with store.write() as s:
        cid = create_customer(s, staff_id=cashier, name="Ada", email="ada@example.com").id
    with store.write() as s:
        update_customer(s, staff_id=cashier, customer_id=cid,
                        changes={"email": "ada@lovelace.org", "name": "Ada", "phone": "0470 12 34"})
    with store.read() as s:
        created, edited = _entries(s)
        assert edited == {"id": cid, "staff_id": cashier,
                          "fields": {"email": "ada@lovelace.org", "phone": "0470 12 34"},
                          "base": {"email": "ada@example.com", "phone": ""}}
        assert s.get(Customer, cid).email == "ada@lovelace.org"
        assert _count(s, AuditEntry) == 2


def test_an_edit_that_changes_nothing_leaves_no_trace(people):
    store, cashier, _ = people
    with store.write() as s:
        cid = create_customer(s, staff_id=cashier, name="Ada", email="ada@example.com").id
    with store.write() as s:
        update_customer(s, staff_id=cashier, customer_id=cid,
                        changes={"name": " Ada ", "email": "ADA@example.com", "phone": ""})
    with store.read() as s:
        assert len(_entries(s)) == 1 and _count(s, AuditEntry) == 1


@pytest.mark.parametrize("changes, field, words", [
    ({"name": "  "}, "name", "required"),
    ({"name": "x" * 201}, "name", "longer than 200"),
    ({"name": "Bob\x07"}, "name", "control characters"),
    ({"name": 42}, "name", "must be text"),
    ({"email": "not-an-address"}, "email", "not an email"),
    ({"email": "a@b"}, "email", "not an email"),
    ({"email": "é@example.com"}, "email", "not an email"),
    ({"phone": "call me"}, "phone", "digits"),
    ({"phone": "12"}, "phone", "three digits"),
    ({"notes": "n" * 2001}, "notes", "longer than 2000"),
    ({"address": "a" * 501}, "address", "longer than 500"),
    ({"loyalty": 5}, "loyalty", "not a customer field"),
    ({"id": "x"}, "id", "not a customer field"),
])
def test_bad_edits_name_the_field_and_change_nothing(people, changes, field, words):
    store, cashier, _ = people
    with store.write() as s:
        cid = create_customer(s, staff_id=cashier, name="Ada", email="ada@example.com").id
    with pytest.raises(InvalidInput) as err:
        with store.write() as s:
            update_customer(s, staff_id=cashier, customer_id=cid, changes={"notes": "ok", **changes})
    assert err.value.field == field and words in err.value.message
    with store.read() as s:
        assert s.get(Customer, cid).notes == "" and len(_entries(s)) == 1
        assert _count(s, AuditEntry) == 1


def test_a_bad_new_customer_leaves_nothing_behind(people):
    store, cashier, _ = people
    with pytest.raises(InvalidInput) as err:
        with store.write() as s:
            create_customer(s, staff_id=cashier, name="Ada", email="nope")
    assert err.value.field == "email"
    with store.read() as s:
        assert (_count(s, Customer), _count(s, OutboxEntry), _count(s, AuditEntry)) == (0, 0, 0)


def test_the_change_and_its_outbox_entry_share_the_callers_transaction(people):
    store, cashier, _ = people
    with pytest.raises(RuntimeError):
        with store.write() as s:
            create_customer(s, staff_id=cashier, name="Ada")
            raise RuntimeError("power cut before commit")
    with store.read() as s:
        assert (_count(s, Customer), _count(s, OutboxEntry), _count(s, AuditEntry)) == (0, 0, 0)


def test_permission_erased_unknown_and_taken_email_are_refused(people):
    store, cashier, clerk = people
    with pytest.raises(RuleViolation, match="customers:write"):
        with store.write() as s:
            create_customer(s, staff_id=clerk, name="Ada")
    with store.write() as s:
        ada = create_customer(s, staff_id=cashier, name="Ada", email="ada@example.com").id
        gone = catalog.customer(s, name="Gone")
        gone.erased = True
        gone_id = gone.id
    with pytest.raises(RuleViolation, match="another customer has the email"):
        with store.write() as s:
            create_customer(s, staff_id=cashier, name="Other Ada", email="ADA@example.com")
    with pytest.raises(RuleViolation, match="erased") as err:
        with store.write() as s:
            update_customer(s, staff_id=cashier, customer_id=gone_id, changes={"name": "Back"})
    assert err.value.field == "customer"
    with pytest.raises(NotFound):
        with store.write() as s:
            update_customer(s, staff_id=cashier, customer_id="nobody", changes={"name": "X"})
    with pytest.raises(InvalidInput, match="at least one"):
        with store.write() as s:
            update_customer(s, staff_id=cashier, customer_id=ada, changes={})
    with pytest.raises(RuleViolation, match="customers:write"):
        with store.write() as s:
            update_customer(s, staff_id=clerk, customer_id=ada, changes={"name": "X"})
    with store.read() as s:
        assert len(_entries(s)) == 1


def test_the_till_finds_customers_by_name_email_or_phone_digits(people):
    store, cashier, _ = people
    with store.write() as s:
        create_customer(s, staff_id=cashier, name="Ada Lovelace", email="ada@example.com",
                        phone="+32 470 12 34 56")
        create_customer(s, staff_id=cashier, name="Alan Turing", email="alan@bletchley.uk")
        create_customer(s, staff_id=cashier, name="100%_Real", email="real@example.com")
        gone = catalog.customer(s, name="Ada Gone")
        gone.erased = True
    with store.read() as s:
        names = lambda text, limit=20: [c.name for c in find_customers(s, text, limit)]  # noqa: E731
        assert names("ada") == ["Ada Lovelace"]
        assert names("BLETCHLEY") == ["Alan Turing"]
        assert names("0470 12 34") == ["Ada Lovelace"]
        assert names("470-123") == ["Ada Lovelace"]
        assert names("%") == ["100%_Real"] and names("_") == ["100%_Real"]
        assert names("a", limit=2) == ["100%_Real", "Ada Lovelace"]
        assert names("   ") == []
        with pytest.raises(InvalidInput) as err:
            find_customers(s, "ada", 0)
        assert err.value.field == "limit"

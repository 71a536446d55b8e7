"""Staff management at a till: each rule of ``app.back_office.staff`` (owners only by owners,
never oneself, never the last active owner, no customers, one email per person), bad input
naming its field, and a refusal leaving nothing written (no row, no outbox entry, no journal
entry); what is accepted is queued for the server with only the PIN's hash."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.back_office.staff import service
from app.back_office.staff.listing import StaffSource
from app.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from app.local_auth import verify_pin
from db.models import AuditEntry, OutboxEntry, StaffUser
from tests.support import catalog


@pytest.fixture
def team(blank_shop):
    with blank_shop.write() as s:
        ids = {role: catalog.staff(s, role=role).id
               for role in ("owner", "manager", "cashier", "support")}
    return blank_shop, ids


def written(store) -> tuple[int, int, int]:
    with store.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(t))
                     for t in (StaffUser, OutboxEntry, AuditEntry))


def queued(store) -> list[dict]:
    with store.read() as s:
        return [{"kind": e.kind, **json.loads(e.payload)}
                for e in s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))]


def test_a_manager_creates_a_cashier_who_signs_in_with_the_pin_and_only_its_hash_travels(team):
    store, ids = team
    with store.write() as s:
        member = service.create_staff(s, staff_id=ids["manager"], name="  Grace Hopper ",
                                      email="Grace@Shop.example", role="Cashier", pin="4711")
        new_id = member.id
    with store.read() as s:
        member = s.get(StaffUser, new_id)
        assert (member.name, member.email, member.role, member.active) == (
            "Grace Hopper", "grace@shop.example", "cashier", True)
        assert verify_pin("4711", member.pin_hash)
    [created] = queued(store)
    assert created == {"kind": "staff.create", "id": new_id, "name": "Grace Hopper",
                       "email": "grace@shop.example", "role": "cashier",
                       "pin_hash": member.pin_hash, "staff_id": ids["manager"]}
    assert "4711" not in json.dumps(created)
    with store.read() as s:
        rows = StaffSource().with_order("email", True).rows(s, 0, 10)
    emails = [r.cells[1] for r in rows]
    assert len(rows) == 5 and emails == sorted(emails, reverse=True)
    assert [r.cells for r in rows if r.id == new_id] == [
        ("Grace Hopper", "grace@shop.example", "cashier", "yes", "yes")]


REFUSED = [  # (who asks, what differs from a good request, the error, its field)
    ("manager", {"role": "owner"}, RuleViolation, "role"),
    ("manager", {"role": "customer"}, RuleViolation, "role"),
    ("manager", {"role": "wizard"}, InvalidInput, "role"),
    ("manager", {"name": "  "}, InvalidInput, "name"),
    ("manager", {"email": "not an address"}, InvalidInput, "email"),
    ("manager", {"email": ""}, InvalidInput, "email"),
    ("manager", {"email": "OWNER"}, RuleViolation, "email"),  # the owner's, in capitals
    ("manager", {"pin": "12a4"}, InvalidInput, "pin"),
    ("manager", {"pin": "123"}, InvalidInput, "pin"),
    ("support", {}, RuleViolation, "staff"),
    ("cashier", {}, RuleViolation, "staff"),
]


def test_a_refused_creation_names_its_field_and_writes_nothing(team):
    store, ids = team
    with store.read() as s:
        owner_email = s.get(StaffUser, ids["owner"]).email
    before = written(store)
    for who, fields, error, field in REFUSED:
        fields = {k: (owner_email.upper() if v == "OWNER" else v) for k, v in fields.items()}
        with pytest.raises(error) as caught, store.write() as s:
            service.create_staff(s, staff_id=ids[who], **{
                "name": "Grace", "email": "grace@shop.example", "role": "cashier",
                "pin": "4711", **fields})
        assert caught.value.field == field, (who, fields)
        assert written(store) == before, (who, fields)


def test_only_an_owner_makes_or_changes_an_owner(team):
    store, ids = team
    with store.write() as s:
        promoted = service.change_role(s, staff_id=ids["owner"], target_id=ids["manager"],
                                       role="owner")
        assert promoted.role == "owner"
        other = service.create_staff(s, staff_id=ids["owner"], name="Second", role="manager",
                                     email="second@shop.example", pin="2222").id
    before = written(store)
    for change in (lambda s: service.change_role(s, staff_id=other, target_id=ids["cashier"],
                                                 role="owner"),
                   lambda s: service.change_role(s, staff_id=other, target_id=ids["owner"],
                                                 role="manager"),
                   lambda s: service.reset_pin(s, staff_id=other, target_id=ids["owner"],
                                               pin="9999"),
                   lambda s: service.set_active(s, staff_id=other, target_id=ids["owner"],
                                                active=False)):
        with pytest.raises(RuleViolation, match="only an owner"), store.write() as s:
            change(s)
    assert written(store) == before


def test_nobody_demotes_or_deactivates_themselves_nor_the_last_active_owner(team):
    store, ids = team
    before = written(store)
    with pytest.raises(RuleViolation, match="yourself"), store.write() as s:
        service.set_active(s, staff_id=ids["manager"], target_id=ids["manager"], active=False)
    with pytest.raises(RuleViolation, match="yourself"), store.write() as s:
        service.change_role(s, staff_id=ids["manager"], target_id=ids["manager"],
                            role="support")
    for leave in (lambda s: service.set_active(s, staff_id=ids["owner"],
                                               target_id=ids["owner"], active=False),
                  lambda s: service.change_role(s, staff_id=ids["owner"],
                                                target_id=ids["owner"], role="manager")):
        with pytest.raises(RuleViolation, match="last active owner") as caught, \
                store.write() as s:
            leave(s)
        assert caught.value.field == "staff"
    assert written(store) == before
    with store.write() as s:  # with a second owner, the first may go (by the second's hand)
        heir = service.create_staff(s, staff_id=ids["owner"], name="Heir", role="owner",
                                    email="heir@shop.example", pin="3333").id
    with pytest.raises(RuleViolation, match="yourself"), store.write() as s:
        service.set_active(s, staff_id=ids["owner"], target_id=ids["owner"], active=False)
    with store.write() as s:
        service.set_active(s, staff_id=heir, target_id=ids["owner"], active=False)
    with pytest.raises(RuleViolation, match="last active owner"), store.write() as s:
        service.change_role(s, staff_id=heir, target_id=heir, role="manager")


def test_role_pin_and_active_changes_are_queued_with_what_they_replaced(team):
    store, ids = team
    with store.write() as s:
        service.change_role(s, staff_id=ids["manager"], target_id=ids["cashier"],
                            role="stock_clerk")
        service.reset_pin(s, staff_id=ids["manager"], target_id=ids["cashier"], pin="8642")
        service.set_active(s, staff_id=ids["manager"], target_id=ids["cashier"], active=False)
        service.set_active(s, staff_id=ids["manager"], target_id=ids["cashier"], active=False)
        service.change_role(s, staff_id=ids["manager"], target_id=ids["support"],
                            role="support")  # no change: nothing queued
    updates = queued(store)
    assert [(u["changes"], u["base"]) for u in updates[:1] + updates[2:]] == [
        ({"role": "stock_clerk"}, {"role": "cashier"}),
        ({"active": False}, {"active": True})]
    assert set(updates[1]["changes"]) == {"pin_hash"} and updates[1]["base"] == {}
    assert verify_pin("8642", updates[1]["changes"]["pin_hash"])
    with store.read() as s:
        member = s.get(StaffUser, ids["cashier"])
        assert (member.role, member.active, verify_pin("8642", member.pin_hash)) == (
            "stock_clerk", False, True)
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_id == ids["cashier"]).order_by(AuditEntry.seq)).all()
        assert actions == ["staff.role_changed", "staff.pin_reset", "staff.deactivated"]
        assert "8642" not in json.dumps([e.details for e in s.scalars(select(AuditEntry))])
    with pytest.raises(NotFound) as missing, store.write() as s:
        service.reset_pin(s, staff_id=ids["manager"], target_id="nobody", pin="1111")
    assert missing.value.field == "staff"
    with pytest.raises(DomainError), store.write() as s:  # a deactivated manager does nothing
        service.set_active(s, staff_id=ids["cashier"], target_id=ids["support"], active=False)

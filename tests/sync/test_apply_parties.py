"""Coupons, staff and customers pulled into a real local store from the server's views; a
customer edit still waiting in the outbox survives a pull; ``apply_entity`` on its own."""

from __future__ import annotations

import pytest

from app import outbox
from app.domain.sync_protocol import MutationKind
from app.sales.identity import this_register
from db.models import Coupon, Customer, StaffUser
from sync.apply import BadEntry, apply_entity, apply_page
from tests.sync.feed_pages import (coupon_doc, coupon_entry, customer_doc, customer_entry, delete,
                                   page, staff_doc, staff_entry)


@pytest.fixture
def till(blank_shop):
    with blank_shop.read() as session:
        store, _ = this_register(session)
    return blank_shop, store.id


def apply(till, *entries) -> int:
    local, store_id = till
    with local.write() as session:
        return apply_page(session, page(entries), store_id=store_id)


def test_coupons_in_ppm_or_minor_units_and_usable_only_in_their_currency(till):
    percent = coupon_doc("summer10", kind="percent", value=125_000)
    euros = coupon_doc("FIVE", kind="amount", value=500, currency="EUR")
    dollars = coupon_doc("USD5", kind="amount", value=500, currency="USD")
    assert apply(till, coupon_entry(percent), coupon_entry(euros), coupon_entry(dollars)) == 3
    with till[0].read() as session:
        p = session.get(Coupon, percent["_id"])
        assert (p.code, p.kind, p.value, p.usage_limit, p.active) == (
            "SUMMER10", "percent", 125_000, 100, True)
        assert p.valid_to.isoformat() == "2027-01-01T00:00:00+00:00"  # the server's naive UTC
        assert (session.get(Coupon, euros["_id"]).value, session.get(Coupon, euros["_id"]).active
                ) == (500, True)
        assert session.get(Coupon, dollars["_id"]).active is False
    apply(till, delete("catalog", "coupon", percent["_id"]))
    with till[0].read() as session:
        assert session.get(Coupon, percent["_id"]).active is False


def test_staff_with_pin_hash_role_and_active_and_a_deleted_one_inactive(till):
    manager = staff_doc("ann@shop.test", "manager", pin_hash="pbkdf2_sha256$1000$ab$cd")
    gone = staff_doc("bob@shop.test", active=False, pin_hash=None)
    assert apply(till, staff_entry(manager), staff_entry(gone)) == 2
    with till[0].read() as session:
        m = session.get(StaffUser, manager["_id"])
        assert (m.email, m.role, m.pin_hash, m.active) == (
            "ann@shop.test", "manager", "pbkdf2_sha256$1000$ab$cd", True)
        assert session.get(StaffUser, gone["_id"]).active is False
    apply(till, delete("staff", "staff_user", manager["_id"]))
    with till[0].read() as session:
        assert session.get(StaffUser, manager["_id"]).active is False


def test_a_local_account_with_the_same_email_makes_room(till):
    local, _ = till
    with local.write() as session:
        session.add(StaffUser(id="local-owner", name="Me", email="owner@shop.test", role="owner"))
    server = staff_doc("owner@shop.test", "owner")
    apply(till, staff_entry(server))
    with local.read() as session:
        assert session.get(StaffUser, server["_id"]).email == "owner@shop.test"
        assert session.get(StaffUser, "local-owner").email.startswith("owner@shop.test~")


def test_customers_and_erasure(till):
    addressed = customer_doc("Eva Peeters", "eva@example.com", phone="", notes="VIP", addresses=[
        {"label": "home", "line1": "Kerkstraat 1", "line2": "", "city": "Gent",
         "postcode": "9000", "region": "", "country": "BE"}])
    erased = customer_doc("Gone", "gone@example.com")
    apply(till, customer_entry(addressed), customer_entry(erased))
    with till[0].read() as session:
        eva = session.get(Customer, addressed["_id"])
        assert (eva.name, eva.email, eva.phone, eva.address, eva.notes, eva.erased) == (
            "Eva Peeters", "eva@example.com", None, "Kerkstraat 1, 9000 Gent, BE", "VIP", False)
    apply(till, customer_entry({**erased, "erased": True, "version": 2}),
          delete("customers", "customer", addressed["_id"]))
    with till[0].read() as session:
        for customer_id in (addressed["_id"], erased["_id"]):
            c = session.get(Customer, customer_id)
            assert (c.name, c.email, c.phone, c.address, c.notes, c.erased) == (
                "", None, None, "", "", True)


def test_a_customer_edit_still_in_the_outbox_stays_on_top_of_a_pull(till):
    doc = customer_doc("Jan Jansen", "jan@example.com", notes="old note", phone="+32 1")
    apply(till, customer_entry(doc))
    local, _ = till
    with local.write() as session:
        for fields in ({"notes": "likes tea", "phone": ""}, {"name": "Jan J."}):
            outbox.enqueue(session, kind=MutationKind.CUSTOMER_UPSERT.value,
                           entity_id=doc["_id"], payload={"id": doc["_id"], "fields": fields,
                                                          "base": {}})
    # the server meanwhile changed the email and the notes; the pull brings that
    apply(till, customer_entry({**doc, "email": "jan@new.example", "notes": "server note",
                                "version": 2}))
    with local.read() as session:
        jan = session.get(Customer, doc["_id"])
        assert (jan.name, jan.email, jan.phone, jan.notes) == (
            "Jan J.", "jan@new.example", None, "likes tea")
    # an erasure wins over a pending edit
    apply(till, customer_entry({**doc, "erased": True, "version": 3}))
    with local.read() as session:
        assert (session.get(Customer, doc["_id"]).name, session.get(Customer, doc["_id"]).erased
                ) == ("", True)


def test_apply_entity_alone_says_whether_it_waits_and_names_bad_fields(till):
    local, store_id = till
    with local.write() as session:
        assert apply_entity(session, "coupon", "c-1", "upsert",
                            {"id": "c-1", "code": "TEN", "kind": "percent", "rate_ppm": 100_000,
                             "active": True, "version": 1},
                            store_id=store_id, currency="EUR") is True
        assert apply_entity(session, "stock_level", f"{store_id}:nope", "upsert",
                            {"id": f"{store_id}:nope", "store_id": store_id,
                             "variant_id": "nope", "on_hand_milli": 1000},
                            store_id=store_id, currency="EUR") is False
        with pytest.raises(BadEntry) as bad:
            apply_entity(session, "coupon", "c-2", "upsert",
                         {"id": "c-2", "code": "X", "kind": "gift"}, store_id=store_id,
                         currency="EUR")
        assert bad.value.field == "kind"

"""Who may open the back office and which pages they see: the permission table decides, the
PIN is checked like at the till (five wrong in a row lock the person out, audited), and a
cashier is refused before their PIN is even looked at."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.back_office.access import PAGES, BackOfficeAccess, BackOfficeUser
from app.domain.errors import InvalidInput, RuleViolation
from app.domain.permissions import Permission
from db.models import AuditEntry, StaffUser
from tests.support import catalog


@pytest.fixture
def office(blank_shop):
    with blank_shop.write() as s:
        ids = {role: catalog.staff(s, role=role).id
               for role in ("owner", "manager", "moderator", "support", "cashier",
                            "stock_clerk")}
        gone = catalog.staff(s, role="manager")
        gone.active = False
        ids["deactivated"] = gone.id
        nopin = catalog.staff(s, role="manager")
        nopin.pin_hash = None
    return blank_shop, ids


def test_only_roles_that_open_the_back_office_are_listed(office):
    store, ids = office
    listed = {card.role for card in BackOfficeAccess(store).staff()}
    assert listed == {"owner", "manager", "moderator", "support", "stock_clerk"}


@pytest.mark.parametrize(("role", "pages"), [
    ("owner", ["products", "stock", "orders", "customers", "staff", "data", "settings"]),
    ("manager", ["products", "stock", "orders", "customers", "staff", "data", "settings"]),
    ("moderator", ["products", "orders", "customers"]),
    ("support", ["products", "orders", "customers"]),
    ("stock_clerk", ["products", "stock"]),
])
def test_each_role_sees_the_pages_its_permissions_open(office, role, pages):
    store, ids = office
    user = BackOfficeAccess(store).sign_in(ids[role], "1234")
    assert [page.key for page in user.pages()] == pages
    assert all(user.may(page.permission) for page in user.pages())


def test_a_cashier_is_refused_and_nothing_is_recorded(office):
    store, ids = office
    with pytest.raises(RuleViolation, match="a cashier does not use the back office") as refused:
        BackOfficeAccess(store).sign_in(ids["cashier"], "1234")
    assert refused.value.field == "staff"
    with store.read() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.action.like("back_office.%"))) is None


def test_deactivated_staff_cannot_sign_in(office):
    store, ids = office
    with pytest.raises(RuleViolation, match="deactivated or no PIN"):
        BackOfficeAccess(store).sign_in(ids["deactivated"], "1234")


def test_five_wrong_pins_lock_the_person_out_and_the_lock_is_audited(office):
    store, ids = office
    access = BackOfficeAccess(store)
    for _ in range(4):
        with pytest.raises(InvalidInput, match="wrong PIN"):
            access.sign_in(ids["manager"], "9999")
    with pytest.raises(RuleViolation, match="locked out for 60 s"):
        access.sign_in(ids["manager"], "9999")
    with pytest.raises(RuleViolation, match="too many wrong PINs: try again in 60 s"):
        access.sign_in(ids["manager"], "1234")  # even the right PIN, for a minute
    with store.read() as s:
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_id == ids["manager"])).all()
    assert actions == ["back_office.pin_locked"]
    signed = access.sign_in(ids["owner"], "1234")  # someone else is not locked
    assert signed.role == "owner"


def test_require_names_the_permission_missing():
    clerk = BackOfficeUser("id", "Sam", "stock_clerk")
    clerk.require(Permission.STOCK_WRITE)
    with pytest.raises(RuleViolation, match=r"a stock_clerk may not do this \(orders:update\)"):
        clerk.require(Permission.ORDERS_UPDATE)
    assert {page.key for page in PAGES} >= {"products", "stock", "orders", "customers", "staff"}
